import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseRateLimit, type RateLimit } from './abuse/rate-limit';
import { projectRoot } from './paths';

export type DatabaseLocation =
  { kind: 'sqlite'; filename: string } | { kind: 'postgres'; connectionString: string };

/** Where account e-mail goes: an SMTP server, the development mailbox folder, or nowhere. */
export type MailTransportConfig =
  { kind: 'smtp'; url: string } | { kind: 'directory'; dir: string } | { kind: 'off' };

export interface MailConfig {
  transport: MailTransportConfig;
  /** The From header of every message. */
  from: string;
  /** Where links in e-mails point: never taken from a request's Host header. */
  publicUrl: string;
}

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  isProduction: boolean;
  port: number;
  host: string;
  database: DatabaseLocation;
  /** Postgres connections per instance (pg pool size); unused on SQLite. */
  databasePoolSize: number;
  jwtSecret: string;
  /** True when no JWT_SECRET was given and a per-process one was generated. */
  isJwtSecretGenerated: boolean;
  sessionMinutes: number;
  /** A rolling session never outlives its login by more than this. */
  sessionAbsoluteHours: number;
  cookieSecure: boolean;
  argon2: Argon2Params;
  migrateOnStart: boolean;
  /** Shortest password accepted at sign-up and password change. */
  passwordMinLength: number;
  isSignupOpen: boolean;
  /** Origins allowed to call /token and /users/me from a browser (no credentials). */
  corsOrigins: readonly string[];
  /** Express `trust proxy`: false unless TRUST_PROXY says which proxies to believe. */
  trustProxy: boolean | number | string;
  rateLimits: {
    loginPerEmailAndIp: RateLimit;
    loginPerIp: RateLimit;
    loginPerEmail: RateLimit;
    loginPerDevice: RateLimit;
    signupPerIp: RateLimit;
    passwordChangePerUser: RateLimit;
    resetPerIp: RateLimit;
    resetPerEmail: RateLimit;
    /** Reset mails one address receives per hour, whoever asks (one is kept for its owner's devices). */
    resetMailsPerHour: number;
  };
  /** auth_events rows older than this are purged. */
  auditRetentionDays: number;
  mail: MailConfig;
  /** How long a password reset link works. */
  resetTokenMinutes: number;
  hashing: { concurrency: number; queueSize: number; queueTimeoutMs: number };
  /** Shared rate-limit counters for several instances; null keeps them in memory. */
  redisUrl: string | null;
  /** With Redis unreachable: refuse logins (true) or count per instance (false). */
  isRateLimitFailClosed: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ConfigError';
  }
}

const MIN_SECRET_LENGTH = 32;

const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']))
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

const positiveInt = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const rateLimit = z.string().transform((text, ctx) => {
  const limit = parseRateLimit(text);
  if (!limit) {
    ctx.addIssue({
      code: 'custom',
      message: 'must look like 5/15m (attempts / period in s, m, h or d)',
    });
    return z.NEVER;
  }
  return limit;
});

