import request from 'supertest';
import type { Response } from 'supertest';
import { nextOrPrivate, toSafeLocalPath } from '../../src/http/safe-redirect';
import { extractCsrfToken, logIn, newBrowser, setCookies, type Agent } from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';
import { expectLocalRedirect } from '../security/attack-kit';

/** `next` values (as they reach the server, already URL-decoded) that must never become a redirect target. */
const REFUSED_NEXT: string[] = [
  '//evil.example',
  '///evil.example',
  ' //evil.example',
  '/\\evil.example',
  '/\\/evil.example',
  '\\\\evil.example',
  'https://evil.example',
  'HTTPS://evil.example',
  'HTTPS://evil.example/private',
  'http://evil.example/private',
  'https:evil.example',
  'http:evil.example',
  'http:/evil.example',
  '//evil.example@gatehouse.test',
  '%2F%2Fevil.example',
  'javascript:alert(1)',
  'java\tscript:alert(1)',
  'data:text/html,x',
  'data:text/html,<script>alert(1)</script>',
  '/\tevil',
  '/\t/evil.example',
  '\t//evil.example',
  '/\n/evil.example',
  '/path\r\nSet-Cookie: x=1',
  '/private\r\nSet-Cookie: pwn=1',
  '/private\nLocation: https://evil.example',
  '/\u0000evil',
  '/\u0000/evil.example',
  '／／evil.example',
  '/\u2215evil',
  '/\u2215evil.example',
  '/\u2044evil.example',
  '\u3002evil',
  '//evil\u3002example',
  '/private\u00a0',
  '',
  'evil.example',
  './private',
  '../private',
  ' /private',
  'private',
  `/${'a'.repeat(3000)}`,
  `/${'a'.repeat(5000)}`,
];

const REFUSED_NON_STRINGS: unknown[] = [['/private'], undefined, null, 42, { path: '/private' }];

/**
 * Local paths, kept exactly as given: percent-encoded bytes stay encoded, and
 * a browser resolves each one on this site.
 */
const KEPT_NEXT: string[] = [
  '/',
  '/private',
  '/private?tab=2',
  '/private?tab=2&x=a%20b#section',
  '/account?tab=sessions',
  '/%0d%0aSet-Cookie:x',
  '/%2F%2Fevil.example',
  '/%2F/evil.example',
  '/%5Cevil.example',
  '/@evil.example',
  '/.//evil.example',
  '/a/b/../c',
  '/login?next=//evil.example',
  `/${'a'.repeat(2047)}`,
];

const label = (value: string) => JSON.stringify(value).slice(0, 60);

type NextCase = [shown: string, shownTarget: string, next: string, target: string];

/** Every `next` with where it must lead: itself when kept, else /private. */
const EVERY_NEXT: NextCase[] = [
  ...REFUSED_NEXT.map((next): NextCase => [label(next), '/private', next, '/private']),
  ...KEPT_NEXT.map((next): NextCase => [label(next), label(next), next, next]),
];

/**
 * Whatever happens, a CR/LF in `next` may not have injected a header or a
 * cookie (by name: a random cookie value may spell "pwn").
 */
function expectNoInjectedHeader(res: Response): void {
  for (const line of setCookies(res)) expect(line).not.toMatch(/^\s*(pwn|x)=/);
  expect(res.headers.pwn).toBeUndefined();
}

/** Reverses Handlebars' attribute escaping, as a browser does when it submits a form. */
function decodeHtml(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_match, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function hiddenNext(html: string): string | undefined {
  const match = /<input type="hidden" name="next" value="([^"]*)"/.exec(html);
  return match?.[1] === undefined ? undefined : decodeHtml(match[1]);
}

describe('toSafeLocalPath', () => {
  it.each(REFUSED_NEXT.map((value) => [label(value), value]))('refuses %s', (_label, value) => {
    expect(toSafeLocalPath(value)).toBeNull();
    expect(nextOrPrivate(value)).toBe('/private');
  });

  it.each(REFUSED_NON_STRINGS.map((value) => [JSON.stringify(value) ?? 'undefined', value]))(
    'refuses the non-string %s',
    (_label, value) => {
      expect(toSafeLocalPath(value)).toBeNull();
      expect(nextOrPrivate(value)).toBe('/private');
    },
  );

  it.each(KEPT_NEXT.map((value) => [label(value), value]))(
    'keeps the local path %s verbatim',
    (_label, value) => {
      expect(toSafeLocalPath(value)).toBe(value);
      expect(nextOrPrivate(value)).toBe(value);
    },
  );

  it('refuses a path one character over the 2048 limit', () => {
    expect(toSafeLocalPath(`/${'a'.repeat(2048)}`)).toBeNull();
  });
});

// One app per block; its per-IP login budget is raised so that one login per
// row of the table is never throttled (throttling is not what is tested here).
const MANY_LOGINS = { RATE_LIMIT_LOGIN_IP: '1000/1h' };

