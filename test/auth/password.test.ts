import { createPasswordHasher } from '../../src/auth/password';
import { insertUser } from '../../src/users/users.repository';
import { logIn, newBrowser } from '../helpers/browser';
import { createTestApp, type TestApp } from '../helpers/test-app';

const PRODUCTION = { memoryCost: 19456, timeCost: 2, parallelism: 1 };
const PASSWORD = 'correct horse battery staple';

/**
 * The m, t and p of an argon2id PHC string, in any order (argon2 0.45 writes
 * m=,p=,t=); undefined for anything else.
 */
function argon2idParams(hash: string): Record<string, string> | undefined {
  const match = /^\$argon2id\$v=19\$([^$]+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.exec(hash);
  if (!match?.[1]) return undefined;
  return Object.fromEntries(match[1].split(',').map((pair) => pair.split('=')));
}

describe('the password hasher with the production parameters', () => {
  const hasher = createPasswordHasher(PRODUCTION);

  it('makes an argon2id v19 hash with m=19456, t=2, p=1 and a fresh salt each time', async () => {
    const first = await hasher.hash(PASSWORD);
    const second = await hasher.hash(PASSWORD);
    expect(argon2idParams(first)).toEqual({ m: '19456', t: '2', p: '1' });
    expect(first).not.toContain(PASSWORD);
    expect(second).not.toBe(first);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hasher.hash(PASSWORD);
    expect(await hasher.verify(hash, PASSWORD)).toBe(true);
    expect(await hasher.verify(hash, 'correct horse battery stapl')).toBe(false);
    expect(await hasher.verify(hash, '')).toBe(false);
  });

  it('answers false, without throwing, for a hash it cannot read', async () => {
    for (const garbage of ['', 'not a hash', '$argon2id$v=19$m=19456', '$2b$10$abcdefghijklmnop']) {
      await expect(hasher.verify(garbage, PASSWORD)).resolves.toBe(false);
    }
  });

  it('needs no rehash for its own hashes, and a rehash for other parameters', async () => {
    const own = await hasher.hash(PASSWORD);
    const cheaper = await createPasswordHasher({ ...PRODUCTION, memoryCost: 1024 }).hash(PASSWORD);
    const fewerPasses = await createPasswordHasher({ ...PRODUCTION, timeCost: 1 }).hash(PASSWORD);
    expect(hasher.needsRehash(own)).toBe(false);
    expect(hasher.needsRehash(cheaper)).toBe(true);
    expect(hasher.needsRehash(fewerPasses)).toBe(true);
    expect(hasher.needsRehash('not a hash')).toBe(true);
  });

  it('makes the dummy hash once, with the configured parameters', async () => {
    const first = hasher.dummyHash();
    const second = hasher.dummyHash();
    expect(second).toBe(first);
    const hash = await first;
    expect(await hasher.dummyHash()).toBe(hash);
    expect(argon2idParams(hash)).toEqual({ m: '19456', t: '2', p: '1' });
    expect(hasher.needsRehash(hash)).toBe(false);
  });

  it('makes the dummy hash once per parameter set it is asked for', async () => {
    const fewerPasses = { ...PRODUCTION, timeCost: 1 };
    const first = hasher.dummyHash(fewerPasses);
    expect(hasher.dummyHash({ ...fewerPasses })).toBe(first);
    expect(argon2idParams(await first)).toEqual({ m: '19456', t: '1', p: '1' });
    expect(await hasher.dummyHash()).not.toBe(await first);
  });

  it('makes a different dummy hash per hasher', async () => {
    const other = createPasswordHasher(PRODUCTION);
    expect(await other.dummyHash()).not.toBe(await hasher.dummyHash());
  });
});

describe('logging in with a hash made with old parameters', () => {
  let t: TestApp;
  const oldHasher = createPasswordHasher({ memoryCost: 512, timeCost: 1, parallelism: 1 });

  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  async function insertUserWithOldHash(): Promise<number> {
    const user = await insertUser(t.db, {
      email: 'old@example.com',
      fullName: 'Old Timer',
      passwordHash: await oldHasher.hash(PASSWORD),
      now: t.clock.now(),
      isConfirmed: true,
    });
    return user.id;
  }

  const storedHash = async (id: number) =>
    (
      await t.db
        .selectFrom('users')
        .select('password_hash')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).password_hash;

  it('upgrades the stored hash to the configured parameters, and the user can still log in', async () => {
    const id = await insertUserWithOldHash();
    expect(argon2idParams(await storedHash(id))).toEqual({ m: '512', t: '1', p: '1' });

    const res = await logIn(newBrowser(t.app), 'old@example.com', PASSWORD);
    expect(res.status).toBe(303);
    const upgraded = await storedHash(id);
    expect(argon2idParams(upgraded)).toEqual({ m: '1024', t: '1', p: '1' });
    expect(t.hasher.needsRehash(upgraded)).toBe(false);
    expect(await t.hasher.verify(upgraded, PASSWORD)).toBe(true);
    const row = await t.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.updated_at).toBe(t.clock.now().toISOString());

    const again = await logIn(newBrowser(t.app), 'old@example.com', PASSWORD);
    expect(again.status).toBe(303);
    expect(await storedHash(id)).toBe(upgraded);
  });

  it('keeps the old hash when the password is wrong', async () => {
    const id = await insertUserWithOldHash();
    const before = await storedHash(id);
    const res = await logIn(newBrowser(t.app), 'old@example.com', 'not the password at all');
    expect(res.status).toBe(401);
    expect(await storedHash(id)).toBe(before);
  });
});
