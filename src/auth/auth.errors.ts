import { HttpError } from '../errors';

/** Unknown e-mail or wrong password: deliberately one error for both. */
export class InvalidCredentialsError extends HttpError {
  /** The account the guess was against, when the e-mail exists (for the audit trail). */
  constructor(readonly userId: number | null = null) {
    super(401, 'invalid_credentials', 'Incorrect email or password');
  }
}

/** Raised only after the password was right, so it tells a guesser nothing. */
export class AccountDisabledError extends HttpError {
  constructor(readonly userId: number | null = null) {
    super(403, 'account_disabled', 'This account is disabled');
  }
}

/**
 * The address was never confirmed (CONFIRMATION=required). Raised only after
 * the password was right, like AccountDisabledError, so it tells a guesser
 * nothing; the login page then offers to send the link again.
 */
export class EmailUnconfirmedError extends HttpError {
  constructor(readonly userId: number | null = null) {
    super(
      403,
      'email_unconfirmed',
      'Confirm your e-mail address first: open the link we sent when you signed up.',
    );
  }
}
