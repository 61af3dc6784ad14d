import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { DatabaseHandle } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';
import { openDatabase } from '../../src/db/open-database';
import { cookieValue, findSetCookie, logIn, newBrowser } from '../helpers/browser';
import { describeWithService } from '../helpers/services';
import { runNode } from '../helpers/spawn';
import {
  createPostgresSchema,
  FAST_ARGON2_ENV,
  TEST_PASSWORD,
  TEST_SECRET,
} from '../helpers/test-app';

const describeWithPostgres = describeWithService('Postgres', '127.0.0.1', 5432);

/** An app on a database, as `npm start` would build it with this DATABASE_URL. */
async function appOn(databaseUrl: string) {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    JWT_SECRET: TEST_SECRET,
    // Sign-up logs straight in: this test is about the copy, not the mailbox.
    CONFIRMATION: 'off',
    ...FAST_ARGON2_ENV,
  });
  const database: DatabaseHandle = openDatabase(config.database);
  await migrateToLatest(database);
  return { app: createApp({ config, database }), database };
}

describeWithPostgres('npm run db:copy (SQLite file → Postgres)', () => {
  let dir: string;
  let schema: Awaited<ReturnType<typeof createPostgresSchema>>;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-copy-'));
    schema = await createPostgresSchema();
  });
  afterEach(async () => {
    await schema.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves users and live sessions: the old cookie and password work on Postgres', async () => {
    const sqliteUrl = `sqlite:${path.join(dir, 'gatehouse.db')}`;
    const before = await appOn(sqliteUrl);
    const signup = newBrowser(before.app);
    const page = await signup.get('/signup');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const created = await signup.post('/signup').type('form').send({
      _csrf: csrf,
      email: 'ada@example.com',
      full_name: 'Ada Lovelace',
      password: TEST_PASSWORD,
      password_confirmation: TEST_PASSWORD,
    });
    expect(created.status).toBe(303);
    const login = await logIn(newBrowser(before.app), 'ada@example.com', TEST_PASSWORD);
    const cookie = cookieValue(findSetCookie(login, 'session'));
    await before.database.close();

    const env = { NODE_ENV: 'test', DATABASE_URL: sqliteUrl, ...FAST_ARGON2_ENV };
    const copied = await runNode('cli/copy-database.js', [schema.url], env);
    expect(copied.stderr).toBe('');
    expect(copied.code).toBe(0);
    expect(copied.stdout).toMatch(
      /Copied 1 users, 2 sessions, \d+ auth_events, 0 password_resets, 0 email_confirmations\./,
    );

    const after = await appOn(schema.url);
    try {
      const privatePage = await newBrowser(after.app)
        .get('/private')
        .set('Cookie', `session=${cookie ?? ''}`);
      expect(privatePage.status).toBe(200);
      expect(privatePage.text).toContain('Ada Lovelace');
      expect((await logIn(newBrowser(after.app), 'ada@example.com', TEST_PASSWORD)).status).toBe(
        303,
      );
      // The identity moved past the copied ids: a new sign-up gets a new id.
      const next = newBrowser(after.app);
      const form = await next.get('/signup');
      const token = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
      const second = await next.post('/signup').type('form').send({
        _csrf: token,
        email: 'bob@example.com',
        full_name: 'Bob',
        password: TEST_PASSWORD,
        password_confirmation: TEST_PASSWORD,
      });
      expect(second.status).toBe(303);
      const ids = await after.database.db.selectFrom('users').select('id').orderBy('id').execute();
      expect(ids.map((row) => row.id)).toEqual([1, 2]);
    } finally {
      await after.database.close();
    }

    // A second copy into the now non-empty database is refused and changes nothing.
    const again = await runNode('cli/copy-database.js', [schema.url], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already has users');
  });

  it('explains its usage when the target is missing or not a database URL', async () => {
    const missing = await runNode('cli/copy-database.js', [], { NODE_ENV: 'test' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Usage: npm run db:copy');
    const wrong = await runNode('cli/copy-database.js', ['mysql://x'], { NODE_ENV: 'test' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('must start with sqlite: or postgres://');
  });
});
