import { z } from 'zod';
import {
  accountVariables,
  readAccountSettings,
  type AccountSettings,
} from './accounts/accounts.config';
import {
  rateLimitVariables,
  readRateLimitSettings,
  type RateLimitSettings,
} from './abuse/rate-limits.config';
import { corsVariables, readCorsSettings, type CorsSettings } from './api/cors.config';
import { hashingVariables, readHashingSettings, type HashingSettings } from './auth/hashing.config';
import {
  describeProblem,
  oneOf,
  type ConfigContext,
  type ConfigRule,
  type RuleInput,
} from './config-fields';
import {
  confirmationVariables,
  readConfirmationSettings,
  type ConfirmationSettings,
} from './confirmation/confirmation.config';
import {
  databaseVariables,
  readDatabaseSettings,
  type DatabaseSettings,
} from './db/database.config';
import { auditVariables, readAuditSettings, type AuditSettings } from './events/audit-log.config';
import { mailRules, mailVariables, readMailSettings, type MailSettings } from './mail/mail.config';
import {
  passwordResetVariables,
  readPasswordResetSettings,
  type PasswordResetSettings,
} from './password-reset/password-reset.config';
import { readReauthSettings, reauthVariables, type ReauthSettings } from './reauth/reauth.config';
import {
  readTwoStepSettings,
  twoStepVariables,
  type TwoStepSettings,
} from './two-step/two-step.config';
import { readServerSettings, serverVariables, type ServerSettings } from './server.config';
import {
  readSessionSettings,
  sessionRules,
  sessionVariables,
  type SessionSettings,
} from './sessions/sessions.config';

/**
 * The whole configuration: each feature's settings, read by its own
 * `*.config.ts` next to the code that uses them.
 */
export interface Config
  extends
    ServerSettings,
    DatabaseSettings,
    SessionSettings,
    HashingSettings,
    AccountSettings,
    CorsSettings,
    RateLimitSettings,
    AuditSettings,
    MailSettings,
    PasswordResetSettings,
    ReauthSettings,
    ConfirmationSettings,
    TwoStepSettings {
  nodeEnv: ConfigContext['nodeEnv'];
  isProduction: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ConfigError';
  }
}

const envSchema = z.object({
  NODE_ENV: oneOf(['development', 'production', 'test'], 'development'),
  ...serverVariables,
  ...databaseVariables,
  ...sessionVariables,
  ...hashingVariables,
  ...accountVariables,
  ...corsVariables,
  ...rateLimitVariables,
  ...auditVariables,
  ...mailVariables,
  ...passwordResetVariables,
  ...reauthVariables,
  ...confirmationVariables,
  ...twoStepVariables,
});

const rules: readonly ConfigRule[] = [sessionRules, mailRules];

/** Every environment variable Gatehouse reads; `.env.example` documents each. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/**
 * Reads and validates the whole configuration at once, so a bad deployment
 * hears about every problem in one go, and returns it frozen.
 */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = envSchema.safeParse(env);
  const isSet = (name: string) => (env[name] ?? '').trim() !== '';
  // The rules read the raw environment, so they still run (and report) when a
  // variable failed its own check; a bad NODE_ENV is not production.
  const input: RuleInput = { isProduction: env.NODE_ENV?.trim() === 'production', isSet };
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map(describeProblem)),
    ...rules.flatMap((rule) => rule(input)),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);

  const values = parsed.data;
  const context: ConfigContext = { nodeEnv: values.NODE_ENV, isProduction: input.isProduction };
  return deepFreeze<Config>({
    ...context,
    ...readServerSettings(values, context),
    ...readDatabaseSettings(values),
    ...readSessionSettings(values, context),
    ...readHashingSettings(values),
    ...readAccountSettings(values),
    ...readCorsSettings(values),
    ...readRateLimitSettings(values),
    ...readAuditSettings(values),
    ...readMailSettings(values, context),
    ...readPasswordResetSettings(values),
    ...readReauthSettings(values),
    ...readConfirmationSettings(values),
    ...readTwoStepSettings(values),
  });
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (typeof child === 'object' && child !== null) deepFreeze(child as object);
  }
  return Object.freeze(value);
}
