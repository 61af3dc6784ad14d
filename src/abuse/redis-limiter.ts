import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../logger';
import { memoryLimiterFactory, type Counter, type LimiterFactory } from './rate-limit';

const WARNING_INTERVAL_MS = 30_000;

/**
 * Rate-limit counters in Redis, shared by every instance. If Redis goes away,
 * the default is to fail open for availability: each instance falls back to
 * counting in its own memory (logins keep working, limits hold per instance)
 * and logs a warning. With failClosed, attempts are refused instead (503).
 */
export function createRedisLimiterFactory(options: {
  url: string;
  failClosed: boolean;
  logger: Logger;
  /** Prefix of every key, so several apps (or test runs) can share one Redis. */
  namespace?: string;
}): { factory: LimiterFactory; close(): Promise<void> } {
  // Loaded here, not at the top: ioredis adds ~16 MiB of resident memory,
  // which an instance without REDIS_URL would otherwise carry for nothing.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Redis } = require('ioredis') as typeof import('ioredis');
  const client = new Redis(options.url, {
    // Never queue commands while disconnected: a login must not wait on Redis.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
  });
  let lastWarning = 0;
  client.on('error', (error: Error) => {
    if (Date.now() - lastWarning < WARNING_INTERVAL_MS) return;
    lastWarning = Date.now();
    options.logger.warn(
      { err: error.message },
      options.failClosed
        ? 'Redis is unreachable: logins are refused until it is back (RATE_LIMIT_FAIL_CLOSED=true)'
        : 'Redis is unreachable: rate limits count in this instance only until it is back',
    );
  });
  const namespace = options.namespace ?? 'gatehouse';
  const factory: LimiterFactory = (limit) => {
    const settings = { ...limit, keyPrefix: `${namespace}:${limit.keyPrefix}` };
    const shared = new RateLimiterRedis({
      ...settings,
      storeClient: client,
      rejectIfRedisNotReady: true,
    });
    return options.failClosed ? shared : withFallback(shared, memoryLimiterFactory(settings));
  };
  return {
    factory,
    async close() {
      client.disconnect();
    },
  };
}

/**
 * Uses `shared` while it answers and `local` (this instance's bounded memory)
 * when it fails. A refusal (RateLimiterRes) is an answer, not a failure.
 */
function withFallback(shared: Counter, local: Counter): Counter {
  const either =
    (operation: (counter: Counter, key: string) => Promise<unknown>) => async (key: string) => {
      try {
        return await operation(shared, key);
      } catch (error) {
        if (error instanceof RateLimiterRes) throw error;
        return operation(local, key);
      }
    };
  return {
    consume: either((counter, key) => counter.consume(key)),
    reward: either((counter, key) => counter.reward(key)),
    delete: either((counter, key) => counter.delete(key)),
  };
}
