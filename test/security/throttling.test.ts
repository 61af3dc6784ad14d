import request from 'supertest';
import type { Response } from 'supertest';
import type { User } from '../../src/users/user';
import { extractCsrfToken, fetchCsrfToken, findSetCookie, newBrowser } from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';
import { countingHasher, countRows, signInBrowser, snapshotDatabase } from './attack-kit';

const WRONG_PASSWORD = 'not the password at all';
const NEW_PASSWORD = 'a brand new passphrase for this test';
const TOO_MANY = /Too many attempts: try again in \d+ minutes?\./;

/** One login through the form from a fresh browser, optionally from a claimed address. */
async function attemptLogin(
  t: TestApp,
  email: string,
  password: string,
  forwardedFor?: string,
): Promise<Response> {
  const browser = newBrowser(t.app);
  const token = await fetchCsrfToken(browser);
  const req = browser.post('/login').type('form');
  if (forwardedFor !== undefined) req.set('X-Forwarded-For', forwardedFor);
  return req.send({ _csrf: token, email, password });
}

function expectThrottled(res: Response, maxSeconds: number): void {
  expect(res.status).toBe(429);
  expect(res.text).toMatch(TOO_MANY);
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
  expect(findSetCookie(res, 'session')).toBeUndefined();
}

async function failTimes(t: TestApp, email: string, times: number, forwardedFor?: string) {
  for (let i = 0; i < times; i += 1) {
    const res = await attemptLogin(t, email, WRONG_PASSWORD, forwardedFor);
    expect(res.status).toBe(401);
  }
}

describe('login throttling per (e-mail, IP)', () => {
  let t: TestApp;
  let user: User;
  const counter = countingHasher();
  beforeEach(async () => {
    t = await createTestApp({ wrapHasher: counter.wrap });
    user = await t.createUser({ email: 'ada@example.com' });
    counter.reset();
  });
  afterEach(() => t.close());

  it('after 5 failures the 6th attempt gets 429 with Retry-After, without checking the password', async () => {
    await failTimes(t, user.email, 5);
    expect(counter.calls.verify).toBe(5);
    const blocked = await attemptLogin(t, user.email, WRONG_PASSWORD);
    expectThrottled(blocked, 15 * 60);
    expect(counter.calls.verify).toBe(5);
  });

  it('while blocked, even the right password is refused and not checked', async () => {
    await failTimes(t, user.email, 5);
    counter.reset();
    const res = await attemptLogin(t, user.email, TEST_PASSWORD);
    expectThrottled(res, 15 * 60);
    expect(counter.calls).toMatchObject({ verify: 0, hash: 0, dummyHash: 0 });
    expect(await countRows(t, 'sessions')).toBe(0);
  });

  it('a blocked attempt writes a login_throttled audit event for the account', async () => {
    await failTimes(t, user.email, 5);
    await attemptLogin(t, user.email, TEST_PASSWORD);
    const events = await t.db
      .selectFrom('auth_events')
      .select(['type', 'user_id'])
      .where('type', '=', 'login_throttled')
      .execute();
    expect(events).toEqual([{ type: 'login_throttled', user_id: user.id }]);
  });

  it('the e-mail is matched however it is typed', async () => {
    await failTimes(t, user.email, 5);
    expectThrottled(await attemptLogin(t, '  ADA@Example.COM ', TEST_PASSWORD), 15 * 60);
  });

  it('a success resets the counter: 4 failures, 1 success, then 4 more failures are all checked', async () => {
    await failTimes(t, user.email, 4);
    expect((await attemptLogin(t, user.email, TEST_PASSWORD)).status).toBe(303);
    await failTimes(t, user.email, 4);
    // The fifth failure since the success is still allowed; the one after it is not.
    expect((await attemptLogin(t, user.email, WRONG_PASSWORD)).status).toBe(401);
    expectThrottled(await attemptLogin(t, user.email, TEST_PASSWORD), 15 * 60);
  });

  it('another account from the same IP is not blocked by the first one’s counter', async () => {
    const other = await t.createUser();
    await failTimes(t, user.email, 5);
    expect((await attemptLogin(t, other.email, TEST_PASSWORD)).status).toBe(303);
  });

  it('without TRUST_PROXY, a different X-Forwarded-For on each attempt does not escape the limit', async () => {
    for (let i = 1; i <= 5; i += 1) {
      const res = await attemptLogin(t, user.email, WRONG_PASSWORD, `203.0.113.${i}`);
      expect(res.status).toBe(401);
    }
    counter.reset();
    expectThrottled(await attemptLogin(t, user.email, TEST_PASSWORD, '198.51.100.7'), 15 * 60);
    expect(counter.calls.verify).toBe(0);
  });

  it('/token past the limit answers 429 JSON with Retry-After, without checking the password', async () => {
    await failTimes(t, user.email, 5);
    counter.reset();
    const res = await request(t.app)
      .post('/token')
      .type('form')
      .send({ grant_type: 'password', username: user.email, password: TEST_PASSWORD });
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ error: 'too_many_attempts' });
    expect(String(res.body.error_description)).toMatch(TOO_MANY);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body.access_token).toBeUndefined();
    expect(counter.calls.verify).toBe(0);
  });

  it('20 concurrent wrong guesses for one (e-mail, IP) get at most 5 password checks', async () => {
    const browsers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const browser = newBrowser(t.app);
        return { browser, token: await fetchCsrfToken(browser) };
      }),
    );
    counter.reset();
    const answers = await Promise.all(
      browsers.map(({ browser, token }) =>
        browser
          .post('/login')
          .type('form')
          .send({ _csrf: token, email: user.email, password: WRONG_PASSWORD }),
      ),
    );
    expect(counter.calls.verify).toBeLessThanOrEqual(5);
    expect(answers.filter((res) => res.status === 401)).toHaveLength(5);
    expect(answers.filter((res) => res.status === 429)).toHaveLength(15);
  });

  it('failures through /token count towards the same limit as the form', async () => {
    for (let i = 0; i < 5; i += 1) {
      await request(t.app)
        .post('/token')
        .type('form')
        .send({ username: user.email, password: WRONG_PASSWORD })
        .expect(400);
    }
    expectThrottled(await attemptLogin(t, user.email, TEST_PASSWORD), 15 * 60);
  });
});

