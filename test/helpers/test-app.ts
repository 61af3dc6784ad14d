import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { Pool } from 'pg';
import { createApp } from '../../src/app';
import { createPasswordHasher, type PasswordHasher } from '../../src/auth/password';
import { createBackgroundTasks, type BackgroundTasks } from '../../src/background-tasks';
import { createManualClock } from '../../src/clock';
import { loadConfig, type Config } from '../../src/config';
import type { DatabaseHandle, Db } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';
import { openDatabase } from '../../src/db/open-database';
import { createLogger } from '../../src/logger';
import { accountMailFromConfig, type AccountMail } from '../../src/mail/account-mail';
import type { User } from '../../src/users/user';
import { createUserAdmin, type UserAdmin } from '../../src/users/users.admin';
import { registerUser } from '../../src/users/users.service';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
export const TEST_PASSWORD = 'a perfectly fine passphrase';

/** Cheap argon2 parameters so the suite runs quickly; one test uses the real ones. */
export const FAST_ARGON2_ENV = { ARGON2_MEMORY_KIB: '1024', ARGON2_TIME: '1' };

export interface TestApp {
  app: Express;
  config: Config;
  database: DatabaseHandle;
  db: Db;
  clock: ReturnType<typeof createManualClock>;
  hasher: PasswordHasher;
  dir: string;
  /** The development mailbox (MAIL_DIR) unless the test set SMTP_URL. */
  mailDir: string;
  /** Await `background.drain()` before looking for mail the app sent. */
  background: BackgroundTasks;
  /** The same mail the app sends, for services built beside it (the admin CLI's). */
  accountMail: AccountMail;
  createUser(input?: Partial<{ email: string; password: string; fullName: string }>): Promise<User>;
  /** What `npm run user` does, on this app's database, mail and clock. */
  userAdmin(): UserAdmin;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Wraps the real hasher, e.g. to count calls. */
  wrapHasher?: (hasher: PasswordHasher) => PasswordHasher;
}

/**
 * Which database the route tests run on: SQLite (default), or a real Postgres
 * with TEST_DATABASE=postgres (each test app in a schema of its own, dropped
 * at close) at TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
const TEST_DATABASE = process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
const TEST_POSTGRES_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function createPostgresSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `gatehouse_test_${randomUUID().replace(/-/g, '')}`;
  const admin = new Pool({ connectionString: TEST_POSTGRES_URL, max: 1 });
  await admin.query(`create schema ${schema}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    },
  };
}

/** A real app on a real, freshly migrated database (SQLite file or Postgres schema). */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-test-'));
  const postgres = TEST_DATABASE === 'postgres' ? await createPostgresSchema() : undefined;
  const mailDir = path.join(dir, 'mail');
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: postgres?.url ?? `sqlite:${path.join(dir, 'test.db')}`,
    MAIL_DIR: mailDir,
    PUBLIC_URL: 'http://gatehouse.test',
    JWT_SECRET: TEST_SECRET,
    ...FAST_ARGON2_ENV,
    ...options.env,
  });
  const database = openDatabase(config.database);
  await migrateToLatest(database);
  const clock = createManualClock(new Date());
  const realHasher = createPasswordHasher(config.argon2);
  const hasher = options.wrapHasher ? options.wrapHasher(realHasher) : realHasher;
  const logger = createLogger(config);
  const background = createBackgroundTasks(logger);
  const app = createApp({ config, database, clock, hasher, logger, background });
  const accountMail = accountMailFromConfig({ config, logger, clock, background });
  let userCount = 0;
  return {
    app,
    config,
    database,
    db: database.db,
    clock,
    hasher,
    dir,
    mailDir,
    background,
    accountMail,
    userAdmin: () =>
      createUserAdmin({
        db: database.db,
        hasher: realHasher,
        clock,
        policy: { minLength: config.passwordMinLength },
        accountMail,
        logger,
      }),
    createUser(input = {}) {
      userCount += 1;
      return registerUser(
        { db: database.db, hasher: realHasher, clock },
        {
          email: input.email ?? `user${userCount}@example.com`,
          password: input.password ?? TEST_PASSWORD,
          fullName: input.fullName ?? `Test User ${userCount}`,
        },
      );
    },
    async close() {
      await background.drain();
      await database.close();
      await postgres?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
