import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { listMigrations } from '../../migrations';
import { createPasswordHasher } from '../../src/auth/password';
import { createManualClock } from '../../src/clock';
import type { DatabaseHandle } from '../../src/db/database';
import { isSchemaCurrent, migrateDown, migrateToLatest } from '../../src/db/migrate';
import { openDatabase } from '../../src/db/open-database';
import { insertSession } from '../../src/sessions/sessions.repository';
import { EmailTakenError } from '../../src/users/user';
import { insertUser } from '../../src/users/users.repository';
import { registerUser } from '../../src/users/users.service';

const MIGRATION_NAMES = Object.keys(listMigrations('sqlite'));

async function tableNames(handle: DatabaseHandle): Promise<string[]> {
  const tables = await handle.db.introspection.getTables();
  return tables.map((table) => table.name).sort();
}

describe('migrations on a SQLite file', () => {
  let dir: string;
  let handle: DatabaseHandle;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-migrations-'));
    handle = openDatabase({ kind: 'sqlite', filename: path.join(dir, 'app.db') });
  });
  afterEach(async () => {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are listed in name order, starting with users then sessions', () => {
    expect(MIGRATION_NAMES.slice(0, 2)).toEqual(['0001_create_users', '0002_create_sessions']);
    expect([...MIGRATION_NAMES].sort()).toEqual(MIGRATION_NAMES);
  });

  it('migrateToLatest creates users and sessions on a fresh file and reports each step', async () => {
    expect(await tableNames(handle)).toEqual([]);
    const steps = await migrateToLatest(handle);
    expect(steps).toEqual(MIGRATION_NAMES.map((name) => `Up ${name}`));
    const tables = await tableNames(handle);
    expect(tables).toContain('users');
    expect(tables).toContain('sessions');
  });

  it('migrateToLatest does nothing the second time', async () => {
    await migrateToLatest(handle);
    expect(await migrateToLatest(handle)).toEqual([]);
  });

  it('isSchemaCurrent is false before migrating and true after', async () => {
    expect(await isSchemaCurrent(handle)).toBe(false);
    await migrateToLatest(handle);
    expect(await isSchemaCurrent(handle)).toBe(true);
    await migrateDown(handle);
    expect(await isSchemaCurrent(handle)).toBe(false);
  });

  it('migrateDown reverts one step at a time, newest first, down to no tables', async () => {
    await migrateToLatest(handle);
    for (const name of [...MIGRATION_NAMES].reverse()) {
      expect(await migrateDown(handle)).toEqual([`Down ${name}`]);
      if (name === '0002_create_sessions') {
        expect(await tableNames(handle)).toEqual(['users']);
      }
    }
    expect(await tableNames(handle)).toEqual([]);
    expect(await migrateDown(handle)).toEqual([]);
  });

  it('migrates up again after everything was reverted', async () => {
    await migrateToLatest(handle);
    for (let step = 0; step < MIGRATION_NAMES.length; step += 1) await migrateDown(handle);
    expect(await migrateToLatest(handle)).toHaveLength(MIGRATION_NAMES.length);
    expect(await isSchemaCurrent(handle)).toBe(true);
    expect(await tableNames(handle)).toEqual(expect.arrayContaining(['users', 'sessions']));
  });
});

describe('a migrated SQLite database', () => {
  let dir: string;
  let handle: DatabaseHandle;
  const clock = createManualClock();
  const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
  const newUser = (email: string) =>
    insertUser(handle.db, {
      email,
      fullName: 'Ada',
      passwordHash: 'not-a-real-hash',
      now: clock.now(),
      isConfirmed: true,
    });

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-schema-'));
    handle = openDatabase({ kind: 'sqlite', filename: path.join(dir, 'app.db') });
    await migrateToLatest(handle);
  });
  afterEach(async () => {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs in WAL mode with foreign keys on and a 5 s busy timeout', async () => {
    const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(handle.db);
    const foreignKeys = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(handle.db);
    const busy = await sql<{ timeout: number }>`pragma busy_timeout`.execute(handle.db);
    expect(journal.rows).toEqual([{ journal_mode: 'wal' }]);
    expect(foreignKeys.rows).toEqual([{ foreign_keys: 1 }]);
    expect(busy.rows).toEqual([{ timeout: 5000 }]);
  });

  it('refuses a second user with the same e-mail with EmailTakenError', async () => {
    await newUser('ada@example.com');
    await expect(newUser('ada@example.com')).rejects.toBeInstanceOf(EmailTakenError);
    const rows = await handle.db.selectFrom('users').select('email').execute();
    expect(rows).toEqual([{ email: 'ada@example.com' }]);
  });

  it('deletes the sessions of a deleted user', async () => {
    const ada = await newUser('ada@example.com');
    const bob = await newUser('bob@example.com');
    for (const [id, userId] of [
      ['s-ada-1', ada.id],
      ['s-ada-2', ada.id],
      ['s-bob-1', bob.id],
    ] as const) {
      await insertSession(handle.db, {
        id,
        userId,
        kind: 'browser',
        createdAt: clock.now(),
        expiresAt: new Date(clock.now().getTime() + 60_000),
        userAgent: null,
        ip: null,
      });
    }
    await handle.db.deleteFrom('users').where('id', '=', ada.id).execute();
    const left = await handle.db.selectFrom('sessions').select('id').execute();
    expect(left).toEqual([{ id: 's-bob-1' }]);
  });

  it('refuses a session for a user that does not exist', async () => {
    // Matched by code, not with toThrow: better-sqlite3's native part keeps the
    // SqliteError class of the first test file that loaded it, so in later files
    // of the same jest worker the error is not an `Error` of this realm.
    await expect(
      insertSession(handle.db, {
        id: 'orphan',
        userId: 999,
        kind: 'browser',
        createdAt: clock.now(),
        expiresAt: clock.now(),
        userAgent: null,
        ip: null,
      }),
    ).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
  });

  it('lets exactly one of two racing registrations of one e-mail succeed', async () => {
    const deps = { db: handle.db, hasher, clock };
    const results = await Promise.allSettled([
      registerUser(deps, {
        email: 'race@example.com',
        fullName: 'First',
        password: 'first pw 123',
      }),
      registerUser(deps, {
        email: ' RACE@example.com',
        fullName: 'Second',
        password: 'second pw 1',
      }),
    ]);
    const fulfilled = results.filter((result) => result.status === 'fulfilled');
    const rejected = results.filter((result) => result.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(EmailTakenError);
    const rows = await handle.db.selectFrom('users').select('email').execute();
    expect(rows).toEqual([{ email: 'race@example.com' }]);
  });
});