describe('login throttling per IP across e-mails (RATE_LIMIT_LOGIN_IP=3/1h)', () => {
  let t: TestApp;
  const counter = countingHasher();
  beforeEach(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_LOGIN_IP: '3/1h' }, wrapHasher: counter.wrap });
  });
  afterEach(() => t.close());

  it('3 failures on 3 different e-mails block a 4th e-mail, even with its right password', async () => {
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) {
      expect((await attemptLogin(t, email, WRONG_PASSWORD)).status).toBe(401);
    }
    const fourth = await t.createUser({ email: 'd@example.com' });
    counter.reset();
    expectThrottled(await attemptLogin(t, fourth.email, TEST_PASSWORD), 3600);
    expect(counter.calls.verify).toBe(0);
  });
});

describe('login throttling per e-mail across IPs (RATE_LIMIT_LOGIN_EMAIL=3/1d, TRUST_PROXY=1)', () => {
  let t: TestApp;
  let user: User;
  beforeEach(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_LOGIN_EMAIL: '3/1d', TRUST_PROXY: '1' } });
    user = await t.createUser({ email: 'ada@example.com' });
  });
  afterEach(() => t.close());

  it('3 failures from 3 addresses block the account from a 4th address', async () => {
    for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      expect((await attemptLogin(t, user.email, WRONG_PASSWORD, ip)).status).toBe(401);
    }
    expectThrottled(await attemptLogin(t, user.email, TEST_PASSWORD, '203.0.113.4'), 86_400);
  });

  it('the block is per account: another account from the 4th address logs in', async () => {
    const other = await t.createUser();
    for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      await attemptLogin(t, user.email, WRONG_PASSWORD, ip);
    }
    expect((await attemptLogin(t, other.email, TEST_PASSWORD, '203.0.113.4')).status).toBe(303);
  });
});

describe('with TRUST_PROXY=1, a client-chosen X-Forwarded-For prefix', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ env: { TRUST_PROXY: '1' } });
  });
  afterEach(() => t.close());

  it('does not escape the per-(e-mail, IP) limit: only the address the proxy appended counts', async () => {
    const user = await t.createUser();
    for (let i = 1; i <= 5; i += 1) {
      const res = await attemptLogin(t, user.email, WRONG_PASSWORD, `10.0.0.${i}, 203.0.113.9`);
      expect(res.status).toBe(401);
    }
    expectThrottled(
      await attemptLogin(t, user.email, TEST_PASSWORD, '10.9.9.9, 203.0.113.9'),
      15 * 60,
    );
  });
});

const NEWCOMER = (n: number) => ({
  email: `newcomer${n}@example.com`,
  full_name: `New Comer ${n}`,
  password: NEW_PASSWORD,
  password_confirmation: NEW_PASSWORD,
});

