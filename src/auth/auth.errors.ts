/** Unknown e-mail or wrong password: deliberately one error for both. */
export class InvalidCredentialsError extends Error {
  /** The account the guess was against, when the e-mail exists (for the audit trail). */
  constructor(readonly userId: number | null = null) {
    super('Incorrect email or password');
    this.name = 'InvalidCredentialsError';
  }
}

/** Raised only after the password was right, so it tells a guesser nothing. */
export class AccountDisabledError extends Error {
  constructor(readonly userId: number | null = null) {
    super('This account is disabled');
    this.name = 'AccountDisabledError';
  }
}
