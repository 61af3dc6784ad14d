import request from 'supertest';
import type { User } from '../../src/users/user';
import { eachTestWithAppAndUser, signIn } from '../accounts/account-support';
import { fetchCsrfToken, findSetCookie, logIn, newBrowser, type Agent } from '../helpers/browser';
import { TEST_PASSWORD, type TestApp } from '../helpers/test-app';
import { codeFor, enableTwoStep, nextStep, submitCode } from './two-step-support';

/** A user with two-step on (set up from another browser), and a fresh browser to log in from. */
async function withTwoStep(t: TestApp, user: User) {
  const { browser: setupBrowser } = await signIn(t, user);
  const enabled = await enableTwoStep(t, setupBrowser);
  return { ...enabled, browser: newBrowser(t.app) };
}

/** Password first: answers the redirect to the second page. */
async function passwordStep(browser: Agent, user: User, extra: Record<string, string> = {}) {
  const res = await logIn(browser, user.email, TEST_PASSWORD, extra);
  expect(res.status).toBe(303);
  return res;
}

async function codeStep(browser: Agent, code: string) {
  const page = await browser.get('/login/two-step');
  expect(page.status).toBe(200);
  return submitCode(browser, page, '/login/two-step', code);
}

async function sessionCount(t: TestApp, user: User): Promise<number> {
  const rows = await t.db
    .selectFrom('sessions')
    .select('id')
    .where('user_id', '=', user.id)
    .execute();
  return rows.length;
}

describe('logging in to an account with two-step sign-in', () => {
  const given = eachTestWithAppAndUser();

  it('asks for the code after the right password, and issues the session only after it', async () => {
    const { t, user } = given;
    const { secret, browser } = await withTwoStep(t, user);
    const before = await sessionCount(t, user);
    const res = await passwordStep(browser, user, { next: '/account' });
    expect(res.headers.location).toBe('/login/two-step?next=%2Faccount');
    expect(findSetCookie(res, 'session')).toBeUndefined();
    const challenge = findSetCookie(res, 'two_step') ?? '';
    expect(challenge).toMatch(/HttpOnly/);
    expect(challenge).toMatch(/SameSite=Lax/);
    expect(challenge).toMatch(/Max-Age=300/);
    expect(await sessionCount(t, user)).toBe(before);
    expect((await browser.get('/private')).status).toBe(303);

    const page = await browser.get('/login/two-step?next=%2Faccount');
    expect(page.text).toContain('<h1>Enter your code</h1>');
    expect(page.text).toContain('autocomplete="one-time-code"');
    const done = await submitCode(browser, page, '/login/two-step', codeFor(t, secret));
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/account');
    expect(findSetCookie(done, 'session')).toBeDefined();
    expect((await browser.get('/private')).status).toBe(200);
    expect(await t.db.selectFrom('login_challenges').select('id_hash').execute()).toHaveLength(0);
  });

  it('still refuses a wrong password on the first page, with no second page', async () => {
    const { t, user } = given;
    const { browser } = await withTwoStep(t, user);
    const res = await logIn(browser, user.email, 'not the password at all');
    expect(res.status).toBe(401);
    expect(findSetCookie(res, 'two_step')).toBeUndefined();
  });

  it('refuses a wrong code (401), and then a replayed one', async () => {
    const { t, user } = given;
    const { secret, browser } = await withTwoStep(t, user);
    await passwordStep(browser, user);
    const wrong = await codeStep(browser, '000000' === codeFor(t, secret) ? '111111' : '000000');
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('That code is not right or was already used.');
    expect(findSetCookie(wrong, 'session')).toBeUndefined();
    const code = codeFor(t, secret);
    expect((await codeStep(browser, code)).status).toBe(303);

    // The same code again, within its 30 seconds, from another browser: refused.
    const other = newBrowser(t.app);
    await passwordStep(other, user);
    const replay = await codeStep(other, code);
    expect(replay.status).toBe(401);
    expect(findSetCookie(replay, 'session')).toBeUndefined();
    nextStep(t);
    expect((await codeStep(other, codeFor(t, secret))).status).toBe(303);
  });

  it('accepts a clock one step behind or ahead, not two', async () => {
    const { t, user } = given;
    const { secret, browser } = await withTwoStep(t, user);
    nextStep(t);
    await passwordStep(browser, user);
    expect((await codeStep(browser, codeFor(t, secret, -2))).status).toBe(401);
    expect((await codeStep(browser, codeFor(t, secret, 2))).status).toBe(401);
    expect((await codeStep(browser, codeFor(t, secret, -1))).status).toBe(303);

    const ahead = newBrowser(t.app);
    await passwordStep(ahead, user);
    expect((await codeStep(ahead, codeFor(t, secret, 1))).status).toBe(303);
  });

  it('accepts a recovery code once, and refuses it the second time', async () => {
    const { t, user } = given;
    const { recoveryCodes, browser } = await withTwoStep(t, user);
    const [code = ''] = recoveryCodes;
    await passwordStep(browser, user);
    expect((await codeStep(browser, code.toUpperCase())).status).toBe(303);

    const again = newBrowser(t.app);
    await passwordStep(again, user);
    const refused = await codeStep(again, code);
    expect(refused.status).toBe(401);
    const account = await browser.get('/account');
    expect(account.text).toMatch(/Recovery codes left<\/dt>\s*<dd>9<\/dd>/);
    expect(account.text).toMatch(/Recovery codes used<\/dt>\s*<dd>1<\/dd>/);
  });

  it('throttles the sixth wrong code (429), even when the sixth is right', async () => {
    const { t, user } = given;
    const { secret, browser } = await withTwoStep(t, user);
    await passwordStep(browser, user);
    const right = codeFor(t, secret);
    const wrong = right === '123456' ? '654321' : '123456';
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      expect((await codeStep(browser, wrong)).status).toBe(401);
    }
    const sixth = await codeStep(browser, right);
    expect(sixth.status).toBe(429);
    expect(findSetCookie(sixth, 'session')).toBeUndefined();
    // A new challenge does not reset the account's budget.
    const other = newBrowser(t.app);
    await passwordStep(other, user);
    expect((await codeStep(other, right)).status).toBe(429);
  });

  it('does not count right codes against the budget', async () => {
    const { t, user } = given;
    const { secret } = await withTwoStep(t, user);
    for (let login = 1; login <= 6; login += 1) {
      nextStep(t);
      const browser = newBrowser(t.app);
      await passwordStep(browser, user);
      expect((await codeStep(browser, codeFor(t, secret))).status).toBe(303);
    }
  });

  it('lets the half-done login expire after 5 minutes', async () => {
    const { t, user } = given;
    const { secret, browser } = await withTwoStep(t, user);
    await passwordStep(browser, user);
    const page = await browser.get('/login/two-step');
    t.clock.advanceMinutes(5);
    const res = await submitCode(browser, page, '/login/two-step', codeFor(t, secret));
    expect(res.status).toBe(401);
    expect(res.text).toContain('This sign-in has expired or was started in another browser.');
    expect(findSetCookie(res, 'session')).toBeUndefined();
    expect((await browser.get('/login/two-step')).status).toBe(401);
  });

  it('cannot be finished from another browser (no challenge cookie)', async () => {
    const { t, user } = given;
    const { secret, browser } = await withTwoStep(t, user);
    await passwordStep(browser, user);
    const stranger = newBrowser(t.app);
    const page = await stranger.get('/login/two-step');
    expect(page.status).toBe(401);
    expect(page.text).toContain('Log in again with your password.');
    const res = await submitCode(stranger, page, '/login/two-step', codeFor(t, secret));
    expect(res.status).toBe(401);
    expect(findSetCookie(res, 'session')).toBeUndefined();
    // A made-up cookie is no better.
    const forged = await stranger
      .post('/login/two-step')
      .set('Cookie', 'two_step=made-up')
      .type('form')
      .send({ code: codeFor(t, secret) });
    expect(findSetCookie(forged, 'session')).toBeUndefined();
    // The owner's browser still can.
    expect((await codeStep(browser, codeFor(t, secret))).status).toBe(303);
  });

  it('cannot finish a challenge twice', async () => {
    const { t, user } = given;
    const { secret, recoveryCodes, browser } = await withTwoStep(t, user);
    await passwordStep(browser, user);
    const page = await browser.get('/login/two-step');
    const cookie = findSetCookie(await browser.get('/login/two-step'), 'two_step');
    expect(cookie).toBeUndefined();
    expect((await submitCode(browser, page, '/login/two-step', codeFor(t, secret))).status).toBe(
      303,
    );
    // Posted again with a valid form token of the (now signed-in) browser.
    const csrf = await fetchCsrfToken(browser, '/account');
    const second = await browser
      .post('/login/two-step')
      .type('form')
      .send({ _csrf: csrf, code: recoveryCodes[0] ?? '' });
    expect(second.status).toBe(401);
    expect(
      await t.db
        .selectFrom('recovery_codes')
        .select('id')
        .where('used_at', 'is not', null)
        .execute(),
    ).toHaveLength(0);
  });
});

