import path from 'node:path';
import { rateLimitVariables } from '../src/abuse/rate-limits.config';
import { accountVariables } from '../src/accounts/accounts.config';
import { corsVariables } from '../src/api/cors.config';
import { hashingVariables } from '../src/auth/hashing.config';
import { CONFIG_VARIABLES, loadConfig } from '../src/config';
import { databaseVariables } from '../src/db/database.config';
import { auditVariables } from '../src/events/audit-log.config';
import { mailVariables } from '../src/mail/mail.config';
import { passwordResetVariables } from '../src/password-reset/password-reset.config';
import { confirmationVariables } from '../src/confirmation/confirmation.config';
import { reauthVariables } from '../src/reauth/reauth.config';
import { serverVariables } from '../src/server.config';
import { sessionVariables } from '../src/sessions/sessions.config';
import { twoStepVariables } from '../src/two-step/two-step.config';
import { problemsOf } from './helpers/config-problems';

const SECRET_40 = 'a-forty-character-secret-0123456789abcde';

describe('loadConfig defaults', () => {
  it('fills in every default for an empty development environment', () => {
    const config = loadConfig({});
    expect(config.nodeEnv).toBe('development');
    expect(config.isProduction).toBe(false);
    expect(config.port).toBe(3000);
    expect(config.sessionMinutes).toBe(30);
    expect(config.sessionAbsoluteHours).toBe(12);
    expect(config.argon2).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(config.migrateOnStart).toBe(true);
    expect(config.cookieSecure).toBe(false);
  });

  it('turns COOKIE_SECURE on by default in production', () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET_40 });
    expect(config.isProduction).toBe(true);
    expect(config.cookieSecure).toBe(true);
  });

  it('lets COOKIE_SECURE and MIGRATE_ON_START be switched explicitly', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: SECRET_40,
      COOKIE_SECURE: 'false',
      MIGRATE_ON_START: 'off',
    });
    expect(config.cookieSecure).toBe(false);
    expect(config.migrateOnStart).toBe(false);
    expect(loadConfig({ COOKIE_SECURE: 'Yes' }).cookieSecure).toBe(true);
  });

  it('fills in the defaults of the other settings', () => {
    const config = loadConfig({});
    expect(config.host).toBe('127.0.0.1');
    expect(config.trustProxy).toBe(false);
    expect(config.logLevel).toBe('info');
    expect(config.databasePoolSize).toBe(10);
    expect(config.passwordMinLength).toBe(12);
    expect(config.isSignupOpen).toBe(true);
    expect(config.corsOrigins).toEqual([]);
    expect(config.auditRetentionDays).toBe(90);
    expect(config.hashing).toEqual({
      concurrency: expect.any(Number),
      queueSize: 64,
      queueTimeoutMs: 2000,
    });
    expect(config.hashing.concurrency).toBeGreaterThanOrEqual(1);
    expect(config.redisUrl).toBeNull();
    expect(config.isRateLimitFailClosed).toBe(false);
    expect(config.dataKey).toBeNull();
    const perMinutes = (points: number, minutes: number) => ({
      points,
      durationSeconds: minutes * 60,
    });
    expect(config.rateLimits).toEqual({
      loginPerEmailAndIp: perMinutes(5, 15),
      loginPerIp: perMinutes(50, 60),
      loginPerEmail: perMinutes(100, 24 * 60),
      loginPerDevice: perMinutes(10, 15),
      signupPerIp: perMinutes(10, 60),
      passwordChangePerUser: perMinutes(5, 15),
      reauthPerUser: perMinutes(5, 15),
      twoStepPerUser: perMinutes(5, 15),
      resetPerIp: perMinutes(20, 60),
      resetPerEmail: perMinutes(5, 60),
      resetMailsPerHour: 3,
      confirmMailsPerAddress: perMinutes(5, 60),
      emailChangePerUser: perMinutes(5, 60),
    });
  });

  it('listens on every interface in production, and logs nothing in tests', () => {
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET_40 }).host).toBe('0.0.0.0');
    expect(loadConfig({ NODE_ENV: 'test' }).logLevel).toBe('silent');
    expect(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
  });

  it('treats a blank variable as unset', () => {
    const config = loadConfig({ PORT: '', SESSION_MINUTES: '  ', NODE_ENV: '' });
    expect(config.port).toBe(3000);
    expect(config.sessionMinutes).toBe(30);
    expect(config.nodeEnv).toBe('development');
  });

  it('reads numbers that are given', () => {
    const config = loadConfig({
      PORT: '8080',
      SESSION_MINUTES: '15',
      SESSION_ABSOLUTE_HOURS: '24',
      ARGON2_MEMORY_KIB: '65536',
      ARGON2_TIME: '3',
      ARGON2_PARALLELISM: '4',
    });
    expect(config.port).toBe(8080);
    expect(config.sessionMinutes).toBe(15);
    expect(config.sessionAbsoluteHours).toBe(24);
    expect(config.argon2).toEqual({ memoryCost: 65536, timeCost: 3, parallelism: 4 });
  });
});