const blankToUndefined = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const envSchema = z.object({
  NODE_ENV: z.preprocess(
    blankToUndefined,
    z.enum(['development', 'production', 'test']).default('development'),
  ),
  PORT: z.preprocess(blankToUndefined, positiveInt(0, 65535).optional()),
  HOST: z.preprocess(blankToUndefined, z.string().trim().min(1).optional()),
  DATABASE_URL: z.preprocess(blankToUndefined, z.string().trim().optional()),
  DATABASE_POOL_SIZE: z.preprocess(blankToUndefined, positiveInt(1, 1000).optional()),
  JWT_SECRET: z.preprocess(blankToUndefined, z.string().optional()),
  SESSION_MINUTES: z.preprocess(blankToUndefined, positiveInt(1, 60 * 24 * 30).optional()),
  SESSION_ABSOLUTE_HOURS: z.preprocess(blankToUndefined, positiveInt(1, 24 * 365).optional()),
  COOKIE_SECURE: z.preprocess(blankToUndefined, booleanFlag.optional()),
  ARGON2_MEMORY_KIB: z.preprocess(blankToUndefined, positiveInt(8, 4 * 1024 * 1024).optional()),
  ARGON2_TIME: z.preprocess(blankToUndefined, positiveInt(1, 100).optional()),
  ARGON2_PARALLELISM: z.preprocess(blankToUndefined, positiveInt(1, 64).optional()),
  MIGRATE_ON_START: z.preprocess(blankToUndefined, booleanFlag.optional()),
  PASSWORD_MIN_LENGTH: z.preprocess(blankToUndefined, positiveInt(8, 256).optional()),
  SIGNUP: z.preprocess(blankToUndefined, z.enum(['open', 'closed']).optional()),
  CORS_ORIGINS: z.preprocess(blankToUndefined, z.string().optional()),
  TRUST_PROXY: z.preprocess(blankToUndefined, z.string().trim().optional()),
  RATE_LIMIT_LOGIN_EMAIL_IP: z.preprocess(blankToUndefined, rateLimit.optional()),
  RATE_LIMIT_LOGIN_IP: z.preprocess(blankToUndefined, rateLimit.optional()),
  RATE_LIMIT_LOGIN_EMAIL: z.preprocess(blankToUndefined, rateLimit.optional()),
  RATE_LIMIT_LOGIN_DEVICE: z.preprocess(blankToUndefined, rateLimit.optional()),
  RATE_LIMIT_SIGNUP_IP: z.preprocess(blankToUndefined, rateLimit.optional()),
  RATE_LIMIT_PASSWORD_CHANGE: z.preprocess(blankToUndefined, rateLimit.optional()),
  RATE_LIMIT_RESET_IP: z.preprocess(blankToUndefined, rateLimit.optional()),
  RATE_LIMIT_RESET_EMAIL: z.preprocess(blankToUndefined, rateLimit.optional()),
  RESET_MAILS_PER_HOUR: z.preprocess(blankToUndefined, positiveInt(2, 100).optional()),
  AUDIT_RETENTION_DAYS: z.preprocess(blankToUndefined, positiveInt(1, 3650).optional()),
  SMTP_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .regex(
        /^smtps?:\/\/\S+$/,
        'must look like smtp://user:password@mail.example.com:587 (or smtps:// for TLS on connect)',
      )
      .optional(),
  ),
  MAIL_FROM: z.preprocess(blankToUndefined, z.string().trim().optional()),
  MAIL_DIR: z.preprocess(blankToUndefined, z.string().trim().optional()),
  PUBLIC_URL: z.preprocess(blankToUndefined, z.string().trim().optional()),
  RESET_TOKEN_MINUTES: z.preprocess(blankToUndefined, positiveInt(5, 24 * 60).optional()),
  HASH_CONCURRENCY: z.preprocess(blankToUndefined, positiveInt(1, 256).optional()),
  HASH_QUEUE: z.preprocess(blankToUndefined, positiveInt(0, 100_000).optional()),
  HASH_QUEUE_TIMEOUT_MS: z.preprocess(blankToUndefined, positiveInt(1, 600_000).optional()),
  REDIS_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .trim()
      .regex(/^rediss?:\/\/\S+$/, 'must look like redis://host:6379 (or rediss:// for TLS)')
      .optional(),
  ),
  RATE_LIMIT_FAIL_CLOSED: z.preprocess(blankToUndefined, booleanFlag.optional()),
  LOG_LEVEL: z.preprocess(
    blankToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  ),
});

/** Every environment variable Gatehouse reads; `.env.example` documents each. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/** Parses DATABASE_URL: unset means the embedded SQLite file under data/. */
export function parseDatabaseUrl(url: string | undefined): DatabaseLocation {
  if (url === undefined) {
    return { kind: 'sqlite', filename: path.join(projectRoot, 'data', 'gatehouse.db') };
  }
  if (url.startsWith('sqlite:')) {
    const target = url.slice('sqlite:'.length);
    if (target === '') throw new Error('sqlite: needs a path, e.g. sqlite:data/gatehouse.db');
    return { kind: 'sqlite', filename: target === ':memory:' ? ':memory:' : path.resolve(target) };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return { kind: 'postgres', connectionString: url };
  }
  throw new Error('must start with sqlite: or postgres://');
}

