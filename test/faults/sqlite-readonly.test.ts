import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { DatabaseHandle } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';
import { openDatabase } from '../../src/db/open-database';
import { extractCsrfToken, newBrowser } from '../helpers/browser';
import { canMakeImmutable, describeIfCapable } from '../helpers/services';
import { logMessages, type RunningServer } from '../helpers/spawn';
import {
  captureLogger,
  expectUnavailablePage,
  openReadOnly,
  FAULT_TEST_ENV,
  signUpThroughForm,
  SIGNUP_PASSWORD,
  storedRows,
  UNAVAILABLE_MESSAGE,
  FAULT_APP_ENV,
  startFaultServer,
  immutableScratch,
} from './support';

jest.setTimeout(60_000);

describe('a read-only SQLite file (in-process app, genuine SQLITE_READONLY)', () => {
  let dir: string;
  let dbFile: string;
  let readOnly: DatabaseHandle;
  let reader: DatabaseHandle;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-readonly-'));
    dbFile = path.join(dir, 'gatehouse.db');
    const writable = openDatabase({ kind: 'sqlite', filename: dbFile });
    await migrateToLatest(writable);
    await writable.close();
    readOnly = openReadOnly(dbFile);
    reader = openDatabase({ kind: 'sqlite', filename: dbFile });
  });
  afterEach(async () => {
    await readOnly.close();
    await reader.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function buildApp() {
    const config = loadConfig({
      ...FAULT_APP_ENV,
      ...FAULT_TEST_ENV,
      DATABASE_URL: `sqlite:${dbFile}`,
    });
    const log = captureLogger();
    return { app: createApp({ config, database: readOnly, logger: log.logger }), log };
  }

  it('answers a sign-up with the 503 page and one error line, writes nothing, and keeps serving', async () => {
    const { app, log } = buildApp();
    const browser = newBrowser(app);
    const before = await storedRows(reader.db, 'ada@example.com');

    const res = await signUpThroughForm(browser, 'ada@example.com');

    expectUnavailablePage(res);
    expect(res.headers['set-cookie'] ?? []).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^session=/)]),
    );
    const errors = log.lines.filter((line) => line.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      msg: 'database unavailable',
      path: '/signup',
      dbError: { code: 'SQLITE_READONLY' },
    });
    expect(log.text()).not.toContain(SIGNUP_PASSWORD);
    // No partial write: no user, no auth event, no session.
    const after = await storedRows(reader.db, 'ada@example.com');
    expect(after).toEqual({ ...before, hasUser: false });
    expect(after).toMatchObject({ users: 0, sessions: 0, authEvents: 0 });
    // No crash: pages that only read still work.
    await request(app).get('/').expect(200);
    await request(app).get('/login').expect(200);
  });

  it('answers JSON clients with a JSON 503 and Retry-After', async () => {
    const { app } = buildApp();
    const browser = newBrowser(app);
    const token = extractCsrfToken((await browser.get('/signup')).text);
    const res = await browser
      .post('/signup')
      .type('form')
      .set('Accept', 'application/json')
      .send({
        _csrf: token,
        email: 'json@example.com',
        full_name: 'Jay Son',
        password: SIGNUP_PASSWORD,
        password_confirmation: SIGNUP_PASSWORD,
      })
      .expect(503);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['retry-after']).toBe('60');
    expect(res.body).toEqual({ error: 'database_unavailable', message: UNAVAILABLE_MESSAGE });
  });
});

/**
 * The file made read-only under a running server, by the operating system:
 * `chattr +i` (immutable) is refused to root too, and — unlike chmod, which
 * only affects later open() calls — the kernel refuses writes through file
 * descriptors already open. SQLite's write then fails with SQLITE_IOERR_WRITE.
 *
 * Only the database and its -wal are made immutable, not the -shm: SQLite
 * maps the -shm into memory and writes it as memory, and a store to an
 * immutable mapped file kills the process with SIGBUS, which no JavaScript
 * can catch (a fault of the platform, not one this app could answer).
 *
 * That is why /readyz and start-up look at the files themselves, without
 * touching SQLite (sqlite-unwritable.test.ts).
 *
 * Needs CAP_LINUX_IMMUTABLE (root) and a file system with the attribute
 * (ext4, xfs, btrfs); elsewhere the suite says so and is skipped.
 */
const describeIfImmutable = describeIfCapable(
  canMakeImmutable(),
  'the chattr +i test needs root (CAP_LINUX_IMMUTABLE) on ext4/xfs/btrfs.',
);

describeIfImmutable('the SQLite file made read-only while the server runs (chattr +i)', () => {
  const scratch = immutableScratch('gatehouse-immutable-');
  let server: RunningServer | undefined;

  beforeEach(() => scratch.create());
  afterEach(async () => {
    // First: an immutable file cannot be deleted, not even by root.
    scratch.release();
    await server?.kill();
    server = undefined;
    scratch.remove();
  });

  it('answers 503 with an error log line, keeps serving, writes nothing, and recovers when writable', async () => {
    server = await startFaultServer(`sqlite:${scratch.dbFile}`);
    const app = server.url;
    const first = await signUpThroughForm(request.agent(app), 'before@example.com');
    expect(first.status).toBe(303);

    scratch.makeImmutable([scratch.dbFile, `${scratch.dbFile}-wal`]);

    const refused = await signUpThroughForm(request.agent(app), 'during@example.com');
    expectUnavailablePage(refused);
    const faultLines = server
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"database unavailable"'));
    expect(faultLines).toHaveLength(1);
    expect(JSON.parse(faultLines[0] ?? '{}')).toMatchObject({
      level: 50,
      path: '/signup',
      dbError: { code: 'SQLITE_IOERR_WRITE' },
    });
    expect(server.stdout()).not.toContain(SIGNUP_PASSWORD);
    // No crash: reading pages still answer, from the same process.
    await request(app).get('/').expect(200);
    expect(server.child.exitCode).toBeNull();

    scratch.release();
    // No partial write: the refused e-mail is free (a leftover user would give 409)...
    const retried = await signUpThroughForm(request.agent(app), 'during@example.com');
    expect(retried.status).toBe(303);
    expect(logMessages(server.stdout()).filter((msg) => msg === 'database unavailable')).toEqual([
      'database unavailable',
    ]);
    // ...and, read from the file itself, each sign-up wrote one user, session and event.
    const reader = openDatabase({ kind: 'sqlite', filename: scratch.dbFile });
    try {
      const rows = await storedRows(reader.db, 'during@example.com');
      expect(rows).toEqual({ hasUser: true, users: 2, sessions: 2, authEvents: 2 });
    } finally {
      await reader.close();
    }
  });
});
