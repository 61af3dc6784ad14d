import type { Response } from 'supertest';
import type { User } from '../../src/users/user';
import {
  fetchCsrfToken,
  findSetCookie,
  newBrowser,
  submitAccountForm,
  type Agent,
} from '../helpers/browser';
import { TEST_PASSWORD } from '../helpers/test-app';
import {
  createResetWorld,
  mailedResetToken,
  resetWith,
  type ResetWorld,
} from '../password-reset/reset-support';

const WRONG_PASSWORD = 'not the password at all';
const OWNER_IP = '198.51.100.10';

/** The device cookie a browser's jar holds (the agent sends it with each request). */
async function deviceCookieOf(browser: Agent): Promise<string> {
  const jar = (
    browser as unknown as {
      jar: { getCookie(name: string, access: object): { value: string } | undefined };
    }
  ).jar;
  const cookie = jar.getCookie('device', {
    domain: '127.0.0.1',
    path: '/',
    secure: false,
    script: false,
  });
  if (!cookie) throw new Error('no device cookie in the jar');
  return cookie.value;
}

/** A login through the form from `browser`, claiming `ip` (TRUST_PROXY=1). */
async function logInFrom(browser: Agent, ip: string, email: string, password: string) {
  const csrf = await fetchCsrfToken(browser);
  return browser
    .post('/login')
    .set('X-Forwarded-For', ip)
    .type('form')
    .send({ _csrf: csrf, email, password });
}

async function forgotFrom(browser: Agent, ip: string, email: string): Promise<Response> {
  const csrf = await fetchCsrfToken(browser, '/password/forgot');
  return browser
    .post('/password/forgot')
    .set('X-Forwarded-For', ip)
    .type('form')
    .send({ _csrf: csrf, email });
}

/** The owner's browser: it logged in once (getting its device cookie), then logged out. */
async function ownersBrowser(world: ResetWorld, user: User): Promise<Agent> {
  const browser = newBrowser(world.t.app);
  const res = await logInFrom(browser, OWNER_IP, user.email, TEST_PASSWORD);
  expect(res.status).toBe(303);
  expect(findSetCookie(res, 'device')).toMatch(/HttpOnly/i);
  expect(findSetCookie(res, 'device')).toMatch(/SameSite=Lax/i);
  // A plain same-site GET /logout: the session ends, the device cookie stays.
  expect((await browser.get('/logout').set('X-Forwarded-For', OWNER_IP)).status).toBe(303);
  return browser;
}

