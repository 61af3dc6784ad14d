import { z } from 'zod';
import { field, type FieldValues } from '../config-fields';

const MIN_KEY_LENGTH = 32;

export interface TwoStepSettings {
  /**
   * The key material two-step secrets are encrypted with; null means
   * "derive it from JWT_SECRET" (app.ts does that).
   */
  dataKey: string | null;
}

export const twoStepVariables = {
  // Not trimmed: every character of a key counts.
  DATA_KEY: field(
    z
      .string()
      .refine(
        (key) => key.length >= MIN_KEY_LENGTH,
        `must be at least ${MIN_KEY_LENGTH} characters (try: openssl rand -base64 48)`,
      )
      .optional(),
  ),
};

export function readTwoStepSettings(values: FieldValues<typeof twoStepVariables>): TwoStepSettings {
  return { dataKey: values.DATA_KEY ?? null };
}
