import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import request from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { DatabaseHandle, Db } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';
import { openDatabase } from '../../src/db/open-database';
import { newBrowser } from '../helpers/browser';
import { canMountTmpfs, describeIfCapable } from '../helpers/services';
import { type RunningServer } from '../helpers/spawn';
import {
  captureLogger,
  expectUnavailablePage,
  FAULT_TEST_ENV,
  signUpThroughForm,
  SIGNUP_PASSWORD,
  storedRows,
  FAULT_APP_ENV,
  startFaultServer,
} from './support';

jest.setTimeout(60_000);

/**
 * How often the file fills up. Which write needs the next page — the user,
 * the session or the event, a table or an index — changes from one filling
 * to the next, so several show that a sign-up fails whole wherever it fails.
 */
const FILLINGS = 20;
/** A filling never takes more sign-ups than this (the first takes about a dozen). */
const MAX_ATTEMPTS_PER_FILLING = 100;

async function pragmaNumber(db: Db, name: string): Promise<number> {
  const { rows } = await sql<Record<string, number>>`pragma ${sql.raw(name)}`.execute(db);
  return Number(Object.values(rows[0] ?? {})[0]);
}

/**
 * A full disk, as SQLite meets it: `PRAGMA max_page_count` caps the file at
 * the pages it has now, on the very connection the app writes through, so
 * the first write that needs one more page fails with the genuine
 * SQLITE_FULL ("database or disk is full"), from the same code path
 * (sqlite3PagerWrite → allocate page → SQLITE_FULL) an ENOSPC from the disk
 * takes. It runs anywhere, and lifting the cap is "freeing disk space"
 * without restarting anything. The suite below fills a real file system.
 */
describe('a full disk under SQLite (genuine SQLITE_FULL)', () => {
  let dir: string;
  let database: DatabaseHandle;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-full-'));
    database = openDatabase({ kind: 'sqlite', filename: path.join(dir, 'gatehouse.db') });
    await migrateToLatest(database);
  });
  afterEach(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers each sign-up that does not fit with the 503 page and an error line, writes none of it, keeps serving and recovers', async () => {
    const config = loadConfig({
      ...FAULT_APP_ENV,
      ...FAULT_TEST_ENV,
      DATABASE_URL: `sqlite:${path.join(dir, 'gatehouse.db')}`,
    });
    const log = captureLogger();
    const app = createApp({ config, database, logger: log.logger });
    const { db } = database;

    let cap = await pragmaNumber(db, 'page_count');
    let attempt = 0;
    let accepted = 0;
    let lastRefusedEmail = '';
    for (let filling = 1; filling <= FILLINGS; filling += 1) {
      await sql`pragma max_page_count = ${sql.raw(String(cap))}`.execute(db);
      // Sign up until the file has no room left: rows fill the pages there
      // are, until one table or index needs one page more.
      let refused: Awaited<ReturnType<typeof signUpThroughForm>> | undefined;
      for (let tries = 0; tries < MAX_ATTEMPTS_PER_FILLING && !refused; tries += 1) {
        attempt += 1;
        lastRefusedEmail = `person${attempt}.${'x'.repeat(40)}@example.com`;
        const fullName = `Person ${attempt} ${'y'.repeat(80)}`;
        const res = await signUpThroughForm(newBrowser(app), lastRefusedEmail, fullName);
        if (res.status === 303) accepted += 1;
        else refused = res;
      }
      if (!refused) throw new Error(`filling ${filling}: every sign-up fitted`);
      expectUnavailablePage(refused);
      // No partial write: every accepted sign-up has its user, session and
      // event, and the refused one has none of them.
      expect({ filling, ...(await storedRows(db, lastRefusedEmail)) }).toEqual({
        filling,
        hasUser: false,
        users: accepted,
        sessions: accepted,
        authEvents: accepted,
      });
      expect(await pragmaNumber(db, 'page_count')).toBeLessThanOrEqual(cap);
      // No crash: the same app still serves pages that only read.
      await request(app).get('/').expect(200);
      cap += 1;
    }

    // One error line per refused sign-up, naming the fault and nothing private.
    const errors = log.lines.filter((line) => line.level >= 50);
    expect(errors).toHaveLength(FILLINGS);
    for (const line of errors) {
      expect(line).toMatchObject({
        msg: 'database unavailable',
        path: '/signup',
        dbError: { code: 'SQLITE_FULL', message: 'database or disk is full' },
      });
    }
    expect(log.text()).not.toContain(SIGNUP_PASSWORD);

    // Space freed: the same e-mail signs up (a leftover user row would answer 409).
    await sql`pragma max_page_count = 1073741823`.execute(db);
    const retried = await signUpThroughForm(newBrowser(app), lastRefusedEmail);
    expect(retried.status).toBe(303);
    expect(await storedRows(db, lastRefusedEmail)).toEqual({
      hasUser: true,
      users: accepted + 1,
      sessions: accepted + 1,
      authEvents: accepted + 1,
    });
    const integrity = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db);
    expect(integrity.rows).toEqual([{ integrity_check: 'ok' }]);
  });
});