/**
 * Reads and validates the whole configuration at once, so a bad deployment
 * hears about every problem in one go, and returns it frozen.
 */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = envSchema.safeParse(env);
  const problems: string[] = parsed.success
    ? []
    : parsed.error.issues.map(
        (issue) => `${String(issue.path[0] ?? 'environment')} ${describeIssue(issue)}`,
      );
  // The checks that involve several variables read the raw values, so they
  // still run (and report) when another variable failed the schema.
  const raw = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  const isProduction = raw('NODE_ENV')?.trim() === 'production';

  let database: DatabaseLocation | undefined;
  try {
    database = parseDatabaseUrl(raw('DATABASE_URL')?.trim());
  } catch (error) {
    problems.push(`DATABASE_URL ${(error as Error).message}`);
  }

  const secret = raw('JWT_SECRET');
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    problems.push(
      `JWT_SECRET must be at least ${MIN_SECRET_LENGTH} characters (try: openssl rand -base64 48)`,
    );
  } else if (secret === undefined && isProduction) {
    problems.push(
      `JWT_SECRET must be set in production (at least ${MIN_SECRET_LENGTH} characters, e.g. openssl rand -base64 48)`,
    );
  }

  const corsOrigins = parseOrigins(raw('CORS_ORIGINS'), problems);
  if (raw('TRUST_PROXY')?.trim() === 'true') {
    problems.push(
      'TRUST_PROXY=true would let any client choose its IP: give the hop count (e.g. 1) or the proxy addresses (e.g. loopback, 10.0.0.0/8)',
    );
  }

  const mail = parseMailSettings(
    {
      smtpUrl: raw('SMTP_URL')?.trim(),
      from: raw('MAIL_FROM')?.trim(),
      dir: raw('MAIL_DIR')?.trim(),
      publicUrl: raw('PUBLIC_URL')?.trim(),
      port: raw('PORT')?.trim(),
    },
    isProduction,
    problems,
  );

  if (!parsed.success || problems.length > 0 || database === undefined) {
    throw new ConfigError(problems);
  }
  const values = parsed.data;
  const nodeEnv = values.NODE_ENV;

  return Object.freeze({
    nodeEnv,
    isProduction,
    port: values.PORT ?? 3000,
    // Development listens on loopback only; production (containers) on every interface.
    host: values.HOST ?? (isProduction ? '0.0.0.0' : '127.0.0.1'),
    database,
    databasePoolSize: values.DATABASE_POOL_SIZE ?? 10,
    jwtSecret: secret ?? randomBytes(48).toString('base64'),
    isJwtSecretGenerated: secret === undefined,
    sessionMinutes: values.SESSION_MINUTES ?? 30,
    sessionAbsoluteHours: values.SESSION_ABSOLUTE_HOURS ?? 12,
    cookieSecure: values.COOKIE_SECURE ?? isProduction,
    argon2: Object.freeze({
      memoryCost: values.ARGON2_MEMORY_KIB ?? 19456,
      timeCost: values.ARGON2_TIME ?? 2,
      parallelism: values.ARGON2_PARALLELISM ?? 1,
    }),
    migrateOnStart: values.MIGRATE_ON_START ?? true,
    passwordMinLength: values.PASSWORD_MIN_LENGTH ?? 12,
    isSignupOpen: (values.SIGNUP ?? 'open') === 'open',
    corsOrigins: Object.freeze(corsOrigins),
    trustProxy: parseTrustProxy(values.TRUST_PROXY),
    rateLimits: Object.freeze({
      loginPerEmailAndIp: values.RATE_LIMIT_LOGIN_EMAIL_IP ?? {
        points: 5,
        durationSeconds: 15 * 60,
      },
      loginPerIp: values.RATE_LIMIT_LOGIN_IP ?? { points: 50, durationSeconds: 3600 },
      loginPerEmail: values.RATE_LIMIT_LOGIN_EMAIL ?? { points: 100, durationSeconds: 86_400 },
      loginPerDevice: values.RATE_LIMIT_LOGIN_DEVICE ?? { points: 10, durationSeconds: 15 * 60 },
      signupPerIp: values.RATE_LIMIT_SIGNUP_IP ?? { points: 10, durationSeconds: 3600 },
      passwordChangePerUser: values.RATE_LIMIT_PASSWORD_CHANGE ?? {
        points: 5,
        durationSeconds: 15 * 60,
      },
      resetPerIp: values.RATE_LIMIT_RESET_IP ?? { points: 20, durationSeconds: 3600 },
      resetPerEmail: values.RATE_LIMIT_RESET_EMAIL ?? { points: 5, durationSeconds: 3600 },
      resetMailsPerHour: values.RESET_MAILS_PER_HOUR ?? 3,
    }),
    auditRetentionDays: values.AUDIT_RETENTION_DAYS ?? 90,
    mail: Object.freeze(mail),
    resetTokenMinutes: values.RESET_TOKEN_MINUTES ?? 30,
    redisUrl: values.REDIS_URL ?? null,
    isRateLimitFailClosed: values.RATE_LIMIT_FAIL_CLOSED ?? false,
    hashing: Object.freeze({
      concurrency: values.HASH_CONCURRENCY ?? availableParallelism(),
      queueSize: values.HASH_QUEUE ?? 64,
      queueTimeoutMs: values.HASH_QUEUE_TIMEOUT_MS ?? 2000,
    }),
    logLevel: values.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
  });
}

