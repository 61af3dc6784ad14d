import request from 'supertest';
import type { Express } from 'express';
import type { Response } from 'supertest';

export type Agent = ReturnType<typeof request.agent>;

/** The hidden CSRF token of the first form in a page. */
export function extractCsrfToken(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no CSRF token in page');
  return match[1];
}

/** A cookie-keeping client, like one browser. */
export function newBrowser(app: Express): Agent {
  return request.agent(app);
}

/** Fetches a page's form token, as a browser would before submitting it. */
export async function fetchCsrfToken(agent: Agent, page = '/login'): Promise<string> {
  const res = await agent.get(page);
  return extractCsrfToken(res.text);
}

/** Posts one of the account page's forms with the page's own CSRF token. */
export async function submitAccountForm(
  agent: Agent,
  action: string,
  fields: Record<string, string> = {},
): Promise<Response> {
  const token = await fetchCsrfToken(agent, '/account');
  return agent
    .post(action)
    .type('form')
    .send({ _csrf: token, ...fields });
}

/** Logs in through the real form: GET /login for the token, then POST it. */
export async function logIn(
  agent: Agent,
  email: string,
  password: string,
  extra: Record<string, string> = {},
): Promise<Response> {
  const token = await fetchCsrfToken(agent);
  return agent
    .post('/login')
    .type('form')
    .send({ _csrf: token, email, password, ...extra });
}

/** The Set-Cookie header lines of a response, as an array. */
export function setCookies(res: Response): string[] {
  const header = res.headers['set-cookie'] as string[] | string | undefined;
  if (header === undefined) return [];
  return Array.isArray(header) ? header : [header];
}

/** The Set-Cookie line for one cookie name, if any. */
export function findSetCookie(res: Response, name: string): string | undefined {
  return setCookies(res).find((line) => line.startsWith(`${name}=`));
}

/** The value a Set-Cookie line sets. */
export function cookieValue(line: string | undefined): string | undefined {
  return line?.split(';')[0]?.split('=').slice(1).join('=');
}

/**
 * After a login, the logged-in browser's CSRF secret is new: a token minted
 * before is refused (403) on an account form, and one fetched now works.
 */
export async function expectOnlyFreshCsrfTokens(agent: Agent, oldToken: string): Promise<void> {
  const stale = await agent
    .post('/account/sessions/revoke-all')
    .type('form')
    .send({ _csrf: oldToken });
  expect(stale.status).toBe(403);
  await agent.get('/private').expect(200);
  const fresh = await fetchCsrfToken(agent, '/account');
  const revoke = await agent
    .post('/account/sessions/revoke-others')
    .type('form')
    .send({ _csrf: fresh });
  expect(revoke.status).toBe(303);
}
