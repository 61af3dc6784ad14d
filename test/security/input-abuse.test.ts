import request from 'supertest';
import type { Response } from 'supertest';
import {
  extractCsrfToken,
  fetchCsrfToken,
  findSetCookie,
  newBrowser,
  type Agent,
} from '../helpers/browser';
import { confirmationTokenFor, confirmWith } from '../helpers/signup';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';
import { countingHasher, countRows, signInBrowser, snapshotDatabase } from './attack-kit';

const NEW_PASSWORD = 'a brand new passphrase for this test';
const LONG_EMAIL = `${'a'.repeat(10_000 - '@example.com'.length)}@example.com`;
const ONE_MEGABYTE = 'p'.repeat(1024 * 1024);
const PASSWORD_300 = 'q'.repeat(300);
const SCRIPT_NAME = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'';

/** Posts a form as the browser would: with the token of `page`, the fields as given. */
async function submit(
  browser: Agent,
  path: string,
  fields: Record<string, string> | string,
  page = path,
): Promise<Response> {
  const token = await fetchCsrfToken(browser, page);
  const body =
    typeof fields === 'string'
      ? `_csrf=${encodeURIComponent(token)}&${fields}`
      : { _csrf: token, ...fields };
  return browser.post(path).type('form').send(body);
}

const postToken = (t: TestApp, fields: Record<string, string> | string) =>
  request(t.app).post('/token').set('Accept', 'application/json').type('form').send(fields);

function expectClientError(res: Response, status: number, message?: string): void {
  expect(res.status).toBe(status);
  if (message !== undefined) expect(res.text).toContain(message);
  expect(findSetCookie(res, 'session')).toBeUndefined();
}

const signupFields = (overrides: Record<string, string> = {}) => ({
  email: 'newcomer@example.com',
  full_name: 'New Comer',
  password: NEW_PASSWORD,
  password_confirmation: NEW_PASSWORD,
  ...overrides,
});

