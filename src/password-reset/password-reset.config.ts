import { integer, type FieldValues } from '../config-fields';

export interface PasswordResetSettings {
  /** How long a password reset link works. */
  resetTokenMinutes: number;
}

export const passwordResetVariables = { RESET_TOKEN_MINUTES: integer(5, 24 * 60, 30) };

export function readPasswordResetSettings(
  values: FieldValues<typeof passwordResetVariables>,
): PasswordResetSettings {
  return { resetTokenMinutes: values.RESET_TOKEN_MINUTES };
}
