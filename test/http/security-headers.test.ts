import request from 'supertest';
import type { Response } from 'supertest';
import { cookieValue, extractCsrfToken, findSetCookie } from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';
import { signInBrowser } from '../security/attack-kit';

/** A signed-in browser, however its cookies travel. */
interface Visitor {
  get(path: string): request.Test;
  post(path: string): request.Test;
}

/** The CSP as a map from directive name to its sources. */
function parseCsp(res: Response): Map<string, string[]> {
  const header: unknown = res.headers['content-security-policy'];
  if (typeof header !== 'string') throw new Error(`no CSP on ${res.status} answer`);
  const directives = new Map<string, string[]>();
  for (const part of header.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

function expectHardenedHeaders(res: Response): void {
  const csp = parseCsp(res);
  expect(csp.get('default-src')).toEqual(["'self'"]);
  expect(csp.get('form-action')).toEqual(["'self'"]);
  expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  expect(String(res.headers['content-security-policy'])).not.toContain('unsafe-inline');
  expect(String(res.headers['content-security-policy'])).not.toContain('unsafe-eval');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect([
    'no-referrer',
    'same-origin',
    'strict-origin',
    'strict-origin-when-cross-origin',
  ]).toContain(res.headers['referrer-policy']);
  expect(res.headers['x-powered-by']).toBeUndefined();
}

/** Every kind of page the site answers, with the status each should have. */
const PAGES: [string, number, (t: TestApp, me: Visitor) => PromiseLike<Response>][] = [
  ['the home page (anonymous)', 200, (t) => request(t.app).get('/')],
  ['the home page (signed in)', 200, (_t, me) => me.get('/')],
  ['the login page', 200, (t) => request(t.app).get('/login')],
  ['the sign-up page', 200, (t) => request(t.app).get('/signup')],
  ['the private page', 200, (_t, me) => me.get('/private')],
  ['the private page redirecting an anonymous visitor', 303, (t) => request(t.app).get('/private')],
  ['the account page', 200, (_t, me) => me.get('/account')],
  ['a 404 page (anonymous)', 404, (t) => request(t.app).get('/no-such-page')],
  ['a 404 page (signed in)', 404, (_t, me) => me.get('/no-such-page')],
  ['a stylesheet', 200, (t) => request(t.app).get('/css/main.css')],
  [
    'the 403 page of a failed CSRF check',
    403,
    (_t, me) => me.post('/logout').type('form').send({ _csrf: 'wrong' }),
  ],
  [
    'the 413 page of an oversized form',
    413,
    (t) =>
      request(t.app)
        .post('/login')
        .type('form')
        .send({ password: 'x'.repeat(20_000) }),
  ],
  ['/healthz', 200, (t) => request(t.app).get('/healthz')],
  [
    '/token (JSON)',
    400,
    (t) => request(t.app).post('/token').type('form').send({ username: 'a@example.com' }),
  ],
  ['/users/me without a token', 401, (t) => request(t.app).get('/users/me')],
];

describe('security headers on every page', () => {
  let t: TestApp;
  let me: Visitor;
  beforeAll(async () => {
    t = await createTestApp();
    const { browser } = await signInBrowser(t);
    me = { get: (path) => browser.get(path), post: (path) => browser.post(path) };
  });
  afterAll(() => t.close());

  it.each(PAGES)(
    '%s sends a strict CSP, nosniff, a Referrer-Policy and no X-Powered-By',
    async (_name, status, fetch) => {
      const res = await fetch(t, me);
      expect(res.status).toBe(status);
      expectHardenedHeaders(res);
    },
  );

  it.each(PAGES)('%s sends no HSTS over plain http', async (_name, status, fetch) => {
    const res = await fetch(t, me);
    expect(res.status).toBe(status);
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  it.each([
    ['the home page', (_t: TestApp, visitor: Visitor) => visitor.get('/')],
    ['the private page', (_t: TestApp, visitor: Visitor) => visitor.get('/private')],
    ['a 404 page', (_t: TestApp, visitor: Visitor) => visitor.get('/no-such-page')],
    ['the login page (it carries a CSRF token)', (t: TestApp) => request(t.app).get('/login')],
  ])('%s is never stored by caches (Cache-Control: no-store)', async (_name, fetch) => {
    const res = await fetch(t, me);
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

/** Logs in by hand: supertest's cookie jar does not send Secure cookies over plain http. */
async function logInOverHttp(t: TestApp, email: string) {
  const page = await request(t.app).get('/login').expect(200);
  const csrfLine = findSetCookie(page, '__Host-csrf');
  const res = await request(t.app)
    .post('/login')
    .set('Cookie', `__Host-csrf=${cookieValue(csrfLine) ?? ''}`)
    .type('form')
    .send({ _csrf: extractCsrfToken(page.text), email, password: TEST_PASSWORD });
  return { csrfLine, res };
}

function cookieAttributes(line: string | undefined): string[] {
  return (line ?? '')
    .split(';')
    .slice(1)
    .map((part) => part.trim().toLowerCase());
}

function expectHostOnlySecureCookie(line: string | undefined): void {
  expect(line).toBeDefined();
  const attributes = cookieAttributes(line);
  expect(attributes).toEqual(
    expect.arrayContaining(['secure', 'httponly', 'samesite=lax', 'path=/']),
  );
  expect(attributes.some((part) => part.startsWith('domain='))).toBe(false);
}

describe('with COOKIE_SECURE=true', () => {
  let t: TestApp;
  let me: Visitor;
  beforeAll(async () => {
    t = await createTestApp({ env: { COOKIE_SECURE: 'true' } });
    const user = await t.createUser();
    const { res } = await logInOverHttp(t, user.email);
    const cookie = `__Host-session=${cookieValue(findSetCookie(res, '__Host-session')) ?? ''}`;
    me = {
      get: (path) => request(t.app).get(path).set('Cookie', cookie),
      post: (path) => request(t.app).post(path).set('Cookie', cookie),
    };
  });
  afterAll(() => t.close());

  it.each(PAGES)('%s sends HSTS for at least six months', async (_name, status, fetch) => {
    const res = await fetch(t, me);
    expect(res.status).toBe(status);
    const hsts = String(res.headers['strict-transport-security']);
    expect(Number(/max-age=(\d+)/.exec(hsts)?.[1])).toBeGreaterThanOrEqual(15_552_000);
    expectHardenedHeaders(res);
  });

  it('names the session cookie __Host-session: Secure, HttpOnly, SameSite=Lax, Path=/, no Domain', async () => {
    const user = await t.createUser();
    const { res } = await logInOverHttp(t, user.email);
    expect(res.status).toBe(303);
    const line = findSetCookie(res, '__Host-session');
    expectHostOnlySecureCookie(line);
    expect(findSetCookie(res, 'session')).toBeUndefined();

    // The cookie works under its prefixed name.
    await request(t.app)
      .get('/private')
      .set('Cookie', `__Host-session=${cookieValue(line) ?? ''}`)
      .expect(200);
  });

  it('names the CSRF cookie __Host-csrf with the same flags', async () => {
    const { csrfLine } = await logInOverHttp(t, 'nobody@example.com');
    expectHostOnlySecureCookie(csrfLine);
  });
});

describe('cookies with NODE_ENV=production', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ env: { NODE_ENV: 'production', LOG_LEVEL: 'silent' } });
  });
  afterEach(() => t.close());

  it('secure cookies and HSTS are on by default: the session cookie is __Host-session, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain', async () => {
    expect(t.config.cookieSecure).toBe(true);
    const user = await t.createUser();
    const { res } = await logInOverHttp(t, user.email);
    expect(res.status).toBe(303);
    expectHostOnlySecureCookie(findSetCookie(res, '__Host-session'));
    expect(findSetCookie(res, 'session')).toBeUndefined();
    expect(String(res.headers['strict-transport-security'])).toMatch(/max-age=\d+/);
  });

  it('the CSRF cookie is __Host-csrf with the same flags', async () => {
    const { csrfLine } = await logInOverHttp(t, 'nobody@example.com');
    expectHostOnlySecureCookie(csrfLine);
  });

  it('the flash cookie is Secure and HttpOnly', async () => {
    const user = await t.createUser();
    const { res } = await logInOverHttp(t, user.email);
    const flash = cookieAttributes(findSetCookie(res, 'flash'));
    expect(flash).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=lax']));
  });

  it('logging out clears __Host-session with the attributes browsers need to accept it', async () => {
    const user = await t.createUser();
    const { res } = await logInOverHttp(t, user.email);
    const session = cookieValue(findSetCookie(res, '__Host-session')) ?? '';
    const out = await request(t.app).get('/logout').set('Cookie', `__Host-session=${session}`);
    expect(out.status).toBe(303);
    const cleared = findSetCookie(out, '__Host-session');
    expect(cleared).toMatch(/^__Host-session=;/);
    expectHostOnlySecureCookie(cleared);
    await request(t.app).get('/private').set('Cookie', `__Host-session=${session}`).expect(303);
  });

  it('a plain "session" cookie is ignored in production (the prefix cannot be bypassed)', async () => {
    const user = await t.createUser();
    const { res } = await logInOverHttp(t, user.email);
    const session = cookieValue(findSetCookie(res, '__Host-session')) ?? '';
    const page = await request(t.app).get('/private').set('Cookie', `session=${session}`);
    expect(page.status).toBe(303);
  });
});