/**
 * TRUST_PROXY as Express understands it: unset/false (the socket address is
 * the client: X-Forwarded-For is ignored), a hop count, or addresses/subnets
 * such as `loopback` or `10.0.0.0/8`. `true` (trust any proxy) is refused
 * because it lets every client choose its own IP.
 */
function parseTrustProxy(raw: string | undefined): boolean | number | string {
  if (raw === undefined || raw === 'false') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw;
}

const DEVELOPMENT_MAIL_FROM = 'Gatehouse <no-reply@localhost>';

/**
 * The mail settings. With SMTP_URL, mail goes to that server. Without it,
 * development and tests write each message to the mailbox folder (MAIL_DIR,
 * default data/mail) so the reset flow works with the two-command start, and
 * production sends nothing (reset is off, with a warning at start-up).
 */
function parseMailSettings(
  raw: {
    smtpUrl?: string;
    from?: string;
    dir?: string;
    publicUrl?: string;
    port?: string;
  },
  isProduction: boolean,
  problems: string[],
): MailConfig {
  const isSmtp = raw.smtpUrl !== undefined;
  // Only a value that passed the schema's shape check; one mistake, one message.
  if (
    raw.smtpUrl !== undefined &&
    /^smtps?:\/\/\S+$/.test(raw.smtpUrl) &&
    !isValidUrl(raw.smtpUrl)
  ) {
    problems.push(
      'SMTP_URL is not a valid URL (percent-encode special characters in the password)',
    );
  }
  if (
    raw.from !== undefined &&
    !/^(?:[^<>@\s][^<>]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/.test(raw.from)
  ) {
    problems.push(
      'MAIL_FROM must be an address, e.g. no-reply@example.com or "Gatehouse <no-reply@example.com>"',
    );
  }
  if (isProduction && isSmtp && raw.from === undefined) {
    problems.push(
      'MAIL_FROM must be set in production when SMTP_URL is set (e.g. no-reply@example.com)',
    );
  }
  let publicUrl = `http://localhost:${raw.port ?? '3000'}`;
  if (raw.publicUrl !== undefined) {
    const parsed = parsePublicUrl(raw.publicUrl);
    if (parsed === undefined) {
      problems.push(
        'PUBLIC_URL must be the address people use to reach Gatehouse, like https://login.example.com (http or https, no query or #fragment)',
      );
    } else {
      publicUrl = parsed;
    }
  } else if (isProduction && isSmtp) {
    problems.push(
      'PUBLIC_URL must be set in production when SMTP_URL is set: links in e-mails are built from it (e.g. https://login.example.com)',
    );
  }
  const transport: MailTransportConfig =
    raw.smtpUrl !== undefined
      ? { kind: 'smtp', url: raw.smtpUrl }
      : isProduction
        ? { kind: 'off' }
        : {
            kind: 'directory',
            dir: path.resolve(raw.dir ?? path.join(projectRoot, 'data', 'mail')),
          };
  return { transport, from: raw.from ?? DEVELOPMENT_MAIL_FROM, publicUrl };
}

function isValidUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

/** An http(s) base URL without credentials, query or fragment; no trailing slash. */
function parsePublicUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const isPlain =
    ['http:', 'https:'].includes(url.protocol) &&
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === '' &&
    !text.includes('?') &&
    !text.includes('#');
  return isPlain ? `${url.origin}${url.pathname.replace(/\/+$/, '')}` : undefined;
}

/** CORS_ORIGINS: comma-separated origins such as https://app.example.com. */
function parseOrigins(raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined) return [];
  const origins: string[] = [];
  for (const entry of raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (
      !url ||
      !['http:', 'https:'].includes(url.protocol) ||
      url.origin !== entry.replace(/\/$/, '')
    ) {
      problems.push(`CORS_ORIGINS entry "${entry}" must be an origin like https://app.example.com`);
    } else {
      origins.push(url.origin);
    }
  }
  return origins;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') {
    return `must be one of: ${issue.values.map(String).join(', ')}`;
  }
  if (issue.code === 'too_small') return `must be at least ${String(issue.minimum)}`;
  if (issue.code === 'too_big') return `must be at most ${String(issue.maximum)}`;
  return issue.message;
}
