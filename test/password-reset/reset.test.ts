import request from 'supertest';
import { insertPasswordReset } from '../../src/password-reset/password-resets.repository';
import { createResetToken, hashResetToken } from '../../src/password-reset/reset-token';
import {
  cookieValue,
  expectOnlyFreshCsrfTokens,
  extractCsrfToken,
  findSetCookie,
  logIn,
  newBrowser,
} from '../helpers/browser';
import { TEST_PASSWORD } from '../helpers/test-app';
import {
  createResetWorld,
  mailedResetToken,
  NEW_PASSWORD,
  resetWith,
  type ResetWorld,
} from './reset-support';

const INVALID_LINK = 'This link does not work';

describe('GET/POST /password/reset', () => {
  let world: ResetWorld;
  beforeEach(async () => {
    world = await createResetWorld();
  });
  afterEach(() => world.close());

  const sessionCount = async (userId: number) =>
    (await world.t.db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute())
      .length;

  it('moves the token from the address into an HttpOnly cookie, with no Referer leak', async () => {
    await world.t.createUser({ email: 'ada@example.com' });
    const token = await mailedResetToken(world, 'ada@example.com');
    const browser = newBrowser(world.t.app);
    const hop = await browser.get(`/password/reset/${token}`);
    expect(hop.status).toBe(303);
    expect(hop.headers.location).toBe('/password/reset');
    expect(hop.headers['referrer-policy']).toBe('no-referrer');
    const cookie = findSetCookie(hop, 'reset_token') ?? '';
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('Path=/password/reset');
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookieValue(cookie)).toBe(token);

    const form = await browser.get('/password/reset');
    expect(form.status).toBe(200);
    expect(form.headers['referrer-policy']).toBe('no-referrer');
    expect(form.text).toContain('Choose a new password');
    expect(form.text).toContain('ada@example.com');
    expect(form.text).not.toContain(token);
  });

  it('sets the new password, ends every session, uses the link and logs this browser in', async () => {
    const user = await world.t.createUser({ email: 'ada@example.com' });
    const elsewhere = newBrowser(world.t.app);
    expect((await logIn(elsewhere, user.email, TEST_PASSWORD)).status).toBe(303);
    const token = await mailedResetToken(world, user.email);

    const browser = newBrowser(world.t.app);
    const res = await resetWith(browser, token);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/private');
    expect(findSetCookie(res, 'reset_token')).toMatch(/^reset_token=;/);
    expect(findSetCookie(res, 'session')).toBeDefined();
    const landing = await browser.get('/private');
    expect(landing.status).toBe(200);
    expect(landing.text).toContain('Your new password is set and you are logged in.');

    // The session that existed before the reset is gone; only the new one is left.
    const before = await elsewhere.get('/private');
    expect(before.status).toBe(303);
    expect(before.headers.location).toMatch(/^\/login/);
    expect(await sessionCount(user.id)).toBe(1);
    const row = await world.t.db
      .selectFrom('password_resets')
      .select('used_at')
      .executeTakeFirstOrThrow();
    expect(row.used_at).not.toBeNull();
    const events = await world.t.db
      .selectFrom('auth_events')
      .select('type')
      .where('user_id', '=', user.id)
      .where('type', '=', 'password_reset')
      .execute();
    expect(events).toHaveLength(1);

    expect((await logIn(newBrowser(world.t.app), user.email, TEST_PASSWORD)).status).toBe(401);
    expect((await logIn(newBrowser(world.t.app), user.email, NEW_PASSWORD)).status).toBe(303);
  });

  it('renews the CSRF secret, as /login does: a token minted before the reset is refused (403) afterwards', async () => {
    await world.t.createUser({ email: 'ada@example.com' });
    const token = await mailedResetToken(world, 'ada@example.com');
    const browser = newBrowser(world.t.app);
    await browser.get(`/password/reset/${token}`);
    const oldToken = extractCsrfToken((await browser.get('/password/reset')).text);
    const res = await browser
      .post('/password/reset')
      .type('form')
      .send({ _csrf: oldToken, password: NEW_PASSWORD, password_confirmation: NEW_PASSWORD });
    expect(res.status).toBe(303);
    expect(findSetCookie(res, 'csrf')).toMatch(/^csrf=;.*Expires=Thu, 01 Jan 1970/);

    await expectOnlyFreshCsrfTokens(browser, oldToken);
  });

  it('mails a "password changed" notice after the reset', async () => {
    await world.t.createUser({ email: 'ada@example.com' });
    const token = await mailedResetToken(world, 'ada@example.com');
    await resetWith(newBrowser(world.t.app), token);
    await world.t.background.drain();
    const [, notice] = await world.smtp.waitForMessages(2);
    expect(notice?.parsed.subject).toBe('Your Gatehouse password was changed');
    expect(notice?.envelopeTo).toEqual(['ada@example.com']);
  });

  it('works once: the same link afterwards gets the "new link" page', async () => {
    await world.t.createUser({ email: 'ada@example.com' });
    const token = await mailedResetToken(world, 'ada@example.com');
    expect((await resetWith(newBrowser(world.t.app), token)).status).toBe(303);
    const again = newBrowser(world.t.app);
    await again.get(`/password/reset/${token}`);
    const page = await again.get('/password/reset');
    expect(page.status).toBe(400);
    expect(page.text).toContain(INVALID_LINK);
    expect(page.text).toContain('href="/password/forgot"');
  });

  it('lets only one of two concurrent submissions of one link through', async () => {
    const user = await world.t.createUser({ email: 'ada@example.com' });
    const token = await mailedResetToken(world, user.email);
    const [first, second] = await Promise.all([
      resetWith(newBrowser(world.t.app), token, 'first concurrent passphrase'),
      resetWith(newBrowser(world.t.app), token, 'second concurrent passphrase'),
    ]);
    expect([first.status, second.status].sort()).toEqual([303, 400]);
    expect(await sessionCount(user.id)).toBe(1);
  });

  it('refuses a link older than RESET_TOKEN_MINUTES', async () => {
    await world.t.createUser({ email: 'ada@example.com' });
    const token = await mailedResetToken(world, 'ada@example.com');
    world.t.clock.advanceMinutes(31);
    const res = await resetWith(newBrowser(world.t.app), token);
    expect(res.status).toBe(400);
    expect(res.text).toContain(INVALID_LINK);
    expect((await logIn(newBrowser(world.t.app), 'ada@example.com', TEST_PASSWORD)).status).toBe(
      303,
    );
  });

  it('voids outstanding links when the password changes by another route', async () => {
    await world.t.createUser({ email: 'ada@example.com' });
    const token = await mailedResetToken(world, 'ada@example.com');
    const admin = world.t.userAdmin();
    await admin.setPassword('ada@example.com', 'set by the administrator today');
    const res = await resetWith(newBrowser(world.t.app), token);
    expect(res.status).toBe(400);
    expect(res.text).toContain(INVALID_LINK);
  });

  it('refuses a link once its account is disabled', async () => {
    const user = await world.t.createUser({ email: 'ada@example.com' });
    const token = await mailedResetToken(world, user.email);
    await world.t.db.updateTable('users').set({ is_active: 0 }).where('id', '=', user.id).execute();
    expect((await resetWith(newBrowser(world.t.app), token)).status).toBe(400);
  });

  it('refuses a link mailed before the account was disabled, once the account is enabled again', async () => {
    const user = await world.t.createUser({ email: 'ada@example.com' });
    const token = await mailedResetToken(world, user.email);
    const admin = world.t.userAdmin();
    await admin.setActive(user.email, false);
    const voided = await world.t.db.selectFrom('password_resets').select('used_at').execute();
    expect(voided).toEqual([{ used_at: expect.any(String) }]);
    await admin.setActive(user.email, true);

    const res = await resetWith(newBrowser(world.t.app), token);
    expect(res.status).toBe(400);
    expect(res.text).toContain(INVALID_LINK);
    expect((await logIn(newBrowser(world.t.app), user.email, TEST_PASSWORD)).status).toBe(303);
    // The way forward still works: a link asked for after the enable.
    const fresh = await mailedResetToken(world, user.email);
    expect((await resetWith(newBrowser(world.t.app), fresh)).status).toBe(303);
  });

  it('refuses, once enabled, a link written while the account was disabled (a request racing the disable)', async () => {
    const user = await world.t.createUser({ email: 'ada@example.com' });
    const admin = world.t.userAdmin();
    await admin.setActive(user.email, false);
    // What a reset request that read the account just before the disable writes just after it.
    const token = createResetToken();
    const now = world.t.clock.now();
    await insertPasswordReset(world.t.db, {
      userId: user.id,
      tokenHash: hashResetToken(token),
      now,
      expiresAt: new Date(now.getTime() + 30 * 60_000),
    });
    await admin.setActive(user.email, true);
    const res = await resetWith(newBrowser(world.t.app), token);
    expect(res.status).toBe(400);
    expect(res.text).toContain(INVALID_LINK);
  });

  it.each([
    ['malformed', 'not-a-token'],
    ['unknown', 'A'.repeat(43)],
    ['too long', 'A'.repeat(44)],
    ['encoded slash', 'abc%2Fdef'],
  ])('answers a %s token with the one clear page, never a 500', async (_label, token) => {
    const browser = newBrowser(world.t.app);
    const hop = await browser.get(`/password/reset/${token}`);
    expect([303, 400]).toContain(hop.status);
    const page = await browser.get('/password/reset');
    expect(page.status).toBe(400);
    expect(page.text).toContain(INVALID_LINK);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
  });

  it('answers a visit with no token at all with the same page', async () => {
    const page = await request(world.t.app).get('/password/reset');
    expect(page.status).toBe(400);
    expect(page.text).toContain(INVALID_LINK);
  });

  it('keeps the link usable when the new password breaks the policy', async () => {
    await world.t.createUser({ email: 'ada@example.com' });
    const token = await mailedResetToken(world, 'ada@example.com');
    const browser = newBrowser(world.t.app);
    const short = await resetWith(browser, token, 'short');
    expect(short.status).toBe(400);
    expect(short.text).toMatch(/at least 12 characters/i);
    const mismatch = await browser.get('/password/reset');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(mismatch.text)?.[1] ?? '';
    const notMatching = await browser
      .post('/password/reset')
      .type('form')
      .send({ _csrf: csrf, password: NEW_PASSWORD, password_confirmation: 'something else' });
    expect(notMatching.status).toBe(400);
    expect(notMatching.text).toContain('The two passwords do not match.');
    expect((await resetWith(browser, token)).status).toBe(303);
  });

  it('refuses the reset post without the CSRF token', async () => {
    await world.t.createUser({ email: 'ada@example.com' });
    const token = await mailedResetToken(world, 'ada@example.com');
    const browser = newBrowser(world.t.app);
    await browser.get(`/password/reset/${token}`);
    const res = await browser
      .post('/password/reset')
      .type('form')
      .send({ password: NEW_PASSWORD, password_confirmation: NEW_PASSWORD });
    expect(res.status).toBe(403);
    expect((await logIn(newBrowser(world.t.app), 'ada@example.com', TEST_PASSWORD)).status).toBe(
      303,
    );
  });
});
