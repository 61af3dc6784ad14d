import request from 'supertest';
import {
  cookieValue,
  extractCsrfToken,
  fetchCsrfToken,
  findSetCookie,
  logIn,
  newBrowser,
} from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';

describe('logging in through the form', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('renders a login form with email, password and a CSRF token', async () => {
    const res = await request(t.app).get('/login').expect(200);
    expect(res.text).toContain('name="email"');
    expect(res.text).toContain('name="password"');
    expect(extractCsrfToken(res.text)).toMatch(/\S{20,}/);
    expect(res.text).not.toContain('name="next"');
  });

  it('keeps a safe next as a hidden field', async () => {
    const res = await request(t.app).get('/login?next=%2Fprivate%3Ftab%3D2').expect(200);
    expect(res.text).toContain('name="next" value="/private?tab&#x3D;2"');
  });

  it('redirects to /private with an HttpOnly, SameSite=Lax session cookie', async () => {
    await t.createUser({ email: 'ada@example.com', fullName: 'Ada Lovelace' });
    const browser = newBrowser(t.app);
    const res = await logIn(browser, 'ada@example.com', TEST_PASSWORD);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/private');
    const cookie = findSetCookie(res, 'session');
    expect(cookie).toBeDefined();
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/');
    expect(cookie).toContain(`Max-Age=${30 * 60}`);
    expect(cookie).not.toContain('Secure');

    const page = await browser.get('/private').expect(200);
    expect(page.text).toContain('Hello, Ada Lovelace');
    const home = await browser.get('/').expect(200);
    expect(home.text).toContain('Welcome back, Ada Lovelace');
    expect(home.text).toContain('href="/logout"');
    expect(home.text).not.toContain('href="/login"');
  });

  it('accepts the e-mail in any case and with surrounding spaces', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const res = await logIn(newBrowser(t.app), '  ADA@Example.COM ', TEST_PASSWORD);
    expect(res.status).toBe(303);
  });

  it('records the session row and the last login time', async () => {
    const user = await t.createUser();
    await logIn(newBrowser(t.app), user.email, TEST_PASSWORD, {});
    const sessions = await t.db.selectFrom('sessions').selectAll().execute();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ user_id: user.id, kind: 'browser' });
    expect(sessions[0]?.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const row = await t.db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    expect(row.last_login_at).toBe(t.clock.now().toISOString());
  });

  it('issues a fresh CSRF secret on login', async () => {
    const user = await t.createUser();
    const res = await logIn(newBrowser(t.app), user.email, TEST_PASSWORD);
    expect(findSetCookie(res, 'csrf')).toMatch(/^csrf=;.*Expires=Thu, 01 Jan 1970/);
  });

  it('follows a safe next after login', async () => {
    const user = await t.createUser();
    const res = await logIn(newBrowser(t.app), user.email, TEST_PASSWORD, {
      next: '/private?from=mail',
    });
    expect(res.headers.location).toBe('/private?from=mail');
  });

  it('answers a wrong password and an unknown e-mail with the same 401 message', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const wrong = await logIn(newBrowser(t.app), user.email, 'not the password at all');
    const unknown = await logIn(newBrowser(t.app), 'nobody@example.com', TEST_PASSWORD);
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.text).toContain('Incorrect email or password');
      expect(findSetCookie(res, 'session')).toBeUndefined();
      expect(res.text).toMatch(/<input id="password"[^>]*type="password"(?![^>]*value=)/);
    }
    expect(wrong.text).toContain('value="ada@example.com"');
    expect(unknown.text).toContain('value="nobody@example.com"');
    expect(await t.db.selectFrom('sessions').selectAll().execute()).toHaveLength(0);
  });

  it('answers missing or malformed fields with 400 and a message per field', async () => {
    const browser = newBrowser(t.app);
    const token = await fetchCsrfToken(browser);
    const empty = await browser.post('/login').type('form').send({ _csrf: token }).expect(400);
    expect(empty.text).toContain('Enter your e-mail address.');
    expect(empty.text).toContain('Enter your password.');
    expect(empty.text).toContain('href="#email"');
    expect(empty.text).toContain('aria-invalid="true"');

    const malformed = await browser
      .post('/login')
      .type('form')
      .send({ _csrf: token, email: 'not-an-address', password: 'x'.repeat(257) })
      .expect(400);
    expect(malformed.text).toContain('Enter an e-mail address like name@example.com.');
    expect(malformed.text).toContain('Passwords here have at most 256 characters.');
    expect(malformed.text).toContain('value="not-an-address"');

    const repeated = await browser
      .post('/login')
      .type('form')
      .send(`_csrf=${encodeURIComponent(token)}&email=a@example.com&email=b@example.com&password=x`)
      .expect(400);
    expect(repeated.text).toContain('Enter one e-mail address, not several.');
  });

  it('refuses a login form without a valid CSRF token with the friendly 403 page', async () => {
    const user = await t.createUser();
    const browser = newBrowser(t.app);
    await browser.get('/login');
    for (const token of [undefined, 'wrong-token']) {
      const res = await browser
        .post('/login')
        .type('form')
        .send({ ...(token ? { _csrf: token } : {}), email: user.email, password: TEST_PASSWORD })
        .expect(403);
      expect(res.text).toContain('This form has expired: reload the page and try again');
      expect(findSetCookie(res, 'session')).toBeUndefined();
    }
    expect(await t.db.selectFrom('sessions').selectAll().execute()).toHaveLength(0);
  });

  it('sends a logged-in visitor of /login on to the private page', async () => {
    const user = await t.createUser();
    const browser = newBrowser(t.app);
    await logIn(browser, user.email, TEST_PASSWORD);
    const res = await browser.get('/login').expect(303);
    expect(res.headers.location).toBe('/private');
  });
});

describe('the session cookie value', () => {
  it('is a JWT naming the session row', async () => {
    const t = await createTestApp();
    try {
      const user = await t.createUser();
      const res = await logIn(newBrowser(t.app), user.email, TEST_PASSWORD);
      const token = cookieValue(findSetCookie(res, 'session')) ?? '';
      const [header, payload] = token
        .split('.')
        .slice(0, 2)
        .map(
          (part) =>
            JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>,
        );
      expect(header).toMatchObject({ alg: 'HS256', typ: 'JWT' });
      const session = await t.db.selectFrom('sessions').selectAll().executeTakeFirstOrThrow();
      expect(payload).toMatchObject({
        sub: String(user.id),
        sid: session.id,
        iss: 'gatehouse',
        aud: 'gatehouse',
      });
      expect(Number(payload?.exp) - Number(payload?.iat)).toBe(30 * 60);
    } finally {
      await t.close();
    }
  });
});
