import request from 'supertest';
import type { Response } from 'supertest';
import type { User } from '../../src/users/user';
import { cookieValue, findSetCookie, logIn, newBrowser, type Agent } from '../helpers/browser';
import { TEST_PASSWORD, type TestApp } from '../helpers/test-app';

export const MINUTE_MS = 60_000;

export interface SignedIn {
  user: User;
  browser: Agent;
  token: string;
  sessionId: string;
}

/** Creates a user and logs in through the real form; returns the cookie's token and its row id. */
export async function signIn(t: TestApp, fullName?: string): Promise<SignedIn> {
  const user = await t.createUser(fullName === undefined ? {} : { fullName });
  const browser = newBrowser(t.app);
  const res = await logIn(browser, user.email, TEST_PASSWORD);
  expect(res.status).toBe(303);
  const token = cookieValue(findSetCookie(res, 'session'));
  if (!token) throw new Error('login set no session cookie');
  const row = await t.db
    .selectFrom('sessions')
    .select('id')
    .where('user_id', '=', user.id)
    .executeTakeFirstOrThrow();
  return { user, browser, token, sessionId: row.id };
}

/** A fresh client (not the agent) presenting `token` as the session cookie. */
export function getWithSessionCookie(t: TestApp, path: string, token: string) {
  return request(t.app).get(path).set('Cookie', `session=${token}`);
}

export function findSessionRow(t: TestApp, sessionId: string) {
  return t.db.selectFrom('sessions').selectAll().where('id', '=', sessionId).executeTakeFirst();
}

export function expectRedirectToLogin(res: Response, next = '%2Fprivate'): void {
  expect(res.status).toBe(303);
  expect(res.headers.location).toBe(`/login?next=${next}`);
}