/**
 * A really full file system: a 4 MiB tmpfs mounted on the test's own temp
 * directory, filled with a ballast file; SQLite's next write that needs a
 * block gets ENOSPC from the kernel, which it reports as SQLITE_FULL.
 * Deleting the ballast frees the space again.
 *
 * The mount is made where the server can see it (a private mount namespace
 * would not do: SQLite resolves the /proc/<pid>/root link that leads into
 * one, and would write beside it instead) and is always unmounted after the
 * test. Needs CAP_SYS_ADMIN; elsewhere the suite says so and is skipped.
 */
const TMPFS_SIZE = '4m';
/** The WAL's reusable room lasts a few dozen sign-ups at most. */
const MAX_ATTEMPTS_ON_FULL_DISK = 500;

const describeIfMount = describeIfCapable(
  canMountTmpfs(),
  'the full tmpfs test: mounting needs CAP_SYS_ADMIN here.',
);

describeIfMount('a full file system under a running server (tmpfs, ENOSPC)', () => {
  let dir: string;
  let isMounted = false;
  let server: RunningServer | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'gatehouse-fault', dir]);
    isMounted = true;
  });
  afterEach(async () => {
    await server?.kill();
    server = undefined;
    // Lazy: gone from the tree at once, freed when the last file closes.
    if (isMounted) execFileSync('umount', ['--lazy', dir]);
    isMounted = false;
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 with an error line, stays up, writes nothing, and recovers once space is freed', async () => {
    const dbFile = path.join(dir, 'gatehouse.db');
    server = await startFaultServer(`sqlite:${dbFile}`);
    const app = server.url;
    expect((await signUpThroughForm(request.agent(app), 'first@example.com')).status).toBe(303);

    // Fill every free block.
    const ballast = path.join(dir, 'ballast');
    const { bavail, bsize } = statfsSync(dir);
    writeFileSync(ballast, Buffer.alloc(bavail * bsize));
    expect(statfsSync(dir).bavail).toBe(0);

    // The WAL file may have room left from earlier writes (it is reused
    // from its start after a checkpoint): sign up until a write needs a block.
    let accepted = 1;
    let refusedEmail = '';
    let refused: Awaited<ReturnType<typeof signUpThroughForm>> | undefined;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS_ON_FULL_DISK && !refused; attempt += 1) {
      refusedEmail = `person${attempt}@example.com`;
      const res = await signUpThroughForm(request.agent(app), refusedEmail);
      if (res.status === 303) accepted += 1;
      else refused = res;
    }
    if (!refused) throw new Error('every sign-up fitted on a full file system');
    expectUnavailablePage(refused);
    const faults = server
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"database unavailable"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(faults).toEqual([
      expect.objectContaining({
        level: 50,
        path: '/signup',
        dbError: { code: 'SQLITE_FULL', message: 'database or disk is full' },
      }),
    ]);
    expect(server.stdout()).not.toContain(SIGNUP_PASSWORD);
    // No crash: the same process still serves.
    await request(app).get('/').expect(200);
    expect(server.child.exitCode).toBeNull();

    // Space freed: the refused e-mail is free (no leftover user: 303, not 409).
    unlinkSync(ballast);
    expect((await signUpThroughForm(request.agent(app), refusedEmail)).status).toBe(303);
    const reader = openDatabase({ kind: 'sqlite', filename: dbFile });
    try {
      expect(await storedRows(reader.db, refusedEmail)).toEqual({
        hasUser: true,
        users: accepted + 1,
        sessions: accepted + 1,
        authEvents: accepted + 1,
      });
      const integrity = await sql<{
        integrity_check: string;
      }>`pragma integrity_check`.execute(reader.db);
      expect(integrity.rows).toEqual([{ integrity_check: 'ok' }]);
    } finally {
      await reader.close();
    }
  });
});
