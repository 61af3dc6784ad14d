import { integer, oneOf, type FieldValues } from '../config-fields';

export interface AccountSettings {
  /** Shortest password accepted at sign-up and password change. */
  passwordMinLength: number;
  isSignupOpen: boolean;
}

export const accountVariables = {
  PASSWORD_MIN_LENGTH: integer(8, 256, 12),
  SIGNUP: oneOf(['open', 'closed'], 'open'),
};

export function readAccountSettings(values: FieldValues<typeof accountVariables>): AccountSettings {
  return {
    passwordMinLength: values.PASSWORD_MIN_LENGTH,
    isSignupOpen: values.SIGNUP === 'open',
  };
}
