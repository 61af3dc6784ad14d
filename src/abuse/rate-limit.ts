import { RateLimiterRes } from 'rate-limiter-flexible';
import { HttpError } from '../errors';
import { BoundedMemoryCounter } from './bounded-memory-counter';

/** "5 attempts per 15 minutes". */
export interface RateLimit {
  points: number;
  durationSeconds: number;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Parses `5/15m`, `50/1h`, `100/1d`; null when malformed. */
export function parseRateLimit(text: string): RateLimit | null {
  const match = /^\s*(\d{1,6})\s*\/\s*(\d{1,6})\s*([smhd])\s*$/.exec(text);
  if (!match) return null;
  const points = Number(match[1]);
  const durationSeconds = Number(match[2]) * (UNIT_SECONDS[match[3] ?? ''] ?? 0);
  if (points < 1 || durationSeconds < 1) return null;
  return { points, durationSeconds };
}

export interface CounterOptions {
  keyPrefix: string;
  points: number;
  /** The window, in seconds. */
  duration: number;
}

/**
 * One rate-limit counter: what the throttles need of rate-limiter-flexible's
 * limiters (RateLimiterRedis fits it as it is). `consume` rejects with a
 * RateLimiterRes once the key is over its points, and with anything else when
 * the store failed.
 */
export interface Counter {
  consume(key: string): Promise<unknown>;
  reward(key: string): Promise<unknown>;
  delete(key: string): Promise<unknown>;
}

/**
 * Builds one counter. The store is pluggable: memory by default, a shared
 * store (Redis) when several instances must count together.
 */
export type LimiterFactory = (options: CounterOptions) => Counter;

/**
 * Keys one in-memory counter holds at most. Each costs ~260 bytes of heap
 * (measured with e-mail|IPv6 keys), so a full counter is ~2.5 MiB and all
 * eleven full at once ~27 MiB, inside the server's 96 MiB old space: enough
 * for every client of a busy instance within a window, too small for a flood
 * of fresh keys to grow the heap. SECURITY.md explains the choice.
 */
export const MEMORY_COUNTER_MAX_KEYS = 10_000;

export function createMemoryLimiterFactory(maxKeys = MEMORY_COUNTER_MAX_KEYS): LimiterFactory {
  return (options) => new BoundedMemoryCounter(options, maxKeys);
}

export const memoryLimiterFactory: LimiterFactory = createMemoryLimiterFactory();

export class TooManyAttemptsError extends HttpError {
  declare readonly retryAfterSeconds: number;
  /**
   * @param isClientLimit true when the client's own per-IP limit refused, not
   *   a limit of the account it named (which then deserves no audit row).
   */
  constructor(
    retryAfterSeconds: number,
    readonly isClientLimit = false,
  ) {
    const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
    super(
      429,
      'too_many_attempts',
      `Too many attempts: try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
      { retryAfterSeconds },
    );
  }
}

/** The shared counter store could not be reached and limits fail closed. */
export class RateLimitUnavailableError extends HttpError {
  constructor(override readonly cause: unknown) {
    super(503, 'busy', 'Sign-in is briefly unavailable: please try again in a few seconds.', {
      retryAfterSeconds: 5,
    });
  }
}

/** Runs a store operation, turning a store failure into RateLimitUnavailableError. */
export async function withStore<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof RateLimiterRes || error instanceof TooManyAttemptsError) throw error;
    throw new RateLimitUnavailableError(error);
  }
}
