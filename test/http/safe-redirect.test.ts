import request from 'supertest';
import { nextOrPrivate, toSafeLocalPath } from '../../src/http/safe-redirect';
import { extractCsrfToken, logIn, newBrowser, setCookies } from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';

/** `next` values that must never become a redirect target. */
const BAD_NEXT_STRINGS: string[] = [
  '//evil.example',
  '///evil.example',
  '/\\evil.example',
  '/\\/evil.example',
  '\\\\evil.example',
  'https://evil.example',
  'HTTPS://evil.example/private',
  'http:evil.example',
  '%2F%2Fevil.example',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  '/\tevil',
  '/\t/evil.example',
  '\t//evil.example',
  '/\n/evil.example',
  '/path\r\nSet-Cookie: x=1',
  '/\u0000evil',
  '／／evil.example',
  '/\u2215evil',
  '/\u2044evil.example',
  '/private\u00a0',
  '',
  'evil.example',
  './private',
  '../private',
  ' /private',
  'private',
  `/${'a'.repeat(3000)}`,
];

const BAD_NEXT_NON_STRINGS: unknown[] = [['/private'], undefined, null, 42, { path: '/private' }];

/** Local paths, kept exactly as given (percent-encoded bytes stay encoded, so they are safe). */
const GOOD_NEXT: string[] = [
  '/',
  '/private',
  '/private?tab=2',
  '/private?tab=2&x=a%20b#section',
  '/%0d%0aSet-Cookie:x',
  '/%2F%2Fevil.example',
  '/%5Cevil.example',
  '/@evil.example',
  '/a/b/../c',
  `/${'a'.repeat(2047)}`,
];

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
  it.each(BAD_NEXT_STRINGS.map((value) => [JSON.stringify(value).slice(0, 60), value]))(
    'refuses %s',
    (_label, value) => {
      expect(toSafeLocalPath(value)).toBeNull();
      expect(nextOrPrivate(value)).toBe('/private');
    },
  );

  it.each(BAD_NEXT_NON_STRINGS.map((value) => [JSON.stringify(value) ?? 'undefined', value]))(
    'refuses the non-string %s',
    (_label, value) => {
      expect(toSafeLocalPath(value)).toBeNull();
      expect(nextOrPrivate(value)).toBe('/private');
    },
  );

  it.each(GOOD_NEXT.map((value) => [value.slice(0, 60), value]))(
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

describe('next on the login routes', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('POST /login with any bad next redirects to exactly /private', async () => {
    const user = await t.createUser();
    const locations: Record<string, unknown> = {};
    for (const next of BAD_NEXT_STRINGS) {
      const res = await logIn(newBrowser(t.app), user.email, TEST_PASSWORD, { next });
      expect(res.status).toBe(303);
      locations[JSON.stringify(next)] = res.headers.location;
    }
    expect(locations).toEqual(
      Object.fromEntries(BAD_NEXT_STRINGS.map((next) => [JSON.stringify(next), '/private'])),
    );
  });

  it('POST /login with a repeated next redirects to /private', async () => {
    const user = await t.createUser();
    const browser = newBrowser(t.app);
    const page = await browser.get('/login');
    const body = new URLSearchParams([
      ['_csrf', extractCsrfToken(page.text)],
      ['email', user.email],
      ['password', TEST_PASSWORD],
      ['next', '/private?a=1'],
      ['next', '//evil.example'],
    ]).toString();
    const res = await browser.post('/login').type('form').send(body).expect(303);
    expect(res.headers.location).toBe('/private');
  });

  it('POST /login keeps a percent-encoded CR/LF encoded in Location and sets no injected cookie', async () => {
    const user = await t.createUser();
    const res = await logIn(newBrowser(t.app), user.email, TEST_PASSWORD, {
      next: '/%0d%0aSet-Cookie:x',
    });
    expect(res.headers.location).toBe('/%0d%0aSet-Cookie:x');
    expect(setCookies(res).filter((line) => /^\s*x=/.test(line))).toEqual([]);
  });

  it('GET /login with a bad next renders no hidden next field', async () => {
    for (const next of BAD_NEXT_STRINGS) {
      const res = await request(t.app).get('/login').query({ next }).expect(200);
      expect({ next, hidden: hiddenNext(res.text) }).toEqual({ next, hidden: undefined });
      expect(res.text).not.toContain('name="next"');
    }
    const repeated = await request(t.app).get('/login?next=%2Fprivate&next=%2Fother').expect(200);
    expect(repeated.text).not.toContain('name="next"');
  });

  it('a signed-in visitor of /login is sent to a good next, and to /private for a bad one', async () => {
    const user = await t.createUser();
    const browser = newBrowser(t.app);
    await logIn(browser, user.email, TEST_PASSWORD);
    const good = await browser.get('/login').query({ next: '/private?tab=2' }).expect(303);
    expect(good.headers.location).toBe('/private?tab=2');
    for (const next of ['//evil.example', 'https://evil.example', '/\\evil.example']) {
      const bad = await browser.get('/login').query({ next }).expect(303);
      expect(bad.headers.location).toBe('/private');
    }
  });

  it('after being sent to log in from a private page, the visitor lands back on it', async () => {
    const user = await t.createUser({ fullName: 'Ada Lovelace' });
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
        email: user.email,
        password: TEST_PASSWORD,
        next: next ?? '',
      })
      .expect(303);
    expect(res.headers.location).toBe('/private?tab=2');
    const landed = await browser.get(res.headers.location ?? '').expect(200);
    expect(landed.text).toContain('Hello, Ada Lovelace');
  });
});
