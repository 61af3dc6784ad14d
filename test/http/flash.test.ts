import { createHmac } from 'node:crypto';
import request from 'supertest';
import type { Response } from 'supertest';
import { cookieValue, findSetCookie, logIn, newBrowser, type Agent } from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, TEST_SECRET, type TestApp } from '../helpers/test-app';

const LOGGED_IN = 'You are logged in.';
const LOGGED_OUT = 'You have been logged out.';
const CLEARED_FLASH_COOKIE = /^flash=;.*Expires=Thu, 01 Jan 1970 00:00:00 GMT/;

/** The one-time message a page shows, if any. */
function shownFlash(res: Response): string | undefined {
  return /<p class="flash" role="status">([^<]*)<\/p>/.exec(res.text)?.[1];
}

/** A browser that has just logged in; returns the flash cookie value the login set. */
async function loggedInBrowser(t: TestApp): Promise<{ browser: Agent; flashCookie: string }> {
  const user = await t.createUser();
  const browser = newBrowser(t.app);
  const res = await logIn(browser, user.email, TEST_PASSWORD);
  expect(res.status).toBe(303);
  const flashCookie = cookieValue(findSetCookie(res, 'flash'));
  if (!flashCookie) throw new Error('login set no flash cookie');
  return { browser, flashCookie };
}

/** Signs a flash key exactly as src/http/flash.ts does, with the test secret. */
function serverSignature(flashKey: string): string {
  const macKey = createHmac('sha256', TEST_SECRET).update('gatehouse flash cookie').digest();
  return createHmac('sha256', macKey).update(flashKey).digest('base64url');
}

/** A page requested by a client holding nothing but the given flash cookie. */
function getHomeWithFlashCookie(t: TestApp, value: string) {
  return request(t.app).get('/').set('Cookie', `flash=${value}`);
}

describe('flash messages', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('travel in an HttpOnly, SameSite=Lax cookie that lives at most a minute', async () => {
    const user = await t.createUser();
    const res = await logIn(newBrowser(t.app), user.email, TEST_PASSWORD);
    const line = findSetCookie(res, 'flash');
    expect(line).toBeDefined();
    expect(line).toContain('HttpOnly');
    expect(line).toContain('SameSite=Lax');
    expect(line).toContain('Path=/');
    const maxAge = Number(/Max-Age=(\d+)/.exec(line ?? '')?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(60);
  });

  it('carry only a key and a signature, never the message itself', async () => {
    const { flashCookie } = await loggedInBrowser(t);
    expect(decodeURIComponent(flashCookie)).toMatch(/^logged-in\.[A-Za-z0-9_-]+$/);
    expect(decodeURIComponent(flashCookie)).not.toContain('You are');
  });

  it('show "You are logged in." on the page after login, once, then clear the cookie', async () => {
    const { browser } = await loggedInBrowser(t);
    const first = await browser.get('/private').expect(200);
    expect(shownFlash(first)).toBe(LOGGED_IN);
    expect(findSetCookie(first, 'flash')).toMatch(CLEARED_FLASH_COOKIE);

    const second = await browser.get('/private').expect(200);
    expect(shownFlash(second)).toBeUndefined();
    expect(second.text).not.toContain(LOGGED_IN);
  });

  it('show "You have been logged out." on the page after logout', async () => {
    const { browser } = await loggedInBrowser(t);
    await browser.get('/private');
    const out = await browser.get('/logout').set('Sec-Fetch-Site', 'same-origin').expect(303);
    expect(out.headers.location).toBe('/');
    expect(findSetCookie(out, 'flash')).toBeDefined();

    const home = await browser.get('/').expect(200);
    expect(shownFlash(home)).toBe(LOGGED_OUT);
    expect(home.text).toContain('href="/login"');
    expect(shownFlash(await browser.get('/'))).toBeUndefined();
  });

  it('show nothing after an anonymous visitor "logs out"', async () => {
    const browser = newBrowser(t.app);
    const out = await browser.get('/logout').expect(303);
    expect(findSetCookie(out, 'flash')).toBeUndefined();
    expect(shownFlash(await browser.get('/'))).toBeUndefined();
  });

  it('never put the message in a URL: redirects carry a bare path', async () => {
    const user = await t.createUser();
    const browser = newBrowser(t.app);
    const login = await logIn(browser, user.email, TEST_PASSWORD);
    const logout = await browser.get('/logout').set('Sec-Fetch-Site', 'same-origin');
    for (const res of [login, logout]) {
      expect(res.status).toBe(303);
      const location = String(res.headers.location);
      expect(location).toMatch(/^\/[a-z]*$/);
      expect(location).not.toMatch(/flash|message|logged|\?/i);
    }
    expect(login.headers.location).toBe('/private');
    expect(logout.headers.location).toBe('/');
  });

  it('show a genuine cookie presented by another client (the control for the forgeries)', async () => {
    const { flashCookie } = await loggedInBrowser(t);
    const res = await getHomeWithFlashCookie(t, flashCookie).expect(200);
    expect(shownFlash(res)).toBe(LOGGED_IN);
  });

  describe('a forged flash cookie shows nothing and is cleared', () => {
    async function expectRefused(value: string): Promise<void> {
      const res = await getHomeWithFlashCookie(t, value).expect(200);
      expect(shownFlash(res)).toBeUndefined();
      expect(res.text).not.toContain('class="flash"');
      expect(findSetCookie(res, 'flash')).toMatch(CLEARED_FLASH_COOKIE);
    }

    it('when it is unsigned', async () => {
      await expectRefused('logged-in');
      await expectRefused('logged-in.');
    });

    it('when its signature is wrong', async () => {
      const { flashCookie } = await loggedInBrowser(t);
      const [flashKey = '', signature = ''] = flashCookie.split('.');
      const flipped = (signature.startsWith('A') ? 'B' : 'A') + signature.slice(1);
      await expectRefused(`${flashKey}.${flipped}`);
      await expectRefused(`${flashKey}.${'A'.repeat(43)}`);
      const otherSecret = createHmac('sha256', 'not the server secret').update(flashKey);
      await expectRefused(`${flashKey}.${otherSecret.digest('base64url')}`);
    });

    it('when its key is unknown, even if signed the way the server signs', async () => {
      // Signed exactly as the server signs, so only the key is wrong.
      for (const unknown of ['pwned', 'toString', '__proto__']) {
        await expectRefused(`${unknown}.${serverSignature(unknown)}`);
      }
    });

    it('when cookie-parser would decode it as JSON (a `j:` value)', async () => {
      await expectRefused('j:{}');
      await expectRefused('j:{"logged-in":1}');
      await expectRefused('j:["logged-in"]');
    });

    it('when a valid key and signature are followed by a third part', async () => {
      const { flashCookie } = await loggedInBrowser(t);
      // The first two parts alone are what the server sets, and would be shown.
      const signature = serverSignature('logged-in');
      expect(flashCookie).toBe(`logged-in.${signature}`);
      await expectRefused(`logged-in.${signature}.junk`);
      await expectRefused(`logged-in.${signature}.`);
    });

    it('when its signature was made for another key', async () => {
      const { flashCookie } = await loggedInBrowser(t);
      const signature = flashCookie.split('.')[1] ?? '';
      await expectRefused(`logged-out.${signature}`);
      await expectRefused(`password-changed.${signature}`);
    });
  });
});