describe('hostile form input', () => {
  let t: TestApp;
  const counter = countingHasher();
  beforeEach(async () => {
    t = await createTestApp({ wrapHasher: counter.wrap });
    await t.createUser({ email: 'ada@example.com', fullName: 'Ada Lovelace' });
    counter.reset();
  });
  afterEach(() => t.close());

  describe('a 10 000-character e-mail', () => {
    it('is refused by the login form with 400, a clear message and no argon2 work', async () => {
      const res = await submit(newBrowser(t.app), '/login', {
        email: LONG_EMAIL,
        password: TEST_PASSWORD,
      });
      expectClientError(res, 400, 'An e-mail address has at most 254 characters.');
      // The page does not echo the whole value back.
      expect(res.text).not.toContain('a'.repeat(300));
      expect(counter.calls.verify).toBe(0);
      expect(await countRows(t, 'sessions')).toBe(0);
    });

    it('is refused by sign-up with 400 and no user is stored', async () => {
      const res = await submit(newBrowser(t.app), '/signup', signupFields({ email: LONG_EMAIL }));
      expectClientError(res, 400, 'Enter an e-mail address like name@example.com.');
      expect(res.text).not.toContain('a'.repeat(300));
      expect(await countRows(t, 'users')).toBe(1);
      expect(counter.calls.hash).toBe(0);
    });

    it('is refused by /token with a 4xx and no token', async () => {
      const res = await postToken(t, { username: LONG_EMAIL, password: TEST_PASSWORD });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body.access_token).toBeUndefined();
      expect(await countRows(t, 'sessions')).toBe(0);
    });
  });

  describe('a 1 MB password (the form body limit is 10 kB)', () => {
    it.each(['/login', '/signup'])(
      'is refused by %s with 413 before any argon2 work',
      async (path) => {
        const browser = newBrowser(t.app);
        const before = await snapshotDatabase(t);
        const res = await submit(browser, path, {
          email: 'ada@example.com',
          password: ONE_MEGABYTE,
        });
        expectClientError(res, 413, 'That request was larger than this site accepts.');
        expect(counter.calls).toMatchObject({ hash: 0, verify: 0 });
        expect(await snapshotDatabase(t)).toEqual(before);
      },
    );

    it('is refused by /token with 413 JSON', async () => {
      const res = await postToken(t, { username: 'ada@example.com', password: ONE_MEGABYTE });
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ error: 'too_large' });
      expect(counter.calls).toMatchObject({ hash: 0, verify: 0 });
    });

    it('is refused by the password change with 413', async () => {
      const { browser } = await signInBrowser(t);
      counter.reset();
      const before = await snapshotDatabase(t);
      const res = await submit(
        browser,
        '/account/password',
        {
          current_password: TEST_PASSWORD,
          password: ONE_MEGABYTE,
          password_confirmation: ONE_MEGABYTE,
        },
        '/account',
      );
      expect(res.status).toBe(413);
      expect(counter.calls).toMatchObject({ hash: 0, verify: 0 });
      expect(await snapshotDatabase(t)).toEqual(before);
    });
  });

  describe('a 300-character password', () => {
    it('is refused by the login form with 400 before hashing', async () => {
      const res = await submit(newBrowser(t.app), '/login', {
        email: 'ada@example.com',
        password: PASSWORD_300,
      });
      expectClientError(res, 400, 'Passwords here have at most 256 characters.');
      expect(counter.calls).toMatchObject({ hash: 0, verify: 0, dummyHash: 0 });
    });

    it('is refused by /token with 400 invalid_request before hashing', async () => {
      const res = await postToken(t, { username: 'ada@example.com', password: PASSWORD_300 });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request' });
      expect(counter.calls).toMatchObject({ hash: 0, verify: 0, dummyHash: 0 });
    });

    it('is refused by sign-up with 400 before hashing', async () => {
      const res = await submit(
        newBrowser(t.app),
        '/signup',
        signupFields({ password: PASSWORD_300, password_confirmation: PASSWORD_300 }),
      );
      expectClientError(res, 400, 'Use at most 256 characters.');
      expect(counter.calls).toMatchObject({ hash: 0, verify: 0 });
      expect(await countRows(t, 'users')).toBe(1);
    });

    it('as the new password of a password change is refused with 400 before hashing', async () => {
      const { browser } = await signInBrowser(t);
      counter.reset();
      const before = await snapshotDatabase(t);
      const res = await submit(
        browser,
        '/account/password',
        {
          current_password: TEST_PASSWORD,
          password: PASSWORD_300,
          password_confirmation: PASSWORD_300,
        },
        '/account',
      );
      expect(res.status).toBe(400);
      expect(res.text).toContain('Use at most 256 characters.');
      expect(counter.calls).toMatchObject({ hash: 0, verify: 0 });
      expect(await snapshotDatabase(t)).toEqual(before);
    });
    it('as the current password of a password change is refused and changes nothing', async () => {
      const { browser } = await signInBrowser(t);
      counter.reset();
      const before = await snapshotDatabase(t);
      const res = await submit(
        browser,
        '/account/password',
        {
          current_password: PASSWORD_300,
          password: NEW_PASSWORD,
          password_confirmation: NEW_PASSWORD,
        },
        '/account',
      );
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(counter.calls.hash).toBe(0);
      expect(await snapshotDatabase(t)).toEqual(before);
    });

    it('as the current password of a password change is refused with 400 before any verify', async () => {
      const { browser } = await signInBrowser(t);
      counter.reset();
      const res = await submit(
        browser,
        '/account/password',
        {
          current_password: PASSWORD_300,
          password: NEW_PASSWORD,
          password_confirmation: NEW_PASSWORD,
        },
        '/account',
      );
      expect(res.status).toBe(400);
      expect(counter.calls).toMatchObject({ hash: 0, verify: 0 });
    });
  });

  describe('NUL and other control characters', () => {
    it.each([
      ['the e-mail', { email: 'ada\u0000@example.com', password: TEST_PASSWORD }, 'e-mail address'],
      [
        'the password',
        { email: 'ada@example.com', password: `${TEST_PASSWORD}\u0000` },
        'password',
      ],
      ['the e-mail (escape)', { email: 'ada\u001b@example.com', password: 'x' }, 'e-mail address'],
    ])('in %s of the login form are refused with 400', async (_name, fields, label) => {
      const res = await submit(newBrowser(t.app), '/login', fields);
      expectClientError(res, 400, `Your ${label} contains characters that cannot be used.`);
      expect(counter.calls.verify).toBe(0);
    });

    it('in the full name at sign-up are refused with 400 and nothing is stored', async () => {
      const res = await submit(
        newBrowser(t.app),
        '/signup',
        signupFields({ full_name: 'New\u0000Comer' }),
      );
      expectClientError(res, 400, 'Your full name contains characters that cannot be used.');
      expect(await countRows(t, 'users')).toBe(1);
    });

    it('in the /token username are refused with 400 invalid_request', async () => {
      const res = await postToken(t, {
        username: 'ada\u0000@example.com',
        password: TEST_PASSWORD,
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request' });
      expect(counter.calls.verify).toBe(0);
    });
  });

  describe('invalid UTF-8 percent-encoding', () => {
    it.each(['/login', '/signup'])('email=%%FF%%FE on %s is a 4xx, never a 5xx', async (path) => {
      const before = await snapshotDatabase(t);
      const res = await submit(
        newBrowser(t.app),
        path,
        `email=%FF%FE&full_name=%C0%AF&password=%ED%A0%80&password_confirmation=%ED%A0%80`,
      );
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(findSetCookie(res, 'session')).toBeUndefined();
      expect(await snapshotDatabase(t)).toEqual(before);
    });

    it('username=%FF%FE on /token is a 4xx', async () => {
      const res = await postToken(t, 'username=%FF%FE&password=%FF');
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    });
  });

  describe('repeated fields', () => {
    it('email=a&email=b on the login form is refused with 400, not guessed at', async () => {
      const res = await submit(
        newBrowser(t.app),
        '/login',
        `email=ada%40example.com&email=bob%40example.com&password=${encodeURIComponent(TEST_PASSWORD)}`,
      );
      expectClientError(res, 400, 'Enter one e-mail address, not several.');
      expect(counter.calls.verify).toBe(0);
    });

    it('a repeated password on the login form is refused with 400', async () => {
      const res = await submit(
        newBrowser(t.app),
        '/login',
        `email=ada%40example.com&password=x&password=${encodeURIComponent(TEST_PASSWORD)}`,
      );
      expectClientError(res, 400, 'Enter one password, not several.');
      expect(counter.calls.verify).toBe(0);
    });

    it('a repeated full name at sign-up is refused with 400 and nothing is stored', async () => {
      const fields = new URLSearchParams(signupFields());
      fields.append('full_name', 'Someone Else');
      const res = await submit(newBrowser(t.app), '/signup', fields.toString());
      expectClientError(res, 400, 'Enter one full name, not several.');
      expect(await countRows(t, 'users')).toBe(1);
    });

    it('a repeated username on /token is refused with 400 invalid_request', async () => {
      const res = await postToken(
        t,
        `username=ada%40example.com&username=bob%40example.com&password=${encodeURIComponent(TEST_PASSWORD)}`,
      );
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request' });
    });
  });

  describe('JSON sent to a form route', () => {
    it('a JSON login is refused with a 4xx and logs nobody in', async () => {
      const browser = newBrowser(t.app);
      const token = await fetchCsrfToken(browser);
      const res = await browser
        .post('/login')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ _csrf: token, email: 'ada@example.com', password: TEST_PASSWORD }));
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(findSetCookie(res, 'session')).toBeUndefined();
      expect(await countRows(t, 'sessions')).toBe(0);
    });

    it('JSON to /token is refused with 400 invalid_request asking for a form', async () => {
      const res = await request(t.app)
        .post('/token')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ username: 'ada@example.com', password: TEST_PASSWORD }));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request' });
      expect(String(res.body.error_description)).toContain('form-encoded');
    });
  });

  describe('prototype keys in the form body', () => {
    afterEach(() => {
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).email).toBeUndefined();
    });

    it('__proto__, constructor and friends next to valid credentials change nothing', async () => {
      const res = await submit(
        newBrowser(t.app),
        '/login',
        '__proto__=polluted&__proto__%5Bpolluted%5D=1&constructor=x&constructor%5Bprototype%5D%5Bpolluted%5D=1' +
          `&hasOwnProperty=1&toString=1&email=ada%40example.com&password=${encodeURIComponent(TEST_PASSWORD)}`,
      );
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/private');
    });

    it('credentials hidden under __proto__ are not read', async () => {
      const res = await submit(
        newBrowser(t.app),
        '/login',
        `__proto__%5Bemail%5D=ada%40example.com&__proto__%5Bpassword%5D=${encodeURIComponent(TEST_PASSWORD)}`,
      );
      expectClientError(res, 400, 'Enter your e-mail address.');
      expect(counter.calls.verify).toBe(0);
    });

    it('__proto__ keys at sign-up and on /token are harmless', async () => {
      const signup = await submit(
        newBrowser(t.app),
        '/signup',
        `${new URLSearchParams(signupFields()).toString()}&__proto__%5BisActive%5D=0&constructor=1`,
      );
      expect(signup.status).toBe(200);
      await t.background.drain();
      const created = await t.db
        .selectFrom('users')
        .select('is_active')
        .where('email', '=', 'newcomer@example.com')
        .executeTakeFirstOrThrow();
      expect(created.is_active).toBe(1);
      const token = await postToken(
        t,
        `__proto__%5Bgrant_type%5D=x&username=ada%40example.com&password=${encodeURIComponent(TEST_PASSWORD)}`,
      );
      expect(token.status).toBe(200);
    });
  });

  describe('SQL-looking strings', () => {
    it.each([
      ["' OR 1=1 --", TEST_PASSWORD, 400],
      ["admin'--@example.com", TEST_PASSWORD, 401],
      ['ada@example.com', "' OR 1=1 --", 401],
      ['ada@example.com', "x' OR '1'='1", 401],
      ["ada@example.com'; DROP TABLE users;--", TEST_PASSWORD, 400],
    ])('email %j with password %j is refused with %i', async (email, password, status) => {
      const before = await countRows(t, 'users');
      const res = await submit(newBrowser(t.app), '/login', { email, password });
      expectClientError(res, status);
      expect(await countRows(t, 'users')).toBe(before);
      expect(await countRows(t, 'sessions')).toBe(0);
    });

    it("/token with username ' OR 1=1 -- is refused with invalid_grant", async () => {
      const res = await postToken(t, { username: "' OR 1=1 --", password: "' OR 1=1 --" });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_grant' });
    });

    it('an e-mail with a quote signs up and is stored literally', async () => {
      const res = await submit(
        newBrowser(t.app),
        '/signup',
        signupFields({ email: "o'brien@example.com" }),
      );
      expect(res.status).toBe(200);
      await t.background.drain();
      const rows = await t.db.selectFrom('users').select('email').orderBy('id').execute();
      expect(rows.map((row) => row.email)).toEqual(['ada@example.com', "o'brien@example.com"]);
    });
  });

  describe("someone else's session id", () => {
    it('posted to /account/sessions/revoke is not revoked', async () => {
      const mine = await signInBrowser(t);
      const theirs = await signInBrowser(t);
      const page = await mine.browser.get('/account').expect(200);
      expect(page.text).not.toContain(theirs.sessionId);
      const res = await mine.browser
        .post('/account/sessions/revoke')
        .type('form')
        .send({ _csrf: extractCsrfToken(page.text), session_id: theirs.sessionId });
      expect(res.status).toBeLessThan(500);
      await theirs.browser.get('/private').expect(200);
      await mine.browser.get('/private').expect(200);
    });
  });

  describe('HTML in the full name', () => {
    function expectEscaped(html: string): void {
      expect(html).not.toContain('<script>alert(1)</script>');
      expect(html).not.toContain('<img src=x');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }

    it('is stored as typed and shown escaped on /private, /account and /', async () => {
      const browser = newBrowser(t.app);
      const res = await submit(browser, '/signup', signupFields({ full_name: SCRIPT_NAME }));
      expect(res.status).toBe(200);
      const confirmed = await confirmWith(
        browser,
        await confirmationTokenFor(t, 'newcomer@example.com'),
      );
      expect(confirmed.status).toBe(303);
      const row = await t.db
        .selectFrom('users')
        .select('full_name')
        .where('email', '=', 'newcomer@example.com')
        .executeTakeFirstOrThrow();
      expect(row.full_name).toBe(SCRIPT_NAME);
      for (const path of ['/private', '/account', '/']) {
        const page = await browser.get(path).expect(200);
        expectEscaped(page.text);
      }
    });

    it('is shown escaped when the sign-up form is shown again with an error', async () => {
      const res = await submit(
        newBrowser(t.app),
        '/signup',
        signupFields({ full_name: SCRIPT_NAME, password_confirmation: 'does not match' }),
      );
      expect(res.status).toBe(400);
      expectEscaped(res.text);
      expect(await countRows(t, 'users')).toBe(1);
    });

    it('an e-mail with markup is shown escaped when the login form is shown again', async () => {
      const res = await submit(newBrowser(t.app), '/login', {
        email: '"><script>alert(1)</script>@example.com',
        password: 'x',
      });
      expect(res.status).toBe(401);
      expectEscaped(res.text);
    });
  });
});
