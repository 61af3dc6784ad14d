import jwt from 'jsonwebtoken';
import request from 'supertest';
import type { Response } from 'supertest';
import { deleteExpiredSessions } from '../../src/sessions/sessions.repository';
import { extractCsrfToken, findSetCookie, setCookies } from '../helpers/browser';
import { createTestApp, TEST_SECRET, type TestApp } from '../helpers/test-app';
import { base64url, handMadeToken } from '../security/attack-kit';
import type { User } from '../../src/users/user';
import {
  expectRedirectToLogin,
  findSessionRow,
  getWithSessionCookie,
  MINUTE_MS,
  signIn,
  type SignedIn,
} from '../sessions/session-support';

const CLEARED_SESSION_COOKIE = /^session=;.*Expires=Thu, 01 Jan 1970 00:00:00 GMT/;

/** Every Set-Cookie line for the session cookie, in order (the browser keeps the last). */
function sessionCookieLines(res: Response): string[] {
  return setCookies(res).filter((line) => line.startsWith('session='));
}

describe('requiring a signed-in user', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('sends an anonymous visitor of /private to the login page with next set', async () => {
    const res = await request(t.app).get('/private');
    expectRedirectToLogin(res);
  });

  it('keeps the query string of the requested page, encoded, in next', async () => {
    const res = await request(t.app).get('/private?tab=2&x=a%20b');
    expectRedirectToLogin(res, encodeURIComponent('/private?tab=2&x=a%20b'));
  });

  it('shows the private page to a signed-in user', async () => {
    const { browser, user } = await signIn(t);
    const res = await browser.get('/private').expect(200);
    expect(res.text).toContain(`Hello, ${user.fullName}`);
  });

  it('HTML-escapes the user name on the private page', async () => {
    const { browser } = await signIn(t, '<script>alert(1)</script>');
    const res = await browser.get('/private').expect(200);
    expect(res.text).not.toContain('<script>alert(1)</script>');
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('logging out', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('the Log out link deletes the session row, clears the cookie and redirects 303 to /', async () => {
    const { browser, sessionId } = await signIn(t);
    const res = await browser.get('/logout');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(findSetCookie(res, 'session')).toMatch(CLEARED_SESSION_COOKIE);
    expect(await findSessionRow(t, sessionId)).toBeUndefined();
    expectRedirectToLogin(await browser.get('/private'));
  });

  it('a POST with a CSRF token does the same', async () => {
    const { browser, sessionId } = await signIn(t);
    const confirm = await browser.get('/logout').set('Sec-Fetch-Site', 'cross-site').expect(200);
    const res = await browser
      .post('/logout')
      .type('form')
      .send({ _csrf: extractCsrfToken(confirm.text) });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(findSetCookie(res, 'session')).toMatch(CLEARED_SESSION_COOKIE);
    expect(await findSessionRow(t, sessionId)).toBeUndefined();
    expectRedirectToLogin(await browser.get('/private'));
  });

  it('a POST without a CSRF token is refused with 403 and the session lives on', async () => {
    const { browser, sessionId } = await signIn(t);
    const res = await browser.post('/logout').type('form').send({});
    expect(res.status).toBe(403);
    expect(findSetCookie(res, 'session')).toBeUndefined();
    expect(await findSessionRow(t, sessionId)).toBeDefined();
    await browser.get('/private').expect(200);
  });

  it('kills every copy of the cookie: a copied cookie is anonymous afterwards', async () => {
    const { browser, token } = await signIn(t);
    await getWithSessionCookie(t, '/private', token).expect(200);
    await browser.get('/logout').expect(303);
    const res = await getWithSessionCookie(t, '/private', token);
    expectRedirectToLogin(res);
    expect(findSetCookie(res, 'session')).toMatch(CLEARED_SESSION_COOKIE);
  });

  it('a cross-site GET does not log out but asks for confirmation with a POST form', async () => {
    const { browser, sessionId } = await signIn(t);
    const res = await browser.get('/logout').set('Sec-Fetch-Site', 'cross-site');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<form[^>]*method="post"[^>]*action="\/logout"/);
    expect(extractCsrfToken(res.text)).toMatch(/\S{20,}/);
    expect(findSetCookie(res, 'session')).toBeUndefined();
    expect(await findSessionRow(t, sessionId)).toBeDefined();
    await browser.get('/private').expect(200);
  });

  it.each(['same-origin', 'none'])('a GET with Sec-Fetch-Site: %s logs out', async (site) => {
    const { browser, sessionId } = await signIn(t);
    const res = await browser.get('/logout').set('Sec-Fetch-Site', site);
    expect(res.status).toBe(303);
    expect(findSetCookie(res, 'session')).toMatch(CLEARED_SESSION_COOKIE);
    expect(await findSessionRow(t, sessionId)).toBeUndefined();
  });

  it('after a long idle, the last session Set-Cookie of the logout response is the clearing one', async () => {
    const { browser, sessionId } = await signIn(t);
    t.clock.advanceMinutes(20);
    const res = await browser.get('/logout').expect(303);
    expect(sessionCookieLines(res).at(-1)).toMatch(CLEARED_SESSION_COOKIE);
    expect(await findSessionRow(t, sessionId)).toBeUndefined();
    expectRedirectToLogin(await browser.get('/private'));
  });

  it('past half the session lifetime, logging out sends one session Set-Cookie: the clearing one', async () => {
    const { browser, sessionId } = await signIn(t);
    t.clock.advanceMinutes(16);
    const res = await browser.get('/logout').set('Sec-Fetch-Site', 'same-origin').expect(303);
    const lines = sessionCookieLines(res);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(CLEARED_SESSION_COOKIE);
    expect(await findSessionRow(t, sessionId)).toBeUndefined();
    expectRedirectToLogin(await browser.get('/private'));
  });
});

describe('a session cookie that is not a plain string', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  // cookie-parser decodes `j:`-prefixed values as JSON, so this arrives as an object.
  it.each(['j:{"a":1}', 'j:["x"]', 'j:true'])(
    'session=%s is anonymous and cleared',
    async (value) => {
      const res = await getWithSessionCookie(t, '/private', value);
      expectRedirectToLogin(res);
      const lines = sessionCookieLines(res);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(CLEARED_SESSION_COOKIE);
    },
  );
});

