import { cookieValue, findSetCookie } from '../helpers/browser';
import { createTestApp, type TestApp } from '../helpers/test-app';
import {
  expectRedirectToLogin,
  findSessionRow,
  getWithSessionCookie,
  MINUTE_MS,
  signIn,
} from './session-support';

describe('rolling sessions', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('does not re-issue the cookie or write the row before half the lifetime has passed', async () => {
    t = await createTestApp();
    const { browser, sessionId } = await signIn(t);
    const before = await findSessionRow(t, sessionId);
    t.clock.advanceMinutes(10);
    const res = await browser.get('/private').expect(200);
    expect(findSetCookie(res, 'session')).toBeUndefined();
    expect(await findSessionRow(t, sessionId)).toEqual(before);
  });

  it('after 16 minutes re-issues the cookie for 30 more minutes and moves the row', async () => {
    t = await createTestApp();
    const { browser, sessionId, token } = await signIn(t);
    t.clock.advanceMinutes(16);
    const now = t.clock.now();
    const res = await browser.get('/private').expect(200);
    const line = findSetCookie(res, 'session');
    expect(line).toContain('Max-Age=1800');
    expect(line).toContain('HttpOnly');
    const renewed = cookieValue(line);
    expect(renewed).toBeDefined();
    expect(renewed).not.toBe(token);
    const row = await findSessionRow(t, sessionId);
    expect(row?.last_seen_at).toBe(now.toISOString());
    expect(row?.expires_at).toBe(new Date(now.getTime() + 30 * MINUTE_MS).toISOString());

    // The renewed token outlives the original one.
    t.clock.advanceMinutes(20);
    await getWithSessionCookie(t, '/private', renewed ?? '').expect(200);
    expectRedirectToLogin(await getWithSessionCookie(t, '/private', token));
  });

  it('never rolls past SESSION_ABSOLUTE_HOURS after login', async () => {
    t = await createTestApp({ env: { SESSION_ABSOLUTE_HOURS: '1' } });
    const { browser, sessionId } = await signIn(t);
    const created = await findSessionRow(t, sessionId);
    if (!created) throw new Error('no session row');
    const cap = new Date(created.created_at).getTime() + 60 * MINUTE_MS;

    const maxAges: (string | undefined)[] = [];
    let elapsed = 0;
    for (;;) {
      t.clock.advanceMinutes(16);
      elapsed += 16;
      const res = await browser.get('/private');
      if (res.status !== 200) {
        expectRedirectToLogin(res);
        break;
      }
      maxAges.push(/Max-Age=(\d+)/.exec(findSetCookie(res, 'session') ?? '')?.[1]);
      const row = await findSessionRow(t, sessionId);
      expect(new Date(row?.expires_at ?? 0).getTime()).toBeLessThanOrEqual(cap);
      expect(elapsed).toBeLessThan(60);
    }
    // Rolled at 16 (30 more minutes) and 32 (only 28: the cap), not at 48; gone at 64.
    expect(maxAges).toEqual(['1800', '1680', undefined]);
    expect(elapsed).toBe(64);
  });

  it('with the default 12 hours, a session used every 16 minutes ends 12 hours after login', async () => {
    t = await createTestApp();
    const { browser, sessionId } = await signIn(t);
    const created = await findSessionRow(t, sessionId);
    if (!created) throw new Error('no session row');
    const cap = new Date(created.created_at).getTime() + 12 * 60 * MINUTE_MS;
    let lastAuthenticatedMinute = 0;
    let elapsed = 0;
    while (elapsed < 13 * 60) {
      t.clock.advanceMinutes(16);
      elapsed += 16;
      const res = await browser.get('/private');
      if (res.status !== 200) break;
      lastAuthenticatedMinute = elapsed;
      const row = await findSessionRow(t, sessionId);
      expect(new Date(row?.expires_at ?? 0).getTime()).toBeLessThanOrEqual(cap);
    }
    // Still signed in within the last 16 minutes before the cap, anonymous after it.
    expect(lastAuthenticatedMinute).toBeGreaterThanOrEqual(12 * 60 - 16);
    expect(lastAuthenticatedMinute).toBeLessThan(12 * 60);
    expect(elapsed).toBeGreaterThanOrEqual(12 * 60);
    expectRedirectToLogin(await browser.get('/private'));
  });
});
