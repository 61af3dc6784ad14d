import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  field,
  flag,
  integer,
  type ConfigContext,
  type ConfigRule,
  type FieldValues,
} from '../config-fields';

const MIN_SECRET_LENGTH = 32;

export interface SessionSettings {
  jwtSecret: string;
  /** True when no JWT_SECRET was given and a per-process one was generated. */
  isJwtSecretGenerated: boolean;
  sessionMinutes: number;
  /** A rolling session never outlives its login by more than this. */
  sessionAbsoluteHours: number;
  /**
   * Served over HTTPS: every cookie (session, CSRF, device, flash, reset) is
   * Secure with a __Host- name, and HSTS is sent. Not the session's alone.
   */
  cookieSecure: boolean;
}

export const sessionVariables = {
  // Not trimmed: every character of a secret counts.
  JWT_SECRET: field(
    z
      .string()
      .refine(
        (secret) => secret.length >= MIN_SECRET_LENGTH,
        `must be at least ${MIN_SECRET_LENGTH} characters (try: openssl rand -base64 48)`,
      )
      .optional(),
  ),
  SESSION_MINUTES: integer(1, 60 * 24 * 30, 30),
  SESSION_ABSOLUTE_HOURS: integer(1, 24 * 365, 12),
  COOKIE_SECURE: flag(),
};

/**
 * A generated secret dies with the process, logging everyone out, and is not
 * shared by several instances: fine for development, never for production.
 */
export const sessionRules: ConfigRule = ({ isProduction, isSet }) =>
  isProduction && !isSet('JWT_SECRET')
    ? [
        `JWT_SECRET must be set in production (at least ${MIN_SECRET_LENGTH} characters, e.g. openssl rand -base64 48)`,
      ]
    : [];

export function readSessionSettings(
  values: FieldValues<typeof sessionVariables>,
  { isProduction }: ConfigContext,
): SessionSettings {
  return {
    jwtSecret: values.JWT_SECRET ?? randomBytes(48).toString('base64'),
    isJwtSecretGenerated: values.JWT_SECRET === undefined,
    sessionMinutes: values.SESSION_MINUTES,
    sessionAbsoluteHours: values.SESSION_ABSOLUTE_HOURS,
    // Production is served over HTTPS; development on http://localhost.
    cookieSecure: values.COOKIE_SECURE ?? isProduction,
  };
}
