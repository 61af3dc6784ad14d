import { RateLimiterRes } from 'rate-limiter-flexible';
import {
  RateLimitUnavailableError,
  TooManyAttemptsError,
  withStore,
  type Counter,
  type LimiterFactory,
  type RateLimit,
} from './rate-limit';

export interface LoginLimits {
  perEmailAndIp: RateLimit;
  perIp: RateLimit;
  perEmail: RateLimit;
  /** The own budget of a browser holding a valid device cookie for the account. */
  perDevice: RateLimit;
}

/** Who is trying: the account's e-mail, the client's per-IP key, and a trusted device if any. */
export interface LoginAttempt {
  email: string;
  /** Already reduced to its rate-limit key (clientKeyForIp). */
  ipKey: string;
  /** Set only when the browser proved, with a device cookie, an earlier login to this account. */
  deviceId?: string;
}

export interface LoginThrottle {
  /**
   * Counts one attempt, before the password is checked, and throws
   * TooManyAttemptsError when over a limit. Counting first (atomically) is
   * what stops a burst of concurrent guesses from all being checked before the
   * first failure is recorded.
   */
  beginAttempt(attempt: LoginAttempt): Promise<void>;
  /** The attempt succeeded: clear the pair's (or device's) counter and give back the others' point. */
  recordSuccess(attempt: LoginAttempt): Promise<void>;
  /** The attempt never reached a verdict (server busy): give every point back. */
  cancelAttempt(attempt: LoginAttempt): Promise<void>;
}

interface Budget {
  counter: Counter;
  key(attempt: LoginAttempt): string;
}

/**
 * Failed-login counters after OWASP's guidance: tight per (e-mail, IP) to stop
 * guessing, wider per IP to slow credential stuffing across accounts, and per
 * e-mail across IPs to cap a distributed guess at one account. The per-IP
 * limit is asked first and alone: an IP over it creates no per-e-mail entry,
 * so ever-new e-mails from one client cost one counter, not one each.
 *
 * A browser with a device cookie for the account (OWASP's device-cookie
 * pattern) counts on its own budget instead, so strangers who exhausted the
 * e-mail's or their IP's limits cannot lock the owner out.
 */
export function createLoginThrottle(limits: LoginLimits, factory: LimiterFactory): LoginThrottle {
  const budget = (keyPrefix: string, limit: RateLimit, key: Budget['key']): Budget => ({
    counter: factory({ keyPrefix, points: limit.points, duration: limit.durationSeconds }),
    key,
  });
  const perIp = budget('login_ip', limits.perIp, (a) => a.ipKey);
  const perPair = budget('login_email_ip', limits.perEmailAndIp, (a) => `${a.email}|${a.ipKey}`);
  const perEmail = budget('login_email', limits.perEmail, (a) => a.email);
  const perDevice = budget('login_device', limits.perDevice, (a) => a.deviceId ?? '');

  /** The counters an attempt is asked of, in order: one step after another. */
  const stepsFor = (attempt: LoginAttempt): Budget[][] =>
    attempt.deviceId ? [[perDevice]] : [[perIp], [perPair, perEmail]];
  const resetOnSuccess = (attempt: LoginAttempt): Budget =>
    attempt.deviceId ? perDevice : perPair;

  const giveBack = (budgets: Budget[], attempt: LoginAttempt) =>
    withStore(() => Promise.all(budgets.map((b) => b.counter.reward(b.key(attempt)))));

  return {
    async beginAttempt(attempt) {
      const counted: Budget[] = [];
      for (const step of stepsFor(attempt)) {
        const results = await Promise.allSettled(
          step.map((b) => b.counter.consume(b.key(attempt))),
        );
        counted.push(...step);
        let retryAfterMs = 0;
        for (const result of results) {
          if (result.status === 'fulfilled') continue;
          if (!(result.reason instanceof RateLimiterRes)) {
            throw new RateLimitUnavailableError(result.reason);
          }
          retryAfterMs = Math.max(retryAfterMs, result.reason.msBeforeNext);
        }
        if (retryAfterMs > 0) {
          // A refused attempt is undone on every counter it touched: otherwise
          // a stranger hammering one (e-mail, IP) pair would use up the
          // e-mail's allowance across all IPs, at no hashing cost.
          await giveBack(counted, attempt);
          throw new TooManyAttemptsError(Math.ceil(retryAfterMs / 1000), step.includes(perIp));
        }
      }
    },
    async recordSuccess(attempt) {
      const cleared = resetOnSuccess(attempt);
      const others = stepsFor(attempt)
        .flat()
        .filter((b) => b !== cleared);
      await withStore(async () => {
        await cleared.counter.delete(cleared.key(attempt));
        await Promise.all(others.map((b) => b.counter.reward(b.key(attempt))));
      });
    },
    async cancelAttempt(attempt) {
      await giveBack(stepsFor(attempt).flat(), attempt);
    },
  };
}
