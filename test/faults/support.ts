import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import pino from 'pino';
import type { Response } from 'supertest';
import type { Database, DatabaseHandle, Db } from '../../src/db/database';
import type { Logger } from '../../src/logger';
import { fetchCsrfToken, type Agent } from '../helpers/browser';
import { setImmutable } from '../helpers/services';
import { startServer, type RunningServer } from '../helpers/spawn';

/** What every database-unavailable page says (src/http/error-handler.ts). */
export const UNAVAILABLE_MESSAGE = "Gatehouse can't save or read data right now.";
export const UNAVAILABLE_ADVICE = 'Please try again in a few minutes.';

/** A password the sign-up policy accepts. */
export const SIGNUP_PASSWORD = 'analytical engine notes';

/**
 * Test-only limits: many sign-ups from one IP, hashing cheap and never queued
 * out. CONFIRMATION=off: sign-up then writes the account before it answers,
 * the write these tests break (with confirmation it is written after the
 * answer, where a fault can only be logged).
 */
export const FAULT_TEST_ENV = {
  CONFIRMATION: 'off',
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_TIME: '1',
  RATE_LIMIT_SIGNUP_IP: '100000/1h',
  HASH_QUEUE: '10000',
  HASH_QUEUE_TIMEOUT_MS: '60000',
};

/** The app as deployed: production, over plain HTTP on loopback. */
export const FAULT_APP_ENV = {
  NODE_ENV: 'production',
  COOKIE_SECURE: 'false',
  JWT_SECRET: 'a-forty-character-secret-0123456789abcde',
};

/** The environment of a fault-test server on that database: fault-test limits, logging at info. */
export function faultServerEnv(databaseUrl: string): Record<string, string> {
  return {
    ...FAULT_APP_ENV,
    ...FAULT_TEST_ENV,
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  };
}

/** `node dist/src/server.js` on that database, with the fault-test environment. */
export function startFaultServer(databaseUrl: string): Promise<RunningServer> {
  return startServer(faultServerEnv(databaseUrl));
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A real pino logger whose lines the test can read (level 50 = error). */
export function captureLogger(): { logger: Logger; lines: LogLine[]; text(): string } {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        const text = chunk.toString('utf8');
        raw.push(text);
        lines.push(JSON.parse(text) as LogLine);
        callback();
      },
    }),
  );
  return { logger, lines, text: () => raw.join('') };
}

/** The sign-up form filled in and posted, as a browser does (GET for the token, then POST). */
export async function signUpThroughForm(browser: Agent, email: string, fullName = 'Ada Lovelace') {
  const token = await fetchCsrfToken(browser, '/signup');
  return browser.post('/signup').type('form').send({
    _csrf: token,
    email,
    full_name: fullName,
    password: SIGNUP_PASSWORD,
    password_confirmation: SIGNUP_PASSWORD,
  });
}

/** Every row a sign-up writes, counted, and whether this e-mail has a user. */
export async function storedRows(db: Db, email: string) {
  const count = async (table: 'users' | 'sessions' | 'auth_events') =>
    (await db.selectFrom(table).select('id').execute()).length;
  const user = await db.selectFrom('users').select('id').where('email', '=', email).execute();
  return {
    hasUser: user.length > 0,
    users: await count('users'),
    sessions: await count('sessions'),
    authEvents: await count('auth_events'),
  };
}

/** The clear 503 page: in the site layout, in words, with Retry-After, no internals. */
export function expectUnavailablePage(res: Response): void {
  expect(res.status).toBe(503);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.headers['retry-after']).toBe('60');
  expect(res.text).toContain('<h1>Temporarily unavailable</h1>');
  expect(res.text).toContain(UNAVAILABLE_MESSAGE.replace("'", '&#x27;'));
  expect(res.text).toContain(UNAVAILABLE_ADVICE);
  expect(res.text).toContain('class="site-header"');
  expect(res.text).not.toMatch(/SQLITE_|SqliteError|readonly database|disk is full|node_modules/);
}

/**
 * The file opened the way SQLite opens a file it may not write.
 *
 * Why not chmod 0444: the tests run as root, and root ignores file
 * permissions, so the app would go on writing. Run as an ordinary user, a
 * 0444 file makes SQLite fall back to a read-only open and every write fails
 * with SQLITE_READONLY ("attempt to write a readonly database"); better-sqlite3's
 * `readonly: true` is that same read-only open, asked for explicitly, so the
 * app meets the same genuine SQLite error on its first write, as root too.
 */
export function openReadOnly(filename: string): DatabaseHandle {
  const sqlite = new SqliteDatabase(filename, { readonly: true, fileMustExist: true });
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/**
 * A scratch folder for one SQLite database whose files a test makes
 * immutable. `release()` clears the flag (an immutable file cannot be
 * deleted, not even by root), and `remove()` releases, then deletes.
 */
export function immutableScratch(prefix: string) {
  let dir = '';
  let flagged: string[] = [];
  const release = () => {
    if (flagged.length > 0) setImmutable('-i', flagged);
    flagged = [];
  };
  return {
    get dir() {
      return dir;
    },
    get dbFile() {
      return path.join(dir, 'gatehouse.db');
    },
    create() {
      dir = mkdtempSync(path.join(tmpdir(), prefix));
    },
    makeImmutable(files: string[]) {
      flagged = files;
      setImmutable('+i', files);
    },
    release,
    remove() {
      release();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
