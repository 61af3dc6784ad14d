import { readFileSync } from 'node:fs';
import { developmentSeedFile } from '../../src/paths';
import { InvalidFullNameError } from '../../src/users/full-name';
import { parseSeedUsers, seedUsers, type SeedUser } from '../../src/users/seed-users';
import { logIn, newBrowser } from '../helpers/browser';
import { createTestApp, type TestApp } from '../helpers/test-app';

const VALID = { email: 'carol@example.com', password: 'a seed password', full_name: 'Carol' };

/**
 * The m, t and p of an argon2id PHC string, in any order (argon2 0.45 writes
 * m=,p=,t=); undefined for anything else.
 */
function argon2idParams(hash: string): Record<string, string> | undefined {
  const match = /^\$argon2id\$v=19\$([^$]+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.exec(hash);
  if (!match?.[1]) return undefined;
  return Object.fromEntries(match[1].split(',').map((pair) => pair.split('=')));
}

/** The message parseSeedUsers throws for `json`; fails the test if it accepts it. */
function parseError(json: unknown): string {
  try {
    parseSeedUsers(json);
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return (error as Error).message;
  }
  throw new Error(`parseSeedUsers accepted ${JSON.stringify(json)}`);
}

describe('parseSeedUsers', () => {
  it('accepts the shipped development users file', () => {
    const users = parseSeedUsers(JSON.parse(readFileSync(developmentSeedFile, 'utf8')));
    expect(users).toHaveLength(2);
    for (const user of users) {
      expect(user.email).toMatch(/@example\.com$/);
      expect(user.password.length).toBeGreaterThan(0);
      expect(user.fullName.length).toBeGreaterThan(0);
    }
  });

  it('maps full_name to fullName and keeps the values as given', () => {
    expect(parseSeedUsers([VALID])).toEqual([
      { email: 'carol@example.com', password: 'a seed password', fullName: 'Carol' },
    ]);
  });

  it.each([{}, 'users', null, 42, { users: [VALID] }])(
    'rejects %j, which is not an array',
    (json) => {
      expect(parseError(json)).toMatch(/JSON array/);
    },
  );

  it('accepts an empty array', () => {
    expect(parseSeedUsers([])).toEqual([]);
  });

  it('names the entry and the field of a missing value', () => {
    expect(parseError([VALID, { email: 'dan@example.com', full_name: 'Dan' }])).toBe(
      'entry 2: "password" must be 1 to 256 characters',
    );
    expect(parseError([{ password: 'pw', full_name: 'No Mail' }])).toBe(
      'entry 1: "email" must be an e-mail address',
    );
    expect(parseError([{ email: 'x@example.com', password: 'pw' }])).toMatch(
      /^entry 1: "full_name" must be 1 to \d+ characters$/,
    );
  });

  it.each([
    [
      'a line break',
      'Carol\r\nBcc: x@evil.example',
      'Put your name on one line, without line breaks.',
    ],
    ['a tab', 'Carol\tSmith', 'Remove the control characters (such as tabs) from your name.'],
    [
      'a right-to-left override',
      'Carol \u202eHtims',
      'Remove the invisible text-direction characters (U+202A to U+202E, U+2066 to U+2069) from your name.',
    ],
    ['101 characters', 'C'.repeat(101), 'Use at most 100 characters for your name.'],
    ['only spaces', '   ', 'Enter your full name.'],
  ])('rejects a full_name with %s, saying why', (_label, fullName, message) => {
    expect(parseError([{ ...VALID, full_name: fullName }])).toBe(
      `entry 1: "full_name": ${message}`,
    );
  });

  it('rejects entries that are not objects', () => {
    expect(parseError([VALID, 'carol@example.com', null])).toBe(
      'entry 2: not an object\nentry 3: not an object',
    );
  });

  it.each(['carol', 'carol@', '@example.com', 'carol@example', 'car ol@example.com', 42])(
    'rejects the e-mail %j',
    (email) => {
      expect(parseError([{ ...VALID, email }])).toBe('entry 1: "email" must be an e-mail address');
    },
  );

  it('rejects a password over 256 characters and an empty one, and accepts 256', () => {
    expect(parseError([{ ...VALID, password: 'x'.repeat(257) }])).toContain('"password"');
    expect(parseError([{ ...VALID, password: '' }])).toContain('"password"');
    expect(parseSeedUsers([{ ...VALID, password: 'x'.repeat(256) }])).toHaveLength(1);
  });

  it('reports every problem of every entry at once', () => {
    const message = parseError([
      { email: 'bad', password: '', full_name: '' },
      VALID,
      { email: 'ok@example.com', password: 'x'.repeat(300), full_name: 'Ok' },
    ]);
    expect(message.split('\n')).toEqual([
      'entry 1: "email" must be an e-mail address',
      'entry 1: "password" must be 1 to 256 characters',
      expect.stringMatching(/^entry 1: "full_name"/),
      'entry 3: "password" must be 1 to 256 characters',
    ]);
  });
});

describe('seedUsers', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  const deps = () => ({ db: t.db, hasher: t.hasher, clock: t.clock });
  const ada: SeedUser = {
    email: 'ada@example.com',
    password: 'ada seed password',
    fullName: 'Ada Lovelace',
  };
  const bob: SeedUser = {
    email: 'bob@example.com',
    password: 'bob seed password',
    fullName: 'Bob',
  };
  const users = [ada, bob];

  it('creates the users, then skips them on a second run', async () => {
    expect(await seedUsers(deps(), users)).toEqual({ created: 2, skipped: 0 });
    expect(await seedUsers(deps(), users)).toEqual({ created: 0, skipped: 2 });
    const rows = await t.db.selectFrom('users').select('email').orderBy('email').execute();
    expect(rows.map((row) => row.email)).toEqual(['ada@example.com', 'bob@example.com']);
  });

  it('leaves an existing user untouched', async () => {
    await seedUsers(deps(), users);
    const before = await t.db.selectFrom('users').selectAll().orderBy('id').execute();
    await seedUsers(deps(), [{ ...ada, password: 'another password', fullName: 'Changed' }]);
    expect(await t.db.selectFrom('users').selectAll().orderBy('id').execute()).toEqual(before);
  });

  it('stores e-mails trimmed and lower-cased, and skips a duplicate in other case', async () => {
    const result = await seedUsers(deps(), [
      { email: '  Carol@Example.COM ', password: 'carol seed pw', fullName: ' Carol ' },
      { email: 'carol@example.com', password: 'other', fullName: 'Carol Again' },
    ]);
    expect(result).toEqual({ created: 1, skipped: 1 });
    const rows = await t.db.selectFrom('users').select(['email', 'full_name']).execute();
    expect(rows).toEqual([{ email: 'carol@example.com', full_name: 'Carol' }]);
  });

  it('refuses a name that skipped the file check (InvalidFullNameError) and stores nothing', async () => {
    await expect(
      seedUsers(deps(), [{ ...ada, fullName: 'Ada\r\nBcc: x@evil.example' }]),
    ).rejects.toBeInstanceOf(InvalidFullNameError);
    expect(await t.db.selectFrom('users').selectAll().execute()).toEqual([]);
  });

  it('stores an argon2id hash of the password, never the password itself', async () => {
    await seedUsers(deps(), users);
    const rows = await t.db.selectFrom('users').selectAll().orderBy('id').execute();
    expect(rows).toHaveLength(users.length);
    for (const [index, row] of rows.entries()) {
      const password = users[index]?.password ?? '';
      expect(argon2idParams(row.password_hash)).toEqual({ m: '1024', t: '1', p: '1' });
      expect(row.password_hash).not.toContain(password);
      expect(JSON.stringify(row)).not.toContain(password);
      expect(await t.hasher.verify(row.password_hash, password)).toBe(true);
    }
  });

  it('creates users who can log in through the app', async () => {
    await seedUsers(deps(), [{ ...ada, email: ' Ada@Example.com' }]);
    const res = await logIn(newBrowser(t.app), 'ada@example.com', 'ada seed password');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/private');
    const wrong = await logIn(newBrowser(t.app), 'ada@example.com', 'bob seed password');
    expect(wrong.status).toBe(401);
  });

  it('seeds the shipped development users, who can log in', async () => {
    const shipped = parseSeedUsers(JSON.parse(readFileSync(developmentSeedFile, 'utf8')));
    expect(await seedUsers(deps(), shipped)).toEqual({ created: shipped.length, skipped: 0 });
    for (const user of shipped) {
      const res = await logIn(newBrowser(t.app), user.email, user.password);
      expect(res.status).toBe(303);
    }
  });
});