interface BadTokenContext {
  t: TestApp;
  signedIn: SignedIn;
  other: User;
  /** The claims of a genuine token for this session, as our app would sign them. */
  claims: { sub: string; sid: string; iat: number; exp: number };
}

const nowSeconds = (t: TestApp) => Math.floor(t.clock.now().getTime() / 1000);

const signHs256 = (
  payload: object,
  secret = TEST_SECRET,
  options: jwt.SignOptions = { issuer: 'gatehouse', audience: 'gatehouse' },
) => jwt.sign(payload, secret, { algorithm: 'HS256', ...options });

const BAD_TOKENS: [string, (context: BadTokenContext) => Promise<string> | string][] = [
  [
    'a tampered payload (another sub, same signature)',
    ({ signedIn, other }) => {
      const [header = '', payload = '', signature = ''] = signedIn.token.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as object;
      return `${header}.${base64url({ ...claims, sub: String(other.id) })}.${signature}`;
    },
  ],
  [
    'a tampered signature',
    ({ signedIn }) => {
      const [header = '', payload = '', signature = ''] = signedIn.token.split('.');
      const flipped = (signature.startsWith('A') ? 'B' : 'A') + signature.slice(1);
      return `${header}.${payload}.${flipped}`;
    },
  ],
  [
    'an expired token (the clock moved 31 minutes on)',
    ({ t, signedIn }) => {
      t.clock.advanceMinutes(31);
      return signedIn.token;
    },
  ],
  [
    'an expired token whose session row was kept alive',
    async ({ t, signedIn }) => {
      t.clock.advanceMinutes(31);
      const later = new Date(t.clock.now().getTime() + 60 * MINUTE_MS).toISOString();
      await t.db
        .updateTable('sessions')
        .set({ expires_at: later, last_seen_at: t.clock.now().toISOString() })
        .where('id', '=', signedIn.sessionId)
        .execute();
      return signedIn.token;
    },
  ],
  [
    'a token signed with another key',
    ({ claims }) => signHs256(claims, 'another-secret-that-is-also-long-enough-0123456789'),
  ],
  [
    'an alg: none token',
    ({ claims }) =>
      handMadeToken({ alg: 'none', typ: 'JWT' }, { ...claims, iss: 'gatehouse', aud: 'gatehouse' }),
  ],
  [
    'an RS256 header over an HMAC made with our secret (key confusion)',
    ({ claims }) =>
      handMadeToken(
        { alg: 'RS256', typ: 'JWT' },
        { ...claims, iss: 'gatehouse', aud: 'gatehouse' },
        TEST_SECRET,
      ),
  ],
  [
    'an HS512 token signed with our secret',
    ({ claims }) =>
      jwt.sign(claims, TEST_SECRET, {
        algorithm: 'HS512',
        issuer: 'gatehouse',
        audience: 'gatehouse',
      }),
  ],
  [
    'a token from another issuer',
    ({ claims }) => signHs256(claims, TEST_SECRET, { issuer: 'evil', audience: 'gatehouse' }),
  ],
  [
    'a token for another audience',
    ({ claims }) => signHs256(claims, TEST_SECRET, { issuer: 'gatehouse', audience: 'evil' }),
  ],
  [
    'a token whose session row was deleted',
    async ({ t, signedIn }) => {
      await t.db.deleteFrom('sessions').where('id', '=', signedIn.sessionId).execute();
      return signedIn.token;
    },
  ],
  [
    'a token whose user was deleted (the sessions go with it)',
    async ({ t, signedIn }) => {
      await t.db.deleteFrom('users').where('id', '=', signedIn.user.id).execute();
      expect(await findSessionRow(t, signedIn.sessionId)).toBeUndefined();
      return signedIn.token;
    },
  ],
  [
    'a token whose user was disabled',
    async ({ t, signedIn }) => {
      await t.db
        .updateTable('users')
        .set({ is_active: 0 })
        .where('id', '=', signedIn.user.id)
        .execute();
      return signedIn.token;
    },
  ],
  [
    "a genuine signature over a valid sid with another user's sub",
    ({ t, signedIn, other }) =>
      jwt.sign(
        { sub: String(other.id), sid: signedIn.sessionId, iat: nowSeconds(t) },
        TEST_SECRET,
        {
          algorithm: 'HS256',
          issuer: 'gatehouse',
          audience: 'gatehouse',
          expiresIn: 600,
        },
      ),
  ],
  ['malformed base64', () => 'eyJhbGciOi!!.e30*.~~~'],
  ['a garbage string', () => 'not-a-jwt-at-all'],
  [
    'an 8 kB token, genuinely signed',
    ({ claims }) => signHs256({ ...claims, pad: 'x'.repeat(8 * 1024) }),
  ],
];