describe('strangers cannot lock the owner out (device cookies, RATE_LIMIT_LOGIN_EMAIL=3/1d)', () => {
  let world: ResetWorld;
  let user: User;
  beforeEach(async () => {
    world = await createResetWorld({
      TRUST_PROXY: '1',
      RATE_LIMIT_LOGIN_EMAIL: '3/1d',
      RATE_LIMIT_LOGIN_IP: '4/1h',
    });
    user = await world.t.createUser({ email: 'owner@example.com' });
  });
  afterEach(() => world.close());

  async function exhaustEmailLimitFromStrangers() {
    for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      const res = await logInFrom(newBrowser(world.t.app), ip, user.email, WRONG_PASSWORD);
      expect(res.status).toBe(401);
    }
    const blocked = await logInFrom(
      newBrowser(world.t.app),
      '203.0.113.4',
      user.email,
      TEST_PASSWORD,
    );
    expect(blocked.status).toBe(429);
  }

  it('with the per-e-mail limit spent from other IPs, the owner’s browser logs in (303) and a fresh browser gets 429', async () => {
    const owner = await ownersBrowser(world, user);
    await exhaustEmailLimitFromStrangers();
    expect((await logInFrom(owner, OWNER_IP, user.email, TEST_PASSWORD)).status).toBe(303);
    const fresh = await logInFrom(newBrowser(world.t.app), OWNER_IP, user.email, TEST_PASSWORD);
    expect(fresh.status).toBe(429);
  });

  it('a stranger who spent the per-IP limit of the owner’s own network does not block the owner', async () => {
    const owner = await ownersBrowser(world, user);
    for (let i = 0; i < 4; i += 1) {
      await logInFrom(newBrowser(world.t.app), OWNER_IP, `someone${i}@example.com`, WRONG_PASSWORD);
    }
    const blocked = await logInFrom(newBrowser(world.t.app), OWNER_IP, user.email, TEST_PASSWORD);
    expect(blocked.status).toBe(429);
    expect((await logInFrom(owner, OWNER_IP, user.email, TEST_PASSWORD)).status).toBe(303);
  });

  it('the device has a budget of its own: wrong passwords from it are limited too (RATE_LIMIT_LOGIN_DEVICE)', async () => {
    await world.close();
    world = await createResetWorld({ TRUST_PROXY: '1', RATE_LIMIT_LOGIN_DEVICE: '2/15m' });
    user = await world.t.createUser({ email: 'owner@example.com' });
    const owner = await ownersBrowser(world, user);
    expect((await logInFrom(owner, OWNER_IP, user.email, WRONG_PASSWORD)).status).toBe(401);
    expect((await logInFrom(owner, OWNER_IP, user.email, WRONG_PASSWORD)).status).toBe(401);
    expect((await logInFrom(owner, OWNER_IP, user.email, TEST_PASSWORD)).status).toBe(429);
  });

  it('a device cookie for another account does not help', async () => {
    const other = await world.t.createUser({ email: 'other@example.com' });
    const othersBrowser = await ownersBrowser(world, other);
    await exhaustEmailLimitFromStrangers();
    expect((await logInFrom(othersBrowser, OWNER_IP, user.email, TEST_PASSWORD)).status).toBe(429);
  });

  it('a tampered device cookie is ignored; the genuine one, sent the same way, works', async () => {
    const owner = await ownersBrowser(world, user);
    await exhaustEmailLimitFromStrangers();
    const genuine = await deviceCookieOf(owner);
    const tampered = genuine.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    const sendWithDeviceCookie = async (value: string) => {
      const browser = newBrowser(world.t.app);
      const csrf = await fetchCsrfToken(browser);
      return browser
        .post('/login')
        .set('X-Forwarded-For', OWNER_IP)
        .set('Cookie', `device=${value}`)
        .type('form')
        .send({ _csrf: csrf, email: user.email, password: TEST_PASSWORD });
    };
    expect((await sendWithDeviceCookie(tampered)).status).toBe(429);
    expect((await sendWithDeviceCookie('garbage')).status).toBe(429);
    expect((await sendWithDeviceCookie(genuine)).status).toBe(303);
  });

  it('a password change on the account page voids the device cookies issued before it', async () => {
    const owner = await ownersBrowser(world, user);
    const other = newBrowser(world.t.app);
    expect((await logInFrom(other, OWNER_IP, user.email, TEST_PASSWORD)).status).toBe(303);
    const changed = await submitAccountForm(other, '/account/password', {
      current_password: TEST_PASSWORD,
      password: 'the new passphrase here',
      password_confirmation: 'the new passphrase here',
    });
    expect(changed.status).toBe(303);
    await exhaustEmailLimitFromStrangers();
    const res = await logInFrom(owner, OWNER_IP, user.email, 'the new passphrase here');
    expect(res.status).toBe(429);
  });

  it('a password reset voids the device cookies issued before it', async () => {
    const owner = await ownersBrowser(world, user);
    // The owner resets the password from another browser (a link in the mail).
    const token = await mailedResetToken(world, user.email);
    expect(
      (await resetWith(newBrowser(world.t.app), token, 'the new passphrase here')).status,
    ).toBe(303);
    await exhaustEmailLimitFromStrangers();
    const res = await logInFrom(owner, OWNER_IP, user.email, 'the new passphrase here');
    expect(res.status).toBe(429);
  });
});

describe('"forgot password": the owner still gets a link, and an address gets at most RESET_MAILS_PER_HOUR', () => {
  let world: ResetWorld;
  let user: User;
  beforeEach(async () => {
    world = await createResetWorld({
      TRUST_PROXY: '1',
      RATE_LIMIT_RESET_EMAIL: '2/1h',
      RESET_MAILS_PER_HOUR: '3',
    });
    user = await world.t.createUser({ email: 'owner@example.com' });
  });
  afterEach(() => world.close());

  it('with the per-address allowance spent by strangers, the owner’s browser still gets a link', async () => {
    const owner = await ownersBrowser(world, user);
    const ips = ['203.0.113.1', '203.0.113.2', '203.0.113.3'];
    const answers = [];
    for (const ip of ips)
      answers.push((await forgotFrom(newBrowser(world.t.app), ip, user.email)).status);
    expect(answers).toEqual([200, 200, 429]);
    await world.t.background.drain();
    expect(world.smtp.messages).toHaveLength(2);
    expect((await forgotFrom(owner, OWNER_IP, user.email)).status).toBe(200);
    await world.t.background.drain();
    await world.smtp.waitForMessages(3);
    expect(world.smtp.messages).toHaveLength(3);
  });

  it('strangers can make the address receive at most N-1 mails an hour; nobody gets more than N', async () => {
    await world.close();
    world = await createResetWorld({
      TRUST_PROXY: '1',
      RATE_LIMIT_RESET_EMAIL: '50/1h',
      RESET_MAILS_PER_HOUR: '3',
    });
    user = await world.t.createUser({ email: 'owner@example.com' });
    const owner = await ownersBrowser(world, user);
    for (let i = 0; i < 10; i += 1) {
      const res = await forgotFrom(newBrowser(world.t.app), `203.0.113.${i + 1}`, user.email);
      expect(res.status).toBe(200);
    }
    await world.t.background.drain();
    expect(world.smtp.messages).toHaveLength(2);
    expect((await forgotFrom(owner, OWNER_IP, user.email)).status).toBe(200);
    expect((await forgotFrom(owner, OWNER_IP, user.email)).status).toBe(200);
    await world.t.background.drain();
    await world.smtp.waitForMessages(3);
    // The answer never changes, so the cap tells nobody that the address exists.
    expect(world.smtp.messages).toHaveLength(3);
  });
});
