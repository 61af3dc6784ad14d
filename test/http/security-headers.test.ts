import request from 'supertest';
import type { Response } from 'supertest';
import {
  cookieValue,
  extractCsrfToken,
  findSetCookie,
  logIn,
  newBrowser,
  type Agent,
} from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';

/** The CSP as a map from directive name to its sources. */
function parseCsp(res: Response): Map<string, string[]> {
  const header = res.headers['content-security-policy'];
  if (typeof header !== 'string') throw new Error('no Content-Security-Policy header');
  const directives = new Map<string, string[]>();
  for (const part of header.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

const PRIVATE_REFERRER_POLICIES = [
  'no-referrer',
  'same-origin',
  'strict-origin',
  'strict-origin-when-cross-origin',
];

function expectBaselineHeaders(res: Response): void {
  const csp = parseCsp(res);
  expect(csp.get('default-src')).toEqual(["'self'"]);
  expect(csp.get('form-action')).toEqual(["'self'"]);
  expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
  expect(res.headers['content-security-policy']).not.toContain('unsafe-eval');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(PRIVATE_REFERRER_POLICIES).toContain(res.headers['referrer-policy']);
  expect(res.headers['x-powered-by']).toBeUndefined();
}

/**
 * Logs in by hand rather than with an agent: supertest's cookie jar does not
 * send Secure cookies over plain http, so the CSRF cookie is forwarded here.
 */
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

describe('security headers', () => {
  let t: TestApp;
  let browser: Agent;
  beforeEach(async () => {
    t = await createTestApp();
    const user = await t.createUser();
    browser = newBrowser(t.app);
    await logIn(browser, user.email, TEST_PASSWORD);
  });
  afterEach(() => t.close());

  it.each([
    ['the home page', '/', 200],
    ['the private page', '/private', 200],
    ['a missing page', '/no-such-page', 404],
  ])(
    '%s sends a strict CSP, nosniff, a referrer policy and no X-Powered-By',
    async (_name, path, status) => {
      const res = await browser.get(path).expect(status);
      expectBaselineHeaders(res);
    },
  );

  it('the login page sends the same headers', async () => {
    expectBaselineHeaders(await request(t.app).get('/login').expect(200));
  });

  it('a stylesheet sends the same headers', async () => {
    expectBaselineHeaders(await request(t.app).get('/css/main.css').expect(200));
  });

  it.each(['/', '/private', '/no-such-page'])(
    '%s is never stored by caches (Cache-Control: no-store)',
    async (path) => {
      const res = await browser.get(path);
      expect(res.headers['cache-control']).toBe('no-store');
    },
  );

  it('the login page is not stored by caches either (it carries a CSRF token)', async () => {
    const res = await request(t.app).get('/login');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('sends no HSTS over plain http by default', async () => {
    for (const path of ['/', '/login', '/private']) {
      const res = await browser.get(path);
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
  });
});

describe('with COOKIE_SECURE=true', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ env: { COOKIE_SECURE: 'true' } });
  });
  afterEach(() => t.close());

  it('sends HSTS for at least six months', async () => {
    const res = await request(t.app).get('/').expect(200);
    const hsts = res.headers['strict-transport-security'];
    expect(hsts).toMatch(/max-age=\d+/);
    expect(Number(/max-age=(\d+)/.exec(hsts ?? '')?.[1])).toBeGreaterThanOrEqual(15_552_000);
  });

  it('names the session cookie __Host-session, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain', async () => {
    const user = await t.createUser();
    const { res } = await logInOverHttp(t, user.email);
    expect(res.status).toBe(303);
    const line = findSetCookie(res, '__Host-session');
    expect(line).toBeDefined();
    const attributes = (line ?? '').split(';').map((part) => part.trim().toLowerCase());
    expect(attributes).toEqual(
      expect.arrayContaining(['secure', 'httponly', 'samesite=lax', 'path=/']),
    );
    expect(attributes.some((part) => part.startsWith('domain='))).toBe(false);
    expect(findSetCookie(res, 'session')).toBeUndefined();

    // The cookie works under its prefixed name.
    await request(t.app)
      .get('/private')
      .set('Cookie', `__Host-session=${cookieValue(line) ?? ''}`)
      .expect(200);
  });

  it('names the CSRF cookie __Host-csrf, Secure and HttpOnly', async () => {
    const { csrfLine } = await logInOverHttp(t, 'nobody@example.com');
    expect(csrfLine).toBeDefined();
    expect(csrfLine).toMatch(/;\s*Secure/i);
    expect(csrfLine).toMatch(/;\s*HttpOnly/i);
    expect(csrfLine).toMatch(/;\s*Path=\//i);
    expect(csrfLine).not.toMatch(/;\s*Domain=/i);
  });
});

describe('with NODE_ENV=production', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ env: { NODE_ENV: 'production', LOG_LEVEL: 'silent' } });
  });
  afterEach(() => t.close());

  it('turns secure cookies and HSTS on by default', async () => {
    expect(t.config.cookieSecure).toBe(true);
    const user = await t.createUser();
    const { csrfLine, res } = await logInOverHttp(t, user.email);
    expect(csrfLine).toMatch(/;\s*Secure/i);
    expect(findSetCookie(res, '__Host-session')).toMatch(/;\s*Secure/i);
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  });
});