describe('sign-up throttling per IP (RATE_LIMIT_SIGNUP_IP=2/1h)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_SIGNUP_IP: '2/1h' } });
  });
  afterEach(() => t.close());

  async function signUp(n: number) {
    const browser = newBrowser(t.app);
    const token = await fetchCsrfToken(browser, '/signup');
    return browser
      .post('/signup')
      .type('form')
      .send({ _csrf: token, ...NEWCOMER(n) });
  }

  it('the third sign-up from one address gets 429 with Retry-After and creates no account', async () => {
    expect((await signUp(1)).status).toBe(200);
    expect((await signUp(2)).status).toBe(200);
    await t.background.drain();
    const before = await snapshotDatabase(t);
    const third = await signUp(3);
    expectThrottled(third, 3600);
    await t.background.drain();
    expect(await snapshotDatabase(t)).toEqual(before);
  });
});

describe('password-change throttling per user (RATE_LIMIT_PASSWORD_CHANGE=2/15m)', () => {
  let t: TestApp;
  const counter = countingHasher();
  beforeEach(async () => {
    t = await createTestApp({
      env: { RATE_LIMIT_PASSWORD_CHANGE: '2/15m' },
      wrapHasher: counter.wrap,
    });
  });
  afterEach(() => t.close());

  it('the third attempt gets 429, even with the right current password, and nothing changes', async () => {
    const { browser } = await signInBrowser(t);
    for (let i = 0; i < 2; i += 1) {
      const page = await browser.get('/account');
      const res = await browser
        .post('/account/password')
        .type('form')
        .send({
          _csrf: extractCsrfToken(page.text),
          current_password: WRONG_PASSWORD,
          password: NEW_PASSWORD,
          password_confirmation: NEW_PASSWORD,
        });
      expect(res.status).toBe(401);
    }
    counter.reset();
    const before = await snapshotDatabase(t);
    const page = await browser.get('/account');
    const third = await browser
      .post('/account/password')
      .type('form')
      .send({
        _csrf: extractCsrfToken(page.text),
        current_password: TEST_PASSWORD,
        password: NEW_PASSWORD,
        password_confirmation: NEW_PASSWORD,
      });
    expectThrottled(third, 15 * 60);
    expect(counter.calls).toMatchObject({ verify: 0, hash: 0 });
    expect(await snapshotDatabase(t)).toEqual(before);
    await browser.get('/private').expect(200);
  });

  it('the limit is per user: another user can still change their password', async () => {
    const first = await signInBrowser(t);
    for (let i = 0; i < 3; i += 1) {
      const page = await first.browser.get('/account');
      await first.browser
        .post('/account/password')
        .type('form')
        .send({
          _csrf: extractCsrfToken(page.text),
          current_password: WRONG_PASSWORD,
          password: NEW_PASSWORD,
          password_confirmation: NEW_PASSWORD,
        });
    }
    const second = await signInBrowser(t);
    const page = await second.browser.get('/account');
    const res = await second.browser
      .post('/account/password')
      .type('form')
      .send({
        _csrf: extractCsrfToken(page.text),
        current_password: TEST_PASSWORD,
        password: NEW_PASSWORD,
        password_confirmation: NEW_PASSWORD,
      });
    expect(res.status).toBe(303);
  });
});

describe('what the throttle must not do', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('refused attempts from one IP do not use up the e-mail allowance of every other IP', async () => {
    t = await createTestApp({ env: { TRUST_PROXY: '1', RATE_LIMIT_LOGIN_EMAIL: '10/1d' } });
    const user = await t.createUser({ email: 'ada@example.com' });
    await failTimes(t, user.email, 5, '203.0.113.1');
    for (let i = 0; i < 10; i += 1) {
      expect((await attemptLogin(t, user.email, WRONG_PASSWORD, '203.0.113.1')).status).toBe(429);
    }
    const owner = await attemptLogin(t, user.email, TEST_PASSWORD, '198.51.100.7');
    expect(owner.status).toBe(303);
  });

  it('concurrent good logins for one account from one IP all succeed', async () => {
    t = await createTestApp();
    const user = await t.createUser({ email: 'ada@example.com' });
    const browsers = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const browser = newBrowser(t.app);
        return { browser, token: await fetchCsrfToken(browser) };
      }),
    );
    const answers = await Promise.all(
      browsers.map(({ browser, token }) =>
        browser
          .post('/login')
          .type('form')
          .send({ _csrf: token, email: user.email, password: TEST_PASSWORD }),
      ),
    );
    expect(answers.map((res) => res.status)).toEqual(Array(12).fill(303));
  });
});
