import { RateLimiterRes } from 'rate-limiter-flexible';
import {
  RateLimitUnavailableError,
  TooManyAttemptsError,
  type LimiterFactory,
  type RateLimit,
} from './rate-limit';

/** Counts every attempt at an action (sign-up per IP, password change per user). */
export function createActionThrottle(name: string, limit: RateLimit, factory: LimiterFactory) {
  const limiter = factory({
    keyPrefix: name,
    points: limit.points,
    duration: limit.durationSeconds,
  });
  return {
    /** Counts one attempt; throws TooManyAttemptsError once over the limit. */
    async consume(key: string): Promise<void> {
      try {
        await limiter.consume(key);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) {
          throw new TooManyAttemptsError(Math.ceil(rejection.msBeforeNext / 1000));
        }
        throw new RateLimitUnavailableError(rejection);
      }
    },
    /** Gives one attempt back: for actions where only failures should count. */
    async refund(key: string): Promise<void> {
      try {
        await limiter.reward(key);
      } catch (error) {
        throw new RateLimitUnavailableError(error);
      }
    },
  };
}

export type ActionThrottle = ReturnType<typeof createActionThrottle>;
