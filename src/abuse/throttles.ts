import type { Config } from '../config';
import { createActionThrottle } from './action-throttle';
import { createLoginThrottle } from './login-throttle';
import { memoryLimiterFactory, type LimiterFactory, type RateLimit } from './rate-limit';
import { createResetMailAllowance } from './reset-mail-allowance';

/**
 * Every rate limit of the app, from the configured limits, counted in one
 * store: memory unless a shared store (Redis) is given.
 */
export function createThrottles(
  limits: Config['rateLimits'],
  factory: LimiterFactory = memoryLimiterFactory,
) {
  const action = (name: string, limit: RateLimit) => createActionThrottle(name, limit, factory);
  return {
    login: createLoginThrottle(
      {
        perEmailAndIp: limits.loginPerEmailAndIp,
        perIp: limits.loginPerIp,
        perEmail: limits.loginPerEmail,
        perDevice: limits.loginPerDevice,
      },
      factory,
    ),
    signupPerIp: action('signup_ip', limits.signupPerIp),
    passwordChangePerUser: action('password_change_user', limits.passwordChangePerUser),
    reauthPerUser: action('reauth_user', limits.reauthPerUser),
    twoStepPerUser: action('two_step_user', limits.twoStepPerUser),
    resetPerIp: action('reset_ip', limits.resetPerIp),
    resetPerEmail: action('reset_email', limits.resetPerEmail),
    // The owner's own browser counts here instead, with an address's budget.
    resetPerDevice: action('reset_device', limits.resetPerEmail),
    resetMails: createResetMailAllowance(limits.resetMailsPerHour, factory),
    confirmMailsPerAddress: action('confirm_mail', limits.confirmMailsPerAddress),
    emailChangePerUser: action('email_change_user', limits.emailChangePerUser),
  };
}
