import { z } from 'zod';
import {
  field,
  flag,
  integer,
  matching,
  refuse,
  type Field,
  type FieldValues,
} from '../config-fields';
import { parseRateLimit, type RateLimit } from './rate-limit';

export interface RateLimitSettings {
  rateLimits: {
    loginPerEmailAndIp: RateLimit;
    loginPerIp: RateLimit;
    loginPerEmail: RateLimit;
    loginPerDevice: RateLimit;
    signupPerIp: RateLimit;
    passwordChangePerUser: RateLimit;
    /** Re-entered passwords (sudo mode) per user. */
    reauthPerUser: RateLimit;
    /** Wrong two-step codes (authenticator or recovery) per user. */
    twoStepPerUser: RateLimit;
    resetPerIp: RateLimit;
    resetPerEmail: RateLimit;
    /** Reset mails one address receives per hour, whoever asks (one is kept for its owner's devices). */
    resetMailsPerHour: number;
    /** Confirmation and "someone signed up with your address" mails one address receives. */
    confirmMailsPerAddress: RateLimit;
    /** Requests to change the account's e-mail address, per user. */
    emailChangePerUser: RateLimit;
  };
  /** Shared rate-limit counters for several instances; null keeps them in memory. */
  redisUrl: string | null;
  /** With Redis unreachable: refuse logins (true) or count per instance (false). */
  isRateLimitFailClosed: boolean;
}

/** Attempts per period, written like 5/15m; `fallback`, in the same form, when unset. */
function rate(fallback: string): Field<RateLimit> {
  return field(
    z
      .string()
      .transform(
        (text, ctx) =>
          parseRateLimit(text) ??
          refuse(ctx, 'must look like 5/15m (attempts / period in s, m, h or d)'),
      )
      .prefault(fallback),
  );
}

export const rateLimitVariables = {
  RATE_LIMIT_LOGIN_EMAIL_IP: rate('5/15m'),
  RATE_LIMIT_LOGIN_IP: rate('50/1h'),
  RATE_LIMIT_LOGIN_EMAIL: rate('100/1d'),
  RATE_LIMIT_LOGIN_DEVICE: rate('10/15m'),
  RATE_LIMIT_SIGNUP_IP: rate('10/1h'),
  RATE_LIMIT_PASSWORD_CHANGE: rate('5/15m'),
  RATE_LIMIT_REAUTH: rate('5/15m'),
  RATE_LIMIT_TWO_STEP: rate('5/15m'),
  RATE_LIMIT_RESET_IP: rate('20/1h'),
  RATE_LIMIT_RESET_EMAIL: rate('5/1h'),
  // At least 2: the hour's last mail is kept for the owner's own browsers, so
  // one would leave none for a reset asked from anywhere else.
  RESET_MAILS_PER_HOUR: integer(2, 100, 3),
  RATE_LIMIT_CONFIRM_MAIL: rate('5/1h'),
  RATE_LIMIT_EMAIL_CHANGE: rate('5/1h'),
  REDIS_URL: matching(
    /^rediss?:\/\/\S+$/,
    'must look like redis://host:6379 (or rediss:// for TLS)',
  ),
  RATE_LIMIT_FAIL_CLOSED: flag(false),
};

export function readRateLimitSettings(
  values: FieldValues<typeof rateLimitVariables>,
): RateLimitSettings {
  return {
    rateLimits: {
      loginPerEmailAndIp: values.RATE_LIMIT_LOGIN_EMAIL_IP,
      loginPerIp: values.RATE_LIMIT_LOGIN_IP,
      loginPerEmail: values.RATE_LIMIT_LOGIN_EMAIL,
      loginPerDevice: values.RATE_LIMIT_LOGIN_DEVICE,
      signupPerIp: values.RATE_LIMIT_SIGNUP_IP,
      passwordChangePerUser: values.RATE_LIMIT_PASSWORD_CHANGE,
      reauthPerUser: values.RATE_LIMIT_REAUTH,
      twoStepPerUser: values.RATE_LIMIT_TWO_STEP,
      resetPerIp: values.RATE_LIMIT_RESET_IP,
      resetPerEmail: values.RATE_LIMIT_RESET_EMAIL,
      resetMailsPerHour: values.RESET_MAILS_PER_HOUR,
      confirmMailsPerAddress: values.RATE_LIMIT_CONFIRM_MAIL,
      emailChangePerUser: values.RATE_LIMIT_EMAIL_CHANGE,
    },
    redisUrl: values.REDIS_URL ?? null,
    isRateLimitFailClosed: values.RATE_LIMIT_FAIL_CLOSED,
  };
}