describe('a session cookie that does not resolve to a live session', () => {
  let t: TestApp;
  let context: BadTokenContext;
  beforeEach(async () => {
    t = await createTestApp();
    const signedIn = await signIn(t);
    const other = await t.createUser();
    const row = await findSessionRow(t, signedIn.sessionId);
    if (!row) throw new Error('no session row');
    const claims = {
      sub: String(signedIn.user.id),
      sid: signedIn.sessionId,
      iat: nowSeconds(t),
      exp: Math.floor(new Date(row.expires_at).getTime() / 1000),
    };
    context = { t, signedIn, other, claims };
  });
  afterEach(() => t.close());

  it('is accepted when built by hand correctly (so the cases below fail for their one defect)', async () => {
    const token = signHs256(context.claims);
    await getWithSessionCookie(t, '/private', token).expect(200);
  });

  it.each(BAD_TOKENS)('%s is treated as anonymous and cleared', async (_name, build) => {
    const token = await build(context);

    const privatePage = await getWithSessionCookie(t, '/private', token);
    expectRedirectToLogin(privatePage);
    expect(findSetCookie(privatePage, 'session')).toMatch(CLEARED_SESSION_COOKIE);

    const home = await getWithSessionCookie(t, '/', token);
    expect(home.status).toBe(200);
    expect(home.text).toContain('Welcome to Gatehouse');
    expect(home.text).toContain('href="/login"');
    expect(home.text).not.toContain('href="/logout"');
    expect(findSetCookie(home, 'session')).toMatch(CLEARED_SESSION_COOKIE);
  });
});

describe('expired session rows', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('a session whose row has expired is refused even while its JWT is still valid', async () => {
    const { token, sessionId } = await signIn(t);
    await t.db
      .updateTable('sessions')
      .set({ expires_at: new Date(t.clock.now().getTime() - 1000).toISOString() })
      .where('id', '=', sessionId)
      .execute();
    const res = await getWithSessionCookie(t, '/private', token);
    expectRedirectToLogin(res);
    expect(findSetCookie(res, 'session')).toMatch(CLEARED_SESSION_COOKIE);
  });

  it('deleteExpiredSessions removes only the expired rows and returns how many', async () => {
    const expired = await signIn(t);
    const expiringNow = await signIn(t);
    const live = await signIn(t);
    const now = t.clock.now();
    const setExpiry = (sessionId: string, at: Date) =>
      t.db
        .updateTable('sessions')
        .set({ expires_at: at.toISOString() })
        .where('id', '=', sessionId)
        .execute();
    await setExpiry(expired.sessionId, new Date(now.getTime() - MINUTE_MS));
    // A row is live only while expires_at > now (as the per-request check says).
    await setExpiry(expiringNow.sessionId, now);
    await setExpiry(live.sessionId, new Date(now.getTime() + 1000));

    expect(await deleteExpiredSessions(t.db, now)).toBe(2);
    const rows = await t.db.selectFrom('sessions').select('id').execute();
    expect(rows.map((row) => row.id)).toEqual([live.sessionId]);
    expect(await deleteExpiredSessions(t.db, now)).toBe(0);
  });
});