describe('DATABASE_URL', () => {
  it('defaults to an absolute SQLite file data/gatehouse.db', () => {
    const { database } = loadConfig({});
    expect(database.kind).toBe('sqlite');
    if (database.kind !== 'sqlite') return;
    expect(path.isAbsolute(database.filename)).toBe(true);
    expect(database.filename.endsWith(path.join('data', 'gatehouse.db'))).toBe(true);
  });

  it('accepts sqlite::memory:', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).database).toEqual({
      kind: 'sqlite',
      filename: ':memory:',
    });
  });

  it('resolves a relative sqlite: path to an absolute one', () => {
    const { database } = loadConfig({ DATABASE_URL: 'sqlite:relative/path.db' });
    expect(database).toEqual({ kind: 'sqlite', filename: path.resolve('relative/path.db') });
    if (database.kind === 'sqlite') expect(path.isAbsolute(database.filename)).toBe(true);
  });

  it('accepts postgres:// and postgresql:// URLs as they are', () => {
    for (const url of ['postgres://app:pw@db:5432/gatehouse', 'postgresql://db/gatehouse']) {
      expect(loadConfig({ DATABASE_URL: url }).database).toEqual({
        kind: 'postgres',
        connectionString: url,
      });
    }
  });
});

describe('invalid configuration', () => {
  it.each([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['SESSION_MINUTES', { SESSION_MINUTES: '0' }],
    ['COOKIE_SECURE', { COOKIE_SECURE: 'maybe' }],
    ['NODE_ENV', { NODE_ENV: 'staging' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['DATABASE_URL', { DATABASE_URL: 'sqlite:' }],
    ['JWT_SECRET', { JWT_SECRET: 'x'.repeat(31) }],
    ['ARGON2_MEMORY_KIB', { ARGON2_MEMORY_KIB: '4' }],
    // One mail an hour would leave strangers none and keep it all for devices.
    ['RESET_MAILS_PER_HOUR', { RESET_MAILS_PER_HOUR: '1' }],
    ['AUDIT_RETENTION_DAYS', { AUDIT_RETENTION_DAYS: '0' }],
    ['RATE_LIMIT_LOGIN_DEVICE', { RATE_LIMIT_LOGIN_DEVICE: 'ten a minute' }],
  ])('throws a ConfigError naming %s for %j', (name, env) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}\\b`));
  });

  it('refuses TRUST_PROXY=true, saying what to give instead', () => {
    expect(problemsOf({ TRUST_PROXY: ' true ' })).toEqual([
      'TRUST_PROXY=true would let any client choose its IP: give the hop count (e.g. 1) or the proxy addresses (e.g. loopback, 10.0.0.0/8)',
    ]);
  });

  it('accepts a JWT_SECRET of exactly 32 characters', () => {
    const config = loadConfig({ JWT_SECRET: 'x'.repeat(32) });
    expect(config.jwtSecret).toBe('x'.repeat(32));
    expect(config.isJwtSecretGenerated).toBe(false);
  });

  it('requires JWT_SECRET in production', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('JWT_SECRET');
    expect(problems[0]).toContain('production');
  });

  it('reports several malformed variables at once', () => {
    const problems = problemsOf({
      PORT: 'abc',
      SESSION_MINUTES: '0',
      COOKIE_SECURE: 'maybe',
      NODE_ENV: 'staging',
    });
    expect(problems).toHaveLength(4);
    for (const name of ['PORT', 'SESSION_MINUTES', 'COOKIE_SECURE', 'NODE_ENV']) {
      expect(problems.some((problem) => problem.startsWith(`${name} `))).toBe(true);
    }
  });

  it('reports a bad DATABASE_URL and a short JWT_SECRET together', () => {
    const problems = problemsOf({ DATABASE_URL: 'mysql://x', JWT_SECRET: 'short' });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^DATABASE_URL /);
    expect(problems[1]).toMatch(/^JWT_SECRET /);
  });

  it('reports malformed numbers together with DATABASE_URL and JWT_SECRET problems', () => {
    const problems = problemsOf({ PORT: 'abc', DATABASE_URL: 'mysql://x', JWT_SECRET: 'short' });
    expect(problems).toHaveLength(3);
    for (const name of ['PORT', 'DATABASE_URL', 'JWT_SECRET']) {
      expect(problems.some((problem) => problem.startsWith(`${name} `))).toBe(true);
    }
  });
});

describe('TRUST_PROXY', () => {
  it.each([
    ['false', false],
    ['1', 1],
    [' 2 ', 2],
    ['loopback', 'loopback'],
    ['loopback, 10.0.0.0/8', 'loopback, 10.0.0.0/8'],
  ])('reads %j as %j', (given, expected) => {
    expect(loadConfig({ TRUST_PROXY: given }).trustProxy).toBe(expected);
  });
});

describe('the JWT secret', () => {
  it('is generated at random per load in development when none is given', () => {
    const first = loadConfig({});
    const second = loadConfig({});
    expect(first.isJwtSecretGenerated).toBe(true);
    expect(first.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(second.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(first.jwtSecret).not.toBe(second.jwtSecret);
  });

  it('is the given one when JWT_SECRET is set', () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET_40 });
    expect(config.jwtSecret).toBe(SECRET_40);
    expect(config.isJwtSecretGenerated).toBe(false);
  });
});

describe('DATA_KEY (the key two-step secrets are encrypted with)', () => {
  it('is kept as given, and refused when shorter than 32 characters', () => {
    expect(loadConfig({ DATA_KEY: SECRET_40 }).dataKey).toBe(SECRET_40);
    expect(problemsOf({ DATA_KEY: 'short' })).toEqual([
      'DATA_KEY must be at least 32 characters (try: openssl rand -base64 48)',
    ]);
  });
});

describe('the loaded configuration', () => {
  it('takes each variable from exactly one feature', () => {
    const features = [
      serverVariables,
      databaseVariables,
      sessionVariables,
      hashingVariables,
      accountVariables,
      corsVariables,
      rateLimitVariables,
      auditVariables,
      mailVariables,
      passwordResetVariables,
      reauthVariables,
      confirmationVariables,
      twoStepVariables,
    ];
    // Two features naming one variable would leave only the last one's rule.
    const names = features.flatMap((variables) => Object.keys(variables));
    expect(new Set(names).size).toBe(names.length);
    expect(['NODE_ENV', ...names].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('is frozen all the way down', () => {
    const config = loadConfig({ CORS_ORIGINS: 'https://app.example.com' });
    for (const part of [
      config.database,
      config.mail,
      config.mail.transport,
      config.rateLimits,
      config.rateLimits.loginPerIp,
      config.hashing,
      config.corsOrigins,
    ]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
  });

  it('is frozen, down to the argon2 parameters', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.argon2)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.argon2 as { timeCost: number }).timeCost = 1;
    }).toThrow(TypeError);
    expect(config.port).toBe(3000);
    expect(config.argon2.timeCost).toBe(2);
  });
});
