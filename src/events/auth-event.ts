export const AUTH_EVENT_TYPES = [
  'login_succeeded',
  'login_failed',
  'login_throttled',
  'logout',
  'password_changed',
  'sessions_revoked',
  'account_disabled',
  'account_enabled',
  'signed_up',
  'password_reset_requested',
  'password_reset',
  'reauthenticated',
  'reauth_failed',
  'email_confirmed',
  'email_change_requested',
  'email_changed',
  'two_step_enabled',
  'two_step_disabled',
  'two_step_failed',
  'two_step_reset',
  'recovery_code_used',
  'recovery_codes_regenerated',
] as const;

export type AuthEventType = (typeof AUTH_EVENT_TYPES)[number];

/** How the account page names each event. */
export const AUTH_EVENT_LABELS: Record<AuthEventType, string> = {
  login_succeeded: 'Signed in',
  login_failed: 'Failed sign-in',
  login_throttled: 'Sign-in blocked: too many attempts',
  logout: 'Logged out',
  password_changed: 'Password changed',
  sessions_revoked: 'Sessions logged out',
  account_disabled: 'Account disabled',
  account_enabled: 'Account enabled',
  signed_up: 'Account created',
  password_reset_requested: 'Password reset link sent',
  password_reset: 'Password reset with an e-mailed link',
  reauthenticated: 'Password confirmed for a sensitive change',
  reauth_failed: 'Wrong password when confirming a sensitive change',
  email_confirmed: 'E-mail address confirmed',
  email_change_requested: 'E-mail address change asked for',
  email_changed: 'E-mail address changed',
  two_step_enabled: 'Two-step sign-in turned on',
  two_step_disabled: 'Two-step sign-in turned off',
  two_step_failed: 'Wrong two-step code',
  two_step_reset: 'Two-step sign-in turned off by the administrator',
  recovery_code_used: 'Signed in with a recovery code',
  recovery_codes_regenerated: 'New recovery codes made',
};

/** The events the account page lists as "recent sign-in activity". */
export const SIGN_IN_EVENT_TYPES: readonly AuthEventType[] = [
  'login_succeeded',
  'login_failed',
  'login_throttled',
  'two_step_failed',
  'recovery_code_used',
  'two_step_enabled',
  'two_step_disabled',
  'two_step_reset',
];

export interface AuthEvent {
  type: AuthEventType;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
  /** Attempts the event stands for (refusals are aggregated per client and window). */
  count: number;
}

/** Where a request came from, for the audit trail. */
export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
}
