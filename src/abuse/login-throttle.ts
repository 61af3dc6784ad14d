import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { TooManyAttemptsError, type LimiterFactory, type RateLimit } from './rate-limit';

export interface LoginLimits {
  perEmailAndIp: RateLimit;
  perIp: RateLimit;
  perEmail: RateLimit;
}

export interface LoginThrottle {
  /** Throws TooManyAttemptsError while any counter is exhausted; checks no password. */
  assertAllowed(email: string, ip: string): Promise<void>;
  recordFailure(email: string, ip: string): Promise<void>;
  /** A success clears the (e-mail, IP) counter; the wider ones keep counting. */
  recordSuccess(email: string, ip: string): Promise<void>;
}

/**
 * Failed-login counters after OWASP's guidance: tight per (e-mail, IP) to stop
 * guessing, wider per IP to slow credential stuffing across accounts, and per
 * e-mail across IPs high enough that a stranger cannot lock an owner out for long.
 */
export function createLoginThrottle(limits: LoginLimits, factory: LimiterFactory): LoginThrottle {
  const make = (keyPrefix: string, limit: RateLimit) =>
    factory({ keyPrefix, points: limit.points, duration: limit.durationSeconds });
  const counters: {
    limiter: RateLimiterAbstract;
    points: number;
    key: (e: string, ip: string) => string;
  }[] = [
    {
      limiter: make('login_email_ip', limits.perEmailAndIp),
      points: limits.perEmailAndIp.points,
      key: (e, ip) => `${e}|${ip}`,
    },
    { limiter: make('login_ip', limits.perIp), points: limits.perIp.points, key: (_e, ip) => ip },
    {
      limiter: make('login_email', limits.perEmail),
      points: limits.perEmail.points,
      key: (e) => e,
    },
  ];
  const [emailAndIp] = counters;

  return {
    async assertAllowed(email, ip) {
      const states = await Promise.all(counters.map((c) => c.limiter.get(c.key(email, ip))));
      let retryAfterMs = 0;
      states.forEach((state, index) => {
        const counter = counters[index];
        if (state && counter && state.consumedPoints >= counter.points) {
          retryAfterMs = Math.max(retryAfterMs, state.msBeforeNext);
        }
      });
      if (retryAfterMs > 0) throw new TooManyAttemptsError(Math.ceil(retryAfterMs / 1000));
    },
    async recordFailure(email, ip) {
      await Promise.all(
        counters.map((c) =>
          c.limiter.consume(c.key(email, ip)).catch((rejection: unknown) => {
            // Going over the limit is expected here; the next attempt is refused by assertAllowed.
            if (!(rejection instanceof RateLimiterRes)) throw rejection;
          }),
        ),
      );
    },
    async recordSuccess(email, ip) {
      if (emailAndIp) await emailAndIp.limiter.delete(emailAndIp.key(email, ip));
    },
  };
}
