import { findSetCookie, logIn, newBrowser } from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';

describe('a disabled account', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  const markInactive = (userId: number) =>
    t.db.updateTable('users').set({ is_active: 0 }).where('id', '=', userId).execute();

  const sessionRows = () => t.db.selectFrom('sessions').selectAll().execute();

  it('answers a wrong password with the generic 401, telling a guesser nothing', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    await markInactive(user.id);
    const disabled = await logIn(newBrowser(t.app), user.email, 'not the password at all');
    const unknown = await logIn(newBrowser(t.app), 'nobody@example.com', 'not the password at all');
    expect(disabled.status).toBe(401);
    expect(disabled.text).toContain('Incorrect email or password');
    expect(disabled.text).not.toContain('disabled');
    // The same page as for an address with no account at all, but for the echoed
    // e-mail and the per-request CSRF token.
    const normalize = (html: string, email: string) =>
      html.replace(/name="_csrf" value="[^"]+"/g, '').replaceAll(email, 'EMAIL');
    expect(unknown.status).toBe(401);
    expect(normalize(unknown.text, 'nobody@example.com')).toBe(
      normalize(disabled.text, 'ada@example.com'),
    );
    expect(findSetCookie(disabled, 'session')).toBeUndefined();
  });

  it('answers the right password with 403 "This account is disabled" and starts no session', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    await markInactive(user.id);
    const res = await logIn(newBrowser(t.app), user.email, TEST_PASSWORD);
    expect(res.status).toBe(403);
    expect(res.text).toContain('This account is disabled');
    expect(res.text).toContain('value="ada@example.com"');
    expect(findSetCookie(res, 'session')).toBeUndefined();
    expect(await sessionRows()).toHaveLength(0);
    const row = await t.db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    expect(row.last_login_at).toBeNull();
  });

  it("records a refused login with the right password as 'login_failed' for that user", async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    await markInactive(user.id);
    const res = await logIn(newBrowser(t.app), user.email, TEST_PASSWORD);
    expect(res.status).toBe(403);
    const events = await t.db
      .selectFrom('auth_events')
      .select(['type', 'user_id'])
      .orderBy('id')
      .execute();
    expect(events).toEqual([{ type: 'login_failed', user_id: user.id }]);
  });

  it('ends a browser already logged in when the admin service disables the user', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const browser = newBrowser(t.app);
    expect((await logIn(browser, user.email, TEST_PASSWORD)).status).toBe(303);
    await browser.get('/private').expect(200);

    const { revoked } = await t.userAdmin().setActive(user.email, false);
    expect(revoked).toBe(1);
    expect(await sessionRows()).toHaveLength(0);

    const res = await browser.get('/private');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fprivate');
    expect(findSetCookie(res, 'session')).toMatch(/^session=;/);
  });

  it('ends a browser already logged in when only the users row is marked inactive', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const browser = newBrowser(t.app);
    expect((await logIn(browser, user.email, TEST_PASSWORD)).status).toBe(303);
    await browser.get('/private').expect(200);

    await markInactive(user.id);
    // The session row is still there: the per-request check must look at the user too.
    expect(await sessionRows()).toHaveLength(1);

    const res = await browser.get('/private');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fprivate');
    const home = await browser.get('/').expect(200);
    expect(home.text).not.toContain('Welcome back');
  });

  it('lets the user log in again once the admin service enables the account', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const admin = t.userAdmin();
    await admin.setActive(user.email, false);
    expect((await logIn(newBrowser(t.app), user.email, TEST_PASSWORD)).status).toBe(403);
    await admin.setActive(user.email, true);
    const browser = newBrowser(t.app);
    expect((await logIn(browser, user.email, TEST_PASSWORD)).status).toBe(303);
    await browser.get('/private').expect(200);
  });

  it('records the admin changes in the audit trail', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const admin = t.userAdmin();
    await admin.setActive(user.email, false);
    await admin.setActive(user.email, true);
    const events = await t.db
      .selectFrom('auth_events')
      .select(['type', 'user_id'])
      .orderBy('id')
      .execute();
    expect(events).toEqual([
      { type: 'account_disabled', user_id: user.id },
      { type: 'account_enabled', user_id: user.id },
    ]);
  });
});