describe('next after a successful login (POST /login with a hidden next)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: MANY_LOGINS });
    await t.createUser({ email: 'ada@example.com', fullName: 'Ada Lovelace' });
  });
  afterAll(() => t.close());

  it.each(EVERY_NEXT)('next=%s redirects to %s', async (_shown, _target, next, expected) => {
    const res = await logIn(newBrowser(t.app), 'ada@example.com', TEST_PASSWORD, { next });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(expected);
    expectLocalRedirect(res);
    expectNoInjectedHeader(res);
  });

  it('a repeated next field is not guessed at: the login lands on /private', async () => {
    const browser = newBrowser(t.app);
    const page = await browser.get('/login');
    const body = new URLSearchParams([
      ['_csrf', extractCsrfToken(page.text)],
      ['email', 'ada@example.com'],
      ['password', TEST_PASSWORD],
      ['next', '/private?a=1'],
      ['next', '//evil.example'],
    ]).toString();
    const res = await browser.post('/login').type('form').send(body).expect(303);
    expect(res.headers.location).toBe('/private');
  });

  it('a nested next is only a local path: following it lands on /login, which refuses it again', async () => {
    const browser = newBrowser(t.app);
    const res = await logIn(browser, 'ada@example.com', TEST_PASSWORD, {
      next: '/login?next=//evil.example',
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?next=//evil.example');
    const followed = await browser.get(String(res.headers.location));
    expect(followed.status).toBe(303);
    expect(followed.headers.location).toBe('/private');
  });

  it('after being sent to log in from a private page, the visitor lands back on it', async () => {
    const browser = newBrowser(t.app);
    const bounced = await browser.get('/private?tab=2').expect(303);
    expect(bounced.headers.location).toBe('/login?next=%2Fprivate%3Ftab%3D2');

    const page = await browser.get(bounced.headers.location ?? '').expect(200);
    const next = hiddenNext(page.text);
    expect(next).toBe('/private?tab=2');
    const res = await browser
      .post('/login')
      .type('form')
      .send({
        _csrf: extractCsrfToken(page.text),
        email: 'ada@example.com',
        password: TEST_PASSWORD,
        next: next ?? '',
      })
      .expect(303);
    expect(res.headers.location).toBe('/private?tab=2');
    const landed = await browser.get(res.headers.location ?? '').expect(200);
    expect(landed.text).toContain('Hello, Ada Lovelace');
  });
});

describe('next for an already signed-in visitor of GET /login', () => {
  let t: TestApp;
  let browser: Agent;
  beforeAll(async () => {
    t = await createTestApp();
    await t.createUser({ email: 'ada@example.com' });
    browser = newBrowser(t.app);
    const res = await logIn(browser, 'ada@example.com', TEST_PASSWORD);
    expect(res.status).toBe(303);
  });
  afterAll(() => t.close());

  it.each(EVERY_NEXT)(
    '?next=%s (URL-encoded) redirects to %s',
    async (_shown, _target, next, expected) => {
      const res = await browser.get(`/login?next=${encodeURIComponent(next)}`);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(expected);
      expectNoInjectedHeader(res);
    },
  );

  it.each([
    '?next=//evil.example',
    '?next=%2F%2Fevil.example',
    '?next=/%2F/evil.example',
    '?next=%5C%5Cevil.example',
    '?next=/private&next=//evil.example',
    '?next[]=//evil.example',
    '?next=%0d%0aSet-Cookie:%20pwn=1',
    '?next=%E2%88%95evil.example',
    '?next=%C0%AF%C0%AFevil.example',
    '?next=%FF',
  ])('the raw query %s redirects to a local path', async (query) => {
    const res = await browser.get(`/login${query}`);
    expectLocalRedirect(res);
    expectNoInjectedHeader(res);
  });
});

describe('the hidden next field on the anonymous login page', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each(REFUSED_NEXT.map((value) => [label(value), value]))(
    'for ?next=%s is absent',
    async (_label, next) => {
      const res = await request(t.app).get('/login').query({ next }).expect(200);
      expect(hiddenNext(res.text)).toBeUndefined();
      expect(res.text).not.toContain('name="next"');
    },
  );

  it.each(KEPT_NEXT.map((value) => [label(value), value]))(
    'for ?next=%s carries the path verbatim',
    async (_label, next) => {
      const res = await request(t.app).get('/login').query({ next }).expect(200);
      expect(hiddenNext(res.text)).toBe(next);
    },
  );

  it('for a repeated ?next is absent', async () => {
    const res = await request(t.app).get('/login?next=%2Fprivate&next=%2Fother').expect(200);
    expect(res.text).not.toContain('name="next"');
  });
});

describe('the next a private page hands to the login page', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each(['/account/%0d%0aSet-Cookie:%20pwn=1', '/account//evil.example', '/account/%5C%5Cevil'])(
    'an anonymous visit to %s redirects to /login with the path encoded in next',
    async (path) => {
      const res = await request(t.app).get(path);
      expectLocalRedirect(res);
      expectNoInjectedHeader(res);
      expect(String(res.headers.location)).toMatch(/^\/login\?next=%2F/);
    },
  );
});
