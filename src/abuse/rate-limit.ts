import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

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

/**
 * Builds one counter. The store is pluggable: memory by default, a shared
 * store (Redis) when several instances must count together.
 */
export type LimiterFactory = (options: {
  keyPrefix: string;
  points: number;
  duration: number;
}) => RateLimiterAbstract;

export const memoryLimiterFactory: LimiterFactory = (options) => new RateLimiterMemory(options);

export class TooManyAttemptsError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
    super(`Too many attempts: try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`);
    this.name = 'TooManyAttemptsError';
  }
}

/** The shared counter store could not be reached and limits fail closed. */
export class RateLimitUnavailableError extends Error {
  readonly retryAfterSeconds = 5;
  constructor(override readonly cause: unknown) {
    super('Sign-in is briefly unavailable: please try again in a few seconds.');
    this.name = 'RateLimitUnavailableError';
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
