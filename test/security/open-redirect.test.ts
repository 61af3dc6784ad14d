import request from 'supertest';
import type { Response } from 'supertest';
import { logIn, newBrowser, setCookies, type Agent } from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';
import { expectLocalRedirect, isLocalPath } from './attack-kit';

/** `next` values as they reach the server (already URL-decoded). */
const PAYLOADS: string[] = [
  '//evil.example',
  '/\\evil.example',
  'https://evil.example',
  'http://evil.example/private',
  'HTTPS://evil.example',
  'https:evil.example',
  'http:/evil.example',
  '%2F%2Fevil.example',
  '/%5Cevil.example',
  '/%2F/evil.example',
  'javascript:alert(1)',
  'java\tscript:alert(1)',
  'data:text/html,x',
  '\\\\evil.example',
  '/\\/evil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  '/\u0000/evil.example',
  '/private\r\nSet-Cookie: pwn=1',
  '/private\nLocation: https://evil.example',
  '\uff0f\uff0fevil.example',
  '/\u2215evil.example',
  '\u3002evil',
  '//evil\u3002example',
  '///evil.example',
  ' //evil.example',
  '/.//evil.example',
  '/@evil.example',
  '//evil.example@gatehouse.test',
  '/login?next=//evil.example',
  `/${'a'.repeat(5000)}`,
  '',
];

/** Whatever happens, no header may have been injected by a CR/LF in `next`. */
function expectNoInjectedHeader(res: Response): void {
  for (const line of setCookies(res)) expect(line).not.toContain('pwn');
  expect(res.headers.pwn).toBeUndefined();
}

describe('next after a successful login (POST /login with a hidden next)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    await t.createUser({ email: 'ada@example.com' });
  });
  afterAll(() => t.close());

  it('a local next is followed (the control)', async () => {
    const res = await logIn(newBrowser(t.app), 'ada@example.com', TEST_PASSWORD, {
      next: '/account?tab=sessions',
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account?tab=sessions');
  });

  it.each(PAYLOADS.map((payload) => [JSON.stringify(payload).slice(0, 60), payload]))(
    'next=%s redirects to a local path',
    async (_label, payload) => {
      const res = await logIn(newBrowser(t.app), 'ada@example.com', TEST_PASSWORD, {
        next: payload,
      });
      expectLocalRedirect(res);
      expectNoInjectedHeader(res);
    },
  );

  it('a repeated next field is not guessed at: the login lands on /private', async () => {
    const browser = newBrowser(t.app);
    const page = await browser.get('/login');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const res = await browser
      .post('/login')
      .type('form')
      .send(
        `_csrf=${encodeURIComponent(token)}&email=ada%40example.com` +
          `&password=${encodeURIComponent(TEST_PASSWORD)}&next=%2Fprivate&next=%2F%2Fevil.example`,
      );
    expect(res.status).toBe(303);
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

  it('a local next is followed (the control)', async () => {
    const res = await browser.get('/login?next=%2Faccount');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account');
  });

  it.each(PAYLOADS.map((payload) => [JSON.stringify(payload).slice(0, 60), payload]))(
    '?next=%s (URL-encoded) redirects to a local path',
    async (_label, payload) => {
      const res = await browser.get(`/login?next=${encodeURIComponent(payload)}`);
      expectLocalRedirect(res);
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

  const decodeEntities = (html: string) =>
    html
      .replaceAll('&#x3D;', '=')
      .replaceAll('&#x2F;', '/')
      .replaceAll('&#x60;', '`')
      .replaceAll('&#x27;', "'")
      .replaceAll('&quot;', '"')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&amp;', '&');

  it.each(PAYLOADS.map((payload) => [JSON.stringify(payload).slice(0, 60), payload]))(
    'for ?next=%s is absent or a local path',
    async (_label, payload) => {
      const res = await request(t.app).get(`/login?next=${encodeURIComponent(payload)}`);
      expect(res.status).toBe(200);
      const hidden = /name="next" value="([^"]*)"/.exec(res.text)?.[1];
      if (hidden !== undefined) expect(isLocalPath(decodeEntities(hidden))).toBe(true);
    },
  );
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
