import fc from 'fast-check';
import request from 'supertest';
import type { Response } from 'supertest';
import { cookieValue, extractCsrfToken, findSetCookie } from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';
import { isLocalPath, issueApiToken, signInBrowser } from './attack-kit';

const KNOWN_EMAIL = 'ada@example.com';
const GENEROUS = '999999/1h';

const ROUTES: readonly (readonly ['GET' | 'POST', string])[] = [
  '/',
  '/login',
  '/logout',
  '/signup',
  '/private',
  '/account',
  '/account/password',
  '/account/sessions/revoke',
  '/account/sessions/revoke-others',
  '/account/sessions/revoke-all',
  '/token',
  '/users/me',
  '/healthz',
  '/no-such-page',
].flatMap((path) => [['GET', path] as const, ['POST', path] as const]);

const FIELD_NAMES = [
  'email',
  'password',
  '_csrf',
  'next',
  'full_name',
  'password_confirmation',
  'current_password',
  'session_id',
  'grant_type',
  'username',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'email[]',
  '__proto__[polluted]',
  'a[b][c]',
];

const NASTY_VALUES = [
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '//evil.example',
  '/\\evil.example',
  'javascript:alert(1)',
  '\u0000',
  '%FF%FE',
  '\r\nSet-Cookie: pwn=1',
  '../../../etc/passwd',
  'password',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ／／evil',
  'e\u0301\u200b\u202e',
];

/**
 * Percent-encodes any JS string (lone surrogates included, as U+FFFD) the way
 * a form would, so that fast-check's strings always make a sendable body.
 */
function encodeFormPart(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

const encodePairs = (pairs: readonly (readonly [string, string])[]) =>
  pairs.map(([key, value]) => `${encodeFormPart(key)}=${encodeFormPart(value)}`).join('&');

const fieldName = fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 12 }));
const fieldValue = fc
  .oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ minLength: 200, maxLength: 3000 }),
    fc.constantFrom(...NASTY_VALUES),
    fc.constant(KNOWN_EMAIL),
    fc.emailAddress(),
  )
  // The seeded password never appears: every password the fuzzer sends is wrong.
  .filter((value) => value !== TEST_PASSWORD);

/** Passwords near and far from the real one, never equal to it. */
const wrongPassword = fc
  .oneof(
    fc.string({ minLength: 1, maxLength: 64 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 }),
    fc.constantFrom(
      TEST_PASSWORD.toUpperCase(),
      `${TEST_PASSWORD} `,
      ` ${TEST_PASSWORD}`,
      TEST_PASSWORD.slice(0, -1),
      `${TEST_PASSWORD}\u0000`,
      TEST_PASSWORD.normalize('NFD').replace('e', 'e\u0301'),
    ),
  )
  .filter((value) => value !== TEST_PASSWORD);

/** A login-shaped body for the seeded account (or another), with a wrong password. */
const credentialPairs = fc
  .tuple(
    fc.oneof(fc.constant(KNOWN_EMAIL), fc.constant(' ADA@example.COM '), fc.emailAddress()),
    wrongPassword,
    fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 3 }),
  )
  .map(([email, password, extra]): (readonly [string, string])[] => [
    ['email', email],
    ['username', email],
    ['password', password],
    ['grant_type', 'password'],
    ...extra,
  ]);

/** Characters a client can put in a header value (Node refuses the rest before sending). */
const headerText = (maxLength: number) =>
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
    maxLength,
  });

const COOKIE_NAMES = ['session', 'csrf', 'flash', '__Host-session', '__Host-csrf', 'j'];
const NASTY_COOKIE_VALUES = [
  'j:{"sub":"1"}',
  'j:[1]',
  '""',
  '%FF%FE',
  'eyJhbGciOiJub25lIn0.e30.',
  'a.b.c',
  'logged-in.forged',
];

const randomCookie = fc.tuple(
  fc.oneof(
    fc.constantFrom(...COOKIE_NAMES),
    headerText(8).filter((name) => /^[A-Za-z0-9_-]+$/.test(name)),
  ),
  fc.oneof(fc.constantFrom(...NASTY_COOKIE_VALUES), headerText(300)),
);

interface Scenario {
  route: readonly ['GET' | 'POST', string];
  query: (readonly [string, string])[] | null;
  body: { kind: 'pairs'; pairs: (readonly [string, string])[] } | { kind: 'raw'; text: string };
  contentType: string;
  cookies: (readonly [string, string])[];
  /** Which genuine credentials ride along, so the fuzz also reaches past CSRF and login checks. */
  genuine: { csrf: 'none' | 'anonymous' | 'signed-in'; session: boolean; bearer: boolean };
  authorization: string | null;
  fetchSite: string | null;
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  route: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...ROUTES) },
    // The routes that check passwords get extra attention.
    {
      weight: 3,
      arbitrary: fc.constantFrom(['POST', '/login'] as const, ['POST', '/token'] as const),
    },
    { weight: 1, arbitrary: fc.webPath().map((path) => ['GET', `/${path}`] as const) },
  ),
  query: fc.option(fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 3 })),
  body: fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('pairs' as const),
        pairs: fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 10 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('pairs' as const), pairs: credentialPairs }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw' as const), text: fc.string() }) },
  ),
  contentType: fc.oneof(
    { weight: 5, arbitrary: fc.constant('application/x-www-form-urlencoded') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'application/json',
        'text/plain',
        'multipart/form-data; boundary=x',
        'application/x-www-form-urlencoded; charset=utf-16',
        'application/x-www-form-urlencoded; charset=latin1',
      ),
    },
  ),
  cookies: fc.array(randomCookie, { maxLength: 4 }),
  genuine: fc.record({
    csrf: fc.constantFrom('none' as const, 'anonymous' as const, 'signed-in' as const),
    session: fc.boolean(),
    bearer: fc.boolean(),
  }),
  authorization: fc.option(
    fc.oneof(
      headerText(200),
      headerText(200).map((token) => `Bearer ${token}`),
    ),
  ),
  fetchSite: fc.option(fc.constantFrom('cross-site', 'same-site', 'same-origin', 'none')),
});

