import { integer, oneOf, type FieldValues } from '../config-fields';

export interface ConfirmationSettings {
  /**
   * Whether a new account must prove its address (a mailed link) before it
   * can log in. Off keeps sign-up logging straight in, for closed deployments
   * whose operators know every address.
   */
  isConfirmationRequired: boolean;
  /** How long a confirmation link (sign-up or address change) works. */
  confirmTokenMinutes: number;
}

export const confirmationVariables = {
  CONFIRMATION: oneOf(['required', 'off'], 'required'),
  CONFIRM_TOKEN_MINUTES: integer(10, 7 * 24 * 60, 24 * 60),
};

export function readConfirmationSettings(
  values: FieldValues<typeof confirmationVariables>,
): ConfirmationSettings {
  return {
    isConfirmationRequired: values.CONFIRMATION === 'required',
    confirmTokenMinutes: values.CONFIRM_TOKEN_MINUTES,
  };
}
