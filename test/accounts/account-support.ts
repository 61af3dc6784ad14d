import type { Response } from 'supertest';
import type { User } from '../../src/users/user';
import {
  cookieValue,
  findSetCookie,
  logIn,
  newBrowser,
  submitAccountForm,
  type Agent,
} from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';

/** What the account tests share: signing in from a browser, changing the password. */
export const FIREFOX_LINUX =
  'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
export const NEW_PASSWORD = 'a brand new passphrase for me';

export interface SignedIn {
  browser: Agent;
  sessionId: string;
  token: string;
}

/** Logs `user` in through the real form from a new browser that sends `userAgent`. */
export async function signIn(t: TestApp, user: User, userAgent = FIREFOX_LINUX): Promise<SignedIn> {
  const browser = newBrowser(t.app).set('User-Agent', userAgent);
  const res = await logIn(browser, user.email, TEST_PASSWORD);
  expect(res.status).toBe(303);
  const token = cookieValue(findSetCookie(res, 'session'));
  if (!token) throw new Error('login set no session cookie');
  const [, payload = ''] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sid: string };
  return { browser, sessionId: claims.sid, token };
}

export async function passwordHashOf(t: TestApp, user: User): Promise<string> {
  const row = await t.db
    .selectFrom('users')
    .select('password_hash')
    .where('id', '=', user.id)
    .executeTakeFirstOrThrow();
  return row.password_hash;
}

/** The session ids of a user that are still in the table. */
export async function sessionIdsOf(t: TestApp, user: User): Promise<string[]> {
  const rows = await t.db
    .selectFrom('sessions')
    .select('id')
    .where('user_id', '=', user.id)
    .execute();
  return rows.map((row) => row.id).sort();
}

export function changePassword(
  browser: Agent,
  fields: { current_password: string; password: string; password_confirmation?: string },
): Promise<Response> {
  return submitAccountForm(browser, '/account/password', {
    password_confirmation: fields.password,
    ...fields,
  });
}

/**
 * For each test of the enclosing describe: a new app on a new temporary
 * database with one user in it, closed after the test.
 */
export function eachTestWithAppAndUser(): { readonly t: TestApp; readonly user: User } {
  let current: { t: TestApp; user: User } | undefined;
  beforeEach(async () => {
    const t = await createTestApp();
    current = { t, user: await t.createUser() };
  });
  afterEach(async () => {
    await current?.t.close();
    current = undefined;
  });
  const now = () => {
    if (!current) throw new Error('eachTestWithAppAndUser is read outside a test');
    return current;
  };
  return {
    get t() {
      return now().t;
    },
    get user() {
      return now().user;
    },
  };
}