interface Genuine {
  anonymousCsrf: { secret: string; token: string };
  signedIn: { session: string; sessionId: string; csrfSecret: string; csrfToken: string };
  bearer: string;
}

/** The session cookie lines of a response that set a value (not the clearing ones). */
function sessionCookiesSet(res: Response): string[] {
  return ['session', '__Host-session'].flatMap((name) => {
    const line = findSetCookie(res, name);
    return line !== undefined && cookieValue(line) !== '' ? [line] : [];
  });
}

describe('random requests to every route', () => {
  let t: TestApp;
  let genuine: Genuine;

  /** A signed-in browser's cookies and form token; made again when the fuzz logged it out. */
  async function signInForFuzz(): Promise<Genuine['signedIn']> {
    const signed = await signInBrowser(t);
    const page = await signed.browser.get('/account');
    return {
      session: signed.token,
      sessionId: signed.sessionId,
      csrfSecret: cookieValue(findSetCookie(page, 'csrf')) ?? '',
      csrfToken: extractCsrfToken(page.text),
    };
  }

  async function ensureSignedIn(): Promise<void> {
    const row = await t.db
      .selectFrom('sessions')
      .select('id')
      .where('id', '=', genuine.signedIn.sessionId)
      .executeTakeFirst();
    if (!row) genuine.signedIn = await signInForFuzz();
  }

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        RATE_LIMIT_LOGIN_EMAIL_IP: GENEROUS,
        RATE_LIMIT_LOGIN_IP: GENEROUS,
        RATE_LIMIT_LOGIN_EMAIL: GENEROUS,
        RATE_LIMIT_SIGNUP_IP: GENEROUS,
        RATE_LIMIT_PASSWORD_CHANGE: GENEROUS,
      },
    });
    const seeded = await t.createUser({ email: KNOWN_EMAIL });
    const loginPage = await request(t.app).get('/login');
    genuine = {
      anonymousCsrf: {
        secret: cookieValue(findSetCookie(loginPage, 'csrf')) ?? '',
        token: extractCsrfToken(loginPage.text),
      },
      signedIn: await signInForFuzz(),
      bearer: (await issueApiToken(t, seeded)).token,
    };
  });
  afterAll(() => t.close());

  async function send(s: Scenario): Promise<Response> {
    if (s.genuine.session || s.genuine.csrf === 'signed-in') await ensureSignedIn();
    const [method, path] = s.route;
    const url = s.query === null ? path : `${path}?${encodePairs(s.query)}`;
    const cookies = s.cookies.map(([name, value]) => `${name}=${value}`);
    let bodyPairs = s.body.kind === 'pairs' ? [...s.body.pairs] : [];
    if (s.genuine.session) cookies.push(`session=${genuine.signedIn.session}`);
    if (s.genuine.csrf === 'anonymous') {
      cookies.push(`csrf=${genuine.anonymousCsrf.secret}`);
      bodyPairs = [['_csrf', genuine.anonymousCsrf.token], ...bodyPairs];
    } else if (s.genuine.csrf === 'signed-in') {
      cookies.push(`csrf=${genuine.signedIn.csrfSecret}`);
      bodyPairs = [['_csrf', genuine.signedIn.csrfToken], ...bodyPairs];
    }
    const authorization = s.genuine.bearer ? `Bearer ${genuine.bearer}` : s.authorization;

    const req = method === 'GET' ? request(t.app).get(url) : request(t.app).post(url);
    if (cookies.length > 0) req.set('Cookie', cookies.join('; '));
    if (authorization !== null) req.set('Authorization', authorization);
    if (s.fetchSite !== null) req.set('Sec-Fetch-Site', s.fetchSite);
    if (method === 'GET') return req;
    const body = s.body.kind === 'raw' ? s.body.text : encodePairs(bodyPairs);
    return req.set('Content-Type', s.contentType).send(body);
  }

  it('never answers 5xx, never redirects off-site, and never logs anyone in with a wrong password', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const res = await send(s);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 300 && res.status < 400) {
          expect(isLocalPath(res.headers.location)).toBe(true);
        }
        // Only a sign-up may start a session: every password sent here is wrong.
        if (s.route[1] !== '/signup') expect(sessionCookiesSet(res)).toEqual([]);
        if (s.route[1] === '/token') expect(res.body?.access_token).toBeUndefined();
      }),
      { numRuns: 200 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 60_000);
});
