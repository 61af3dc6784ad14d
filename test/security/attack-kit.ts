import { createHmac } from 'node:crypto';
import request from 'supertest';
import type { Response } from 'supertest';
import type { PasswordHasher } from '../../src/auth/password';
import type { User } from '../../src/users/user';
import { cookieValue, findSetCookie, logIn, newBrowser, type Agent } from '../helpers/browser';
import { TEST_PASSWORD, type TestApp } from '../helpers/test-app';

/** What the app sends to make a browser forget the session cookie. */
export const CLEARED_SESSION_COOKIE = /^session=;.*Expires=Thu, 01 Jan 1970 00:00:00 GMT/;

/** The text of the friendly 403 page a failed CSRF check renders. */
export const CSRF_EXPIRED = 'This form has expired';

export interface SignedIn {
  user: User;
  browser: Agent;
  /** The session cookie's JWT. */
  token: string;
  sessionId: string;
}

/** Logs `user` (a new one by default) in through the real form. */
export async function signInBrowser(t: TestApp, user?: User): Promise<SignedIn> {
  const who = user ?? (await t.createUser());
  const browser = newBrowser(t.app);
  const res = await logIn(browser, who.email, TEST_PASSWORD);
  if (res.status !== 303) throw new Error(`login answered ${res.status}`);
  const token = cookieValue(findSetCookie(res, 'session'));
  if (!token) throw new Error('login set no session cookie');
  return { user: who, browser, token, sessionId: await newestSessionId(t, who.id, 'browser') };
}

/** Gets a bearer token from POST /token, as an API client would. */
export async function issueApiToken(
  t: TestApp,
  user: User,
): Promise<{ token: string; sessionId: string }> {
  const res = await request(t.app)
    .post('/token')
    .type('form')
    .send({ grant_type: 'password', username: user.email, password: TEST_PASSWORD });
  const token: unknown = res.body.access_token;
  if (res.status !== 200 || typeof token !== 'string') {
    throw new Error(`/token answered ${res.status}`);
  }
  return { token, sessionId: await newestSessionId(t, user.id, 'api') };
}

async function newestSessionId(t: TestApp, userId: number, kind: 'browser' | 'api') {
  const row = await t.db
    .selectFrom('sessions')
    .select('id')
    .where('user_id', '=', userId)
    .where('kind', '=', kind)
    .orderBy('created_at', 'desc')
    .executeTakeFirstOrThrow();
  return row.id;
}

export type Table = 'users' | 'sessions' | 'auth_events';

export async function countRows(t: TestApp, table: Table): Promise<number> {
  const row = await t.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Everything a refused request must leave as it was: row counts and every password hash. */
export async function snapshotDatabase(t: TestApp) {
  const hashes = await t.db
    .selectFrom('users')
    .select(['id', 'password_hash'])
    .orderBy('id')
    .execute();
  const sessions = await t.db.selectFrom('sessions').select('id').orderBy('id').execute();
  return {
    users: await countRows(t, 'users'),
    sessions: sessions.map((row) => row.id),
    authEvents: await countRows(t, 'auth_events'),
    hashes,
  };
}

export interface HashCalls {
  hash: number;
  verify: number;
  dummyHash: number;
  /** The hashes `verify` was asked to check against, in order. */
  verifiedHashes: string[];
}

/**
 * A wrapper for createTestApp({ wrapHasher }) that counts calls into the real
 * argon2 hasher. It sits inside the app's bounded queue, so it counts only
 * the work that actually ran.
 */
export function countingHasher(): {
  calls: HashCalls;
  reset(): void;
  wrap(hasher: PasswordHasher): PasswordHasher;
} {
  const calls: HashCalls = { hash: 0, verify: 0, dummyHash: 0, verifiedHashes: [] };
  return {
    calls,
    reset() {
      calls.hash = 0;
      calls.verify = 0;
      calls.dummyHash = 0;
      calls.verifiedHashes.length = 0;
    },
    wrap: (hasher) => ({
      hash(password) {
        calls.hash += 1;
        return hasher.hash(password);
      },
      verify(hash, password) {
        calls.verify += 1;
        calls.verifiedHashes.push(hash);
        return hasher.verify(hash, password);
      },
      needsRehash: (hash) => hasher.needsRehash(hash),
      dummyHash(params) {
        calls.dummyHash += 1;
        return hasher.dummyHash(params);
      },
    }),
  };
}

/**
 * True when a Location header stays on this site: one leading slash (not `//`
 * or `/\`, which browsers read as another host), no control characters or
 * whitespace (CR/LF would inject headers; browsers strip tabs) and nothing
 * outside printable ASCII.
 */
export function isLocalPath(location: unknown): boolean {
  if (typeof location !== 'string') return false;
  if (!/^[\x21-\x7e]+$/.test(location)) return false;
  if (!location.startsWith('/') || location.startsWith('//') || location.startsWith('/\\')) {
    return false;
  }
  const base = 'http://gatehouse.test';
  return new URL(location, base).origin === base;
}

export function expectLocalRedirect(res: Response): void {
  expect(res.status).toBeGreaterThanOrEqual(300);
  expect(res.status).toBeLessThan(400);
  const location: unknown = res.headers.location;
  if (!isLocalPath(location)) {
    throw new Error(`Location ${JSON.stringify(location)} leaves the site`);
  }
}

export const base64url = (value: object) =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

/** Builds a JWT by hand, so the header can say anything an attacker likes. */
export function handMadeToken(header: object, payload: object, hmacSecret?: string): string {
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  const signature =
    hmacSecret === undefined
      ? ''
      : createHmac('sha256', hmacSecret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

/** A promise and the function that settles it, to hold work until a test lets it go. */
export function createGate(): { opened: Promise<void>; open(): void } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Polls until `condition` holds (for work another request started). */
export async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
