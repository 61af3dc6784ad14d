import argon2 from 'argon2';
import request from 'supertest';
import { logIn, newBrowser } from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';

/** The argon2 variant and parameters of a PHC hash string ("$argon2id$v=19$m=…,t=…,p=…$…"). */
function describeHash(hash: string): string {
  const [, variant = '', version = '', params = ''] = hash.split('$');
  const sorted = params
    .split(',')
    .sort((a, b) => 'mtp'.indexOf(a[0] ?? '') - 'mtp'.indexOf(b[0] ?? ''))
    .join(',');
  return `${variant} ${version} ${sorted}`;
}

/** What FAST_ARGON2_ENV configures. */
const CURRENT_PARAMS = 'argon2id v=19 m=1024,t=1,p=1';

describe('upgrading a password hash at login', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  /** A user whose hash was made before the argon2 parameters were raised. */
  async function insertUserWithOldHash(email: string): Promise<{ id: number; hash: string }> {
    const hash = await argon2.hash(TEST_PASSWORD, {
      type: argon2.argon2id,
      memoryCost: 512,
      timeCost: 1,
      parallelism: 1,
    });
    const stamp = new Date('2025-01-01T00:00:00.000Z').toISOString();
    const row = await t.db
      .insertInto('users')
      .values({
        email,
        full_name: 'Old Hash',
        password_hash: hash,
        created_at: stamp,
        updated_at: stamp,
        email_confirmed_at: stamp,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id, hash };
  }

  const readUser = (id: number) =>
    t.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('logs in a user whose hash has old parameters and stores a hash with the configured ones', async () => {
    const { id, hash: oldHash } = await insertUserWithOldHash('old@example.com');
    expect(describeHash(oldHash)).toBe('argon2id v=19 m=512,t=1,p=1');

    const browser = newBrowser(t.app);
    const res = await logIn(browser, 'old@example.com', TEST_PASSWORD);
    expect(res.status).toBe(303);
    await browser.get('/private').expect(200);

    const row = await readUser(id);
    expect(row.password_hash).not.toBe(oldHash);
    expect(describeHash(row.password_hash)).toBe(CURRENT_PARAMS);
    expect(await argon2.verify(row.password_hash, TEST_PASSWORD)).toBe(true);
    expect(row.last_login_at).toBe(t.clock.now().toISOString());
    expect(row.updated_at).toBe(t.clock.now().toISOString());

    // The upgraded hash is the one checked from now on.
    expect((await logIn(newBrowser(t.app), 'old@example.com', TEST_PASSWORD)).status).toBe(303);
    expect((await logIn(newBrowser(t.app), 'old@example.com', 'a wrong passphrase')).status).toBe(
      401,
    );
  });

  it('upgrades the hash on a /token login too', async () => {
    const { id, hash: oldHash } = await insertUserWithOldHash('old@example.com');
    await request(t.app)
      .post('/token')
      .type('form')
      .send({ username: 'old@example.com', password: TEST_PASSWORD })
      .expect(200);
    const row = await readUser(id);
    expect(row.password_hash).not.toBe(oldHash);
    expect(describeHash(row.password_hash)).toBe(CURRENT_PARAMS);
  });

  it('leaves an old hash alone when the password is wrong', async () => {
    const { id, hash: oldHash } = await insertUserWithOldHash('old@example.com');
    const res = await logIn(newBrowser(t.app), 'old@example.com', 'a wrong passphrase');
    expect(res.status).toBe(401);
    const row = await readUser(id);
    expect(row.password_hash).toBe(oldHash);
    expect(row.last_login_at).toBeNull();
  });

  it('keeps exactly the same hash string for a user whose hash is current', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const before = await readUser(user.id);
    expect(describeHash(before.password_hash)).toBe(CURRENT_PARAMS);

    t.clock.advanceMinutes(5);
    expect((await logIn(newBrowser(t.app), user.email, TEST_PASSWORD)).status).toBe(303);

    const after = await readUser(user.id);
    expect(after.password_hash).toBe(before.password_hash);
    expect(after.updated_at).toBe(before.updated_at);
    expect(after.last_login_at).toBe(t.clock.now().toISOString());
  });
});
