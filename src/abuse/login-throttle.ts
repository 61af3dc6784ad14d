import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import {
  RateLimitUnavailableError,
  TooManyAttemptsError,
  withStore,
  type LimiterFactory,
  type RateLimit,
} from './rate-limit';

export interface LoginLimits {
  perEmailAndIp: RateLimit;
  perIp: RateLimit;
  perEmail: RateLimit;
}

export interface LoginThrottle {
  /**
   * Counts one attempt on every counter, before the password is checked, and
   * throws TooManyAttemptsError when any is over its limit. Counting first
   * (atomically) is what stops a burst of concurrent guesses from all being
   * checked before the first failure is recorded.
   */
  beginAttempt(email: string, ip: string): Promise<void>;
  /** The attempt succeeded: clear the (e-mail, IP) counter and give back the others' point. */
  recordSuccess(email: string, ip: string): Promise<void>;
  /** The attempt never reached a verdict (server busy): give every point back. */
  cancelAttempt(email: string, ip: string): Promise<void>;
}

interface Counter {
  limiter: RateLimiterAbstract;
  key(email: string, ip: string): string;
}

/**
 * Failed-login counters after OWASP's guidance: tight per (e-mail, IP) to stop
 * guessing, wider per IP to slow credential stuffing across accounts, and per
 * e-mail across IPs high enough that a stranger cannot lock an owner out for long.
 */
export function createLoginThrottle(limits: LoginLimits, factory: LimiterFactory): LoginThrottle {
  const counter = (keyPrefix: string, limit: RateLimit, key: Counter['key']): Counter => ({
    limiter: factory({ keyPrefix, points: limit.points, duration: limit.durationSeconds }),
    key,
  });
  const emailAndIp = counter(
    'login_email_ip',
    limits.perEmailAndIp,
    (email, ip) => `${email}|${ip}`,
  );
  const others = [
    counter('login_ip', limits.perIp, (_email, ip) => ip),
    counter('login_email', limits.perEmail, (email) => email),
  ];
  const all = [emailAndIp, ...others];

  return {
    async beginAttempt(email, ip) {
      const results = await Promise.allSettled(all.map((c) => c.limiter.consume(c.key(email, ip))));
      let retryAfterMs = 0;
      for (const result of results) {
        if (result.status === 'fulfilled') continue;
        if (!(result.reason instanceof RateLimiterRes)) {
          throw new RateLimitUnavailableError(result.reason);
        }
        retryAfterMs = Math.max(retryAfterMs, result.reason.msBeforeNext);
      }
      if (retryAfterMs > 0) {
        // A refused attempt is undone on every counter: otherwise a stranger
        // hammering one (e-mail, IP) pair would use up the e-mail's allowance
        // across all IPs and lock the owner out everywhere, at no hashing cost.
        await withStore(() => Promise.all(all.map((c) => c.limiter.reward(c.key(email, ip)))));
        throw new TooManyAttemptsError(Math.ceil(retryAfterMs / 1000));
      }
    },
    async recordSuccess(email, ip) {
      await withStore(async () => {
        await emailAndIp.limiter.delete(emailAndIp.key(email, ip));
        await Promise.all(others.map((c) => c.limiter.reward(c.key(email, ip))));
      });
    },
    async cancelAttempt(email, ip) {
      await withStore(() => Promise.all(all.map((c) => c.limiter.reward(c.key(email, ip)))));
    },
  };
}
