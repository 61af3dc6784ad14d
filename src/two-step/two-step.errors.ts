import { HttpError } from '../errors';
import type { StartedChallenge } from './login-challenges';

/** Wrong, replayed or unknown code: one message, which tells a guesser nothing more. */
export class InvalidTwoStepCodeError extends HttpError {
  constructor() {
    super(
      401,
      'invalid_two_step_code',
      'That code is not right or was already used. Enter the current 6-digit code from your authenticator app, or an unused recovery code.',
    );
  }
}

/**
 * The password was right and the account has two-step sign-in: the login
 * form answers with the second page (the challenge it started), the API
 * with this message.
 */
export class TwoStepRequiredError extends HttpError {
  constructor(readonly challenge?: StartedChallenge) {
    super(
      401,
      'two_step_required',
      'This account uses two-step sign-in: send the current 6-digit code from the authenticator app (or a recovery code) in the otp field.',
    );
  }
}

/** The half-done login is over 5 minutes old, already used, or from another browser. */
export class LoginChallengeExpiredError extends HttpError {
  constructor() {
    super(
      401,
      'two_step_expired',
      'This sign-in has expired or was started in another browser. Log in again with your password.',
    );
  }
}

/** A setup step out of order (two-step already on, or no setup started). */
export class TwoStepStateError extends HttpError {
  constructor(message: string) {
    super(409, 'two_step_state', message);
  }
}
