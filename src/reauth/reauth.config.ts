import { integer, type FieldValues } from '../config-fields';

export interface ReauthSettings {
  /** Sensitive changes need a login or re-entered password at most this long ago. */
  reauthMinutes: number;
}

export const reauthVariables = { REAUTH_MINUTES: integer(1, 24 * 60, 10) };

export function readReauthSettings(values: FieldValues<typeof reauthVariables>): ReauthSettings {
  return { reauthMinutes: values.REAUTH_MINUTES };
}