describe('POST /token for an account with two-step sign-in', () => {
  const given = eachTestWithAppAndUser();

  const token = (t: TestApp, fields: Record<string, string>) =>
    request(t.app)
      .post('/token')
      .type('form')
      .send({ grant_type: 'password', ...fields });

  it('refuses the password alone, asking for otp', async () => {
    const { t, user } = given;
    await withTwoStep(t, user);
    const res = await token(t, { username: user.email, password: TEST_PASSWORD });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'invalid_grant',
      error_description: expect.stringContaining('otp') as string,
    });
    expect(await t.db.selectFrom('login_challenges').select('id_hash').execute()).toHaveLength(0);
  });

  it('refuses a wrong otp, and answers a token with the right one', async () => {
    const { t, user } = given;
    const { secret } = await withTwoStep(t, user);
    const wrong = await token(t, {
      username: user.email,
      password: TEST_PASSWORD,
      otp: '000000' === codeFor(t, secret) ? '111111' : '000000',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    expect(wrong.body.error_description).toContain('not right');
    const res = await token(t, {
      username: user.email,
      password: TEST_PASSWORD,
      otp: codeFor(t, secret),
    });
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('bearer');
    const me = await request(t.app)
      .get('/users/me')
      .set('Authorization', `Bearer ${res.body.access_token as string}`);
    expect(me.status).toBe(200);
    const again = await token(t, {
      username: user.email,
      password: TEST_PASSWORD,
      otp: codeFor(t, secret),
    });
    expect(again.status).toBe(400);
  });

  it('refuses a malformed otp field as invalid_request', async () => {
    const { t, user } = given;
    await withTwoStep(t, user);
    const long = await token(t, {
      username: user.email,
      password: TEST_PASSWORD,
      otp: '1'.repeat(65),
    });
    expect(long.status).toBe(400);
    expect(long.body.error).toBe('invalid_request');
  });

  it('ignores otp for an account without two-step', async () => {
    const { t, user } = given;
    const res = await token(t, { username: user.email, password: TEST_PASSWORD, otp: '123456' });
    expect(res.status).toBe(200);
  });
});
