import request from 'supertest';
import type { Response } from 'supertest';
import type { User } from '../../src/users/user';
import {
  cookieValue,
  extractCsrfToken,
  fetchCsrfToken,
  findSetCookie,
  logIn,
  newBrowser,
  type Agent,
  submitAccountForm,
} from '../helpers/browser';
import { confirmationTokenFor, confirmWith } from '../helpers/signup';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';
import {
  changePassword,
  FIREFOX_LINUX,
  NEW_PASSWORD,
  passwordHashOf,
  sessionIdsOf,
  signIn,
  type SignedIn,
} from './account-support';

const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const CLEARED_SESSION_COOKIE = /^session=;.*Expires=Thu, 01 Jan 1970 00:00:00 GMT/;

/** The `<li>` of each session listed on the account page. */
function listedSessions(html: string): string[] {
  return html.split('<li class="session').slice(1);
}

/** The rows of the "Recent sign-in activity" table. */
function activityRows(html: string): string[] {
  const section = html.split('id="activity-title"')[1] ?? '';
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(section)?.[1] ?? '';
  return body.split('<tr>').slice(1);
}

/** The session id in the "This browser" row of the account page. */
function currentSessionIdOn(html: string): string {
  const current = html.split('<li class="session session--current">')[1]?.split('</li>')[0];
  const sessionId = /name="session_id" value="([^"]+)"/.exec(current ?? '')?.[1];
  if (!sessionId) throw new Error('no "This browser" row on the account page');
  return sessionId;
}

/** The sign-in events of one type recorded for a user. */
async function eventsOf(t: TestApp, user: User, type: string) {
  return t.db
    .selectFrom('auth_events')
    .selectAll()
    .where('user_id', '=', user.id)
    .where('type', '=', type)
    .execute();
}

async function expectAnonymous(browser: Agent): Promise<void> {
  const res = await browser.get('/private');
  expect(res.status).toBe(303);
  expect(res.headers.location).toBe('/login?next=%2Fprivate');
}

describe('the account page', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('requires a login: an anonymous visitor is sent to /login?next=%2Faccount', async () => {
    const res = await request(t.app).get('/account').expect(303);
    expect(res.headers.location).toBe('/login?next=%2Faccount');
  });

  it('shows the e-mail, the name, when the account was created and the last login', async () => {
    const user = await t.createUser({ email: 'ada@example.com', fullName: 'Ada Lovelace' });
    t.clock.advanceMinutes(90);
    const { browser } = await signIn(t, user);
    const res = await browser.get('/account').expect(200);
    expect(res.text).toContain('<dd><span class="wrap">ada@example.com</span>');
    expect(res.text).toContain('<dd>Ada Lovelace</dd>');
    expect(res.text).toContain(`<time datetime="${user.createdAt.toISOString()}">`);
    expect(res.text).toContain(`<time datetime="${t.clock.now().toISOString()}">`);
    expect(user.createdAt.toISOString()).not.toBe(t.clock.now().toISOString());
  });

  it('lists the session as "This browser", with a browser summary and the IP', async () => {
    const user = await t.createUser();
    const { browser, sessionId } = await signIn(t, user, FIREFOX_LINUX);
    const row = await t.db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', sessionId)
      .executeTakeFirstOrThrow();
    expect(row.user_agent).toBe(FIREFOX_LINUX);
    expect(row.ip).toMatch(/127\.0\.0\.1/);

    const res = await browser.get('/account').expect(200);
    const sessions = listedSessions(res.text);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toContain('<strong>Firefox on Linux</strong>');
    expect(sessions[0]).toContain('<span class="badge">This browser</span>');
    expect(sessions[0]).toContain(`IP ${row.ip ?? 'missing'}`);
    expect(sessions[0]).toContain(`name="session_id" value="${sessionId}"`);
  });

  it('adds a row when the same person logs in from a second browser', async () => {
    const user = await t.createUser();
    const first = await signIn(t, user, FIREFOX_LINUX);
    const second = await signIn(t, user, CHROME_WINDOWS);
    const res = await first.browser.get('/account').expect(200);
    const sessions = listedSessions(res.text);
    expect(sessions).toHaveLength(2);
    const current = sessions.filter((li) => li.includes('This browser'));
    expect(current).toHaveLength(1);
    expect(current[0]).toContain(first.sessionId);
    expect(current[0]).toContain('Firefox on Linux');
    const other = sessions.find((li) => li.includes(second.sessionId));
    expect(other).toContain('Chrome on Windows');
    expect(other).not.toContain('This browser');
  });

  it("does not list another person's sessions", async () => {
    const ada = await t.createUser();
    const grace = await t.createUser();
    const mine = await signIn(t, ada);
    const theirs = await signIn(t, grace);
    const res = await mine.browser.get('/account').expect(200);
    expect(listedSessions(res.text)).toHaveLength(1);
    expect(res.text).not.toContain(theirs.sessionId);
  });
});

describe('logging sessions out from the account page', () => {
  let t: TestApp;
  let user: User;
  beforeEach(async () => {
    t = await createTestApp();
    user = await t.createUser();
  });
  afterEach(() => t.close());

  it('"Log out" on another session deletes its row and its browser is anonymous at its next request', async () => {
    const here = await signIn(t, user);
    const there = await signIn(t, user, CHROME_WINDOWS);
    const res = await submitAccountForm(here.browser, '/account/sessions/revoke', {
      session_id: there.sessionId,
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account');

    expect(await sessionIdsOf(t, user)).toEqual([here.sessionId]);
    await expectAnonymous(there.browser);
    const page = await here.browser.get('/account').expect(200);
    expect(page.text).toContain('That session has been logged out.');
    expect(listedSessions(page.text)).toHaveLength(1);
  });

  it('does nothing to a session that belongs to another person', async () => {
    const grace = await t.createUser();
    const mine = await signIn(t, user);
    const theirs = await signIn(t, grace);
    const res = await submitAccountForm(mine.browser, '/account/sessions/revoke', {
      session_id: theirs.sessionId,
    });
    expect(res.status).toBe(303);
    expect(await sessionIdsOf(t, grace)).toEqual([theirs.sessionId]);
    await theirs.browser.get('/private').expect(200);
    await mine.browser.get('/private').expect(200);
  });

  it('"Log out" on this browser\'s own row ends only this session, like a normal logout', async () => {
    const a = await signIn(t, user);
    const b = await signIn(t, user, CHROME_WINDOWS);
    const page = await a.browser.get('/account').expect(200);
    const ownId = currentSessionIdOn(page.text);
    expect(ownId).toBe(a.sessionId);

    const res = await a.browser
      .post('/account/sessions/revoke')
      .type('form')
      .send({ _csrf: extractCsrfToken(page.text), session_id: ownId });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(findSetCookie(res, 'session')).toMatch(CLEARED_SESSION_COOKIE);

    expect(await sessionIdsOf(t, user)).toEqual([b.sessionId]);
    const home = await a.browser.get('/').expect(200);
    expect(home.text).toContain('You have been logged out.');
    await expectAnonymous(a.browser);
    await b.browser.get('/private').expect(200);
  });

  const notMySessions: [string, (t: TestApp, here: SignedIn, owner: User) => Promise<string>][] = [
    ['belongs to another person', async (t) => (await signIn(t, await t.createUser())).sessionId],
    ['is made up', () => Promise.resolve('AAAAAAAAAAAAAAAAAAAAAA')],
    [
      'was already logged out',
      async (t, here, owner) => {
        const there = await signIn(t, owner, CHROME_WINDOWS);
        await submitAccountForm(here.browser, '/account/sessions/revoke', {
          session_id: there.sessionId,
        });
        return there.sessionId;
      },
    ],
  ];

  it.each(notMySessions)(
    '"Log out" on a session that %s leaves every row and says it had already ended',
    async (_case, pickSessionId) => {
      const here = await signIn(t, user);
      const elsewhere = await signIn(t, user, CHROME_WINDOWS);
      const sessionId = await pickSessionId(t, here, user);
      const rowsBefore = await t.db.selectFrom('sessions').select('id').orderBy('id').execute();
      const revokedBefore = await eventsOf(t, user, 'sessions_revoked');

      const res = await submitAccountForm(here.browser, '/account/sessions/revoke', {
        session_id: sessionId,
      });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/account');
      expect(findSetCookie(res, 'session')).toBeUndefined();

      expect(await t.db.selectFrom('sessions').select('id').orderBy('id').execute()).toEqual(
        rowsBefore,
      );
      expect(await eventsOf(t, user, 'sessions_revoked')).toEqual(revokedBefore);
      const page = await here.browser.get('/account').expect(200);
      expect(page.text).toContain('That session had already ended.');
      expect(page.text).not.toContain('That session has been logged out.');
      await elsewhere.browser.get('/private').expect(200);
    },
  );

  it('"Log out everywhere else" keeps this session and ends every other one', async () => {
    const grace = await t.createUser();
    const here = await signIn(t, user);
    const phone = await signIn(t, user, CHROME_WINDOWS);
    const laptop = await signIn(t, user);
    const someoneElse = await signIn(t, grace);

    const res = await submitAccountForm(here.browser, '/account/sessions/revoke-others');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account');

    expect(await sessionIdsOf(t, user)).toEqual([here.sessionId]);
    await expectAnonymous(phone.browser);
    await expectAnonymous(laptop.browser);
    const page = await here.browser.get('/account').expect(200);
    expect(page.text).toContain('Logged out of every other session.');
    expect(listedSessions(page.text)).toHaveLength(1);
    expect(await sessionIdsOf(t, grace)).toEqual([someoneElse.sessionId]);
  });

  it('"Log out everywhere" deletes every session of the person, this one included, and says so', async () => {
    const grace = await t.createUser();
    const here = await signIn(t, user);
    const phone = await signIn(t, user, CHROME_WINDOWS);
    const someoneElse = await signIn(t, grace);

    const res = await submitAccountForm(here.browser, '/account/sessions/revoke-all');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(findSetCookie(res, 'session')).toMatch(CLEARED_SESSION_COOKIE);

    expect(await sessionIdsOf(t, user)).toEqual([]);
    const home = await here.browser.get('/').expect(200);
    expect(home.text).toContain('Logged out of every session.');
    expect(home.text).toContain('href="/login"');
    await expectAnonymous(here.browser);
    await expectAnonymous(phone.browser);
    expect(await sessionIdsOf(t, grace)).toEqual([someoneElse.sessionId]);
  });

  it('a stolen copy of a revoked session cookie no longer works', async () => {
    const here = await signIn(t, user);
    const there = await signIn(t, user);
    await submitAccountForm(here.browser, '/account/sessions/revoke', {
      session_id: there.sessionId,
    });
    const res = await request(t.app).get('/private').set('Cookie', `session=${there.token}`);
    expect(res.status).toBe(303);
  });
});

describe('the account forms without a CSRF token', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  const forms: { action: string; fields: (other: SignedIn) => Record<string, string> }[] = [
    { action: '/account/sessions/revoke', fields: (other) => ({ session_id: other.sessionId }) },
    { action: '/account/sessions/revoke-others', fields: () => ({}) },
    { action: '/account/sessions/revoke-all', fields: () => ({}) },
    {
      action: '/account/password',
      fields: () => ({
        current_password: TEST_PASSWORD,
        password: NEW_PASSWORD,
        password_confirmation: NEW_PASSWORD,
      }),
    },
  ];

  it.each(forms)('POST $action is refused with 403 and nothing changes', async (form) => {
    const user = await t.createUser();
    const here = await signIn(t, user);
    const there = await signIn(t, user);
    await here.browser.get('/account').expect(200);
    const hashBefore = await passwordHashOf(t, user);
    const sessionsBefore = await sessionIdsOf(t, user);

    const fields = form.fields(there);
    for (const token of [undefined, 'wrong-token']) {
      const res = await here.browser
        .post(form.action)
        .type('form')
        .send({ ...(token === undefined ? {} : { _csrf: token }), ...fields });
      expect(res.status).toBe(403);
      expect(findSetCookie(res, 'session')).toBeUndefined();
    }

    expect(await sessionIdsOf(t, user)).toEqual(sessionsBefore);
    expect(sessionsBefore).toHaveLength(2);
    expect(await passwordHashOf(t, user)).toBe(hashBefore);
    await here.browser.get('/private').expect(200);
    await there.browser.get('/private').expect(200);
  });
});

describe('changing the password', () => {
  let t: TestApp;
  let user: User;
  beforeEach(async () => {
    t = await createTestApp();
    user = await t.createUser({ email: 'ada.lovelace@example.com' });
  });
  afterEach(() => t.close());

  it('with a wrong current password answers 401 with a message and keeps the hash', async () => {
    const { browser, sessionId } = await signIn(t, user);
    const hashBefore = await passwordHashOf(t, user);
    const res = await changePassword(browser, {
      current_password: 'not my password at all',
      password: NEW_PASSWORD,
    });
    expect(res.status).toBe(401);
    expect(res.text).toContain('Your current password is not right.');
    expect(res.text).not.toContain(NEW_PASSWORD);
    expect(res.text).not.toContain('not my password at all');
    expect(await passwordHashOf(t, user)).toBe(hashBefore);
    expect(await sessionIdsOf(t, user)).toEqual([sessionId]);
    await browser.get('/private').expect(200);
  });

  it.each([
    ['shorter than 12 characters', 'short pass1', 'Use at least 12 characters'],
    [
      'on the common-password list',
      'password1234',
      'This password is one of the most commonly used',
    ],
    [
      "containing the e-mail's local part",
      'i am ada.lovelace ok',
      'Do not include your e-mail address in your password.',
    ],
    ['longer than 256 characters', 'z'.repeat(257), 'Use at most 256 characters.'],
  ])(
    'to a new password %s answers 400 with the rule and keeps the hash',
    async (_rule, password, message) => {
      const { browser } = await signIn(t, user);
      const hashBefore = await passwordHashOf(t, user);
      const res = await changePassword(browser, { current_password: TEST_PASSWORD, password });
      expect(res.status).toBe(400);
      expect(res.text).toContain(message);
      expect(res.text).not.toContain(password);
      expect(await passwordHashOf(t, user)).toBe(hashBefore);
    },
  );

  it('with a confirmation that does not match answers 400 and keeps the hash', async () => {
    const { browser } = await signIn(t, user);
    const hashBefore = await passwordHashOf(t, user);
    const res = await changePassword(browser, {
      current_password: TEST_PASSWORD,
      password: NEW_PASSWORD,
      password_confirmation: `${NEW_PASSWORD}!`,
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('The two passwords do not match.');
    expect(await passwordHashOf(t, user)).toBe(hashBefore);
  });

  describe('successfully', () => {
    let here: SignedIn;
    let elsewhere: SignedIn;
    let res: Response;
    beforeEach(async () => {
      here = await signIn(t, user);
      elsewhere = await signIn(t, user, CHROME_WINDOWS);
      res = await changePassword(here.browser, {
        current_password: TEST_PASSWORD,
        password: NEW_PASSWORD,
      });
    });

    it('redirects 303 to /account and says "Password changed"', async () => {
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/account');
      const page = await here.browser.get('/account').expect(200);
      expect(page.text).toContain('Password changed. Your other sessions have been logged out.');
    });

    it('makes the old password fail and the new one work', async () => {
      const old = await logIn(newBrowser(t.app), user.email, TEST_PASSWORD);
      expect(old.status).toBe(401);
      const browser = newBrowser(t.app);
      const token = await fetchCsrfToken(browser);
      const fresh = await browser
        .post('/login')
        .type('form')
        .send({ _csrf: token, email: user.email, password: NEW_PASSWORD });
      expect(fresh.status).toBe(303);
    });

    it('logs every other session out at its next request', async () => {
      await expectAnonymous(elsewhere.browser);
      const row = await t.db
        .selectFrom('sessions')
        .selectAll()
        .where('id', '=', elsewhere.sessionId)
        .executeTakeFirst();
      expect(row).toBeUndefined();
    });

    it('keeps this browser logged in with a new session id, the old row gone', async () => {
      const newToken = cookieValue(findSetCookie(res, 'session'));
      expect(newToken).toBeDefined();
      expect(newToken).not.toBe(here.token);
      const ids = await sessionIdsOf(t, user);
      expect(ids).toHaveLength(1);
      expect(ids).not.toContain(here.sessionId);
      expect(ids).not.toContain(elsewhere.sessionId);

      await here.browser.get('/private').expect(200);
      const page = await here.browser.get('/account').expect(200);
      expect(page.text).toContain(`name="session_id" value="${ids[0] ?? 'missing'}"`);
      const oldCopy = await request(t.app).get('/private').set('Cookie', `session=${here.token}`);
      expect(oldCopy.status).toBe(303);
    });

    it("records a 'password_changed' event", async () => {
      const events = await t.db
        .selectFrom('auth_events')
        .selectAll()
        .where('user_id', '=', user.id)
        .where('type', '=', 'password_changed')
        .execute();
      expect(events).toHaveLength(1);
    });
  });
});

describe('recent sign-in activity', () => {
  let t: TestApp;
  beforeEach(async () => {
    // Trusting the loopback proxy lets each attempt come from its own X-Forwarded-For address.
    t = await createTestApp({ env: { TRUST_PROXY: 'loopback' } });
  });
  afterEach(() => t.close());

  it('lists the 10 newest sign-in events, successes and failures, with time and IP', async () => {
    const user = await t.createUser();
    const ipOf = (n: number) => `198.51.100.${101 + n}`;
    let viewer: Agent | undefined;
    for (let n = 0; n < 12; n += 1) {
      t.clock.advanceMinutes(1);
      const browser = newBrowser(t.app).set('X-Forwarded-For', ipOf(n));
      const isSuccess = n % 2 === 1;
      const res = await logIn(browser, user.email, isSuccess ? TEST_PASSWORD : 'a wrong password!');
      expect(res.status).toBe(isSuccess ? 303 : 401);
      viewer = browser;
    }
    if (!viewer) throw new Error('no browser logged in');

    const res = await viewer.get('/account').expect(200);
    const rows = activityRows(res.text);
    expect(rows).toHaveLength(10);
    // Newest first: attempts 11 down to 2; attempts 0 and 1 are too old to show.
    rows.forEach((row, index) => {
      const n = 11 - index;
      expect(row).toContain(ipOf(n));
      expect(row).toContain(n % 2 === 1 ? 'Signed in' : 'Failed sign-in');
      expect(row).toMatch(/<td>\d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC<\/td>/);
    });
    const section = res.text.split('id="activity-title"')[1] ?? '';
    expect(section).not.toContain(ipOf(0));
    expect(section).not.toContain(ipOf(1));
  });

  it('says so when there is no activity yet', async () => {
    const user = await t.createUser();
    const { browser } = await signIn(t, user);
    await t.db.deleteFrom('auth_events').execute();
    const res = await browser.get('/account').expect(200);
    expect(res.text).toContain('No sign-in activity yet.');
  });
});

describe('the audit trail', () => {
  it('never stores a password, token or session id in any column of any auth_events row', async () => {
    const t = await createTestApp();
    try {
      const secrets: string[] = [TEST_PASSWORD, NEW_PASSWORD, 'a wrong password!'];
      const user = await t.createUser({ email: 'ada@example.com' });
      await logIn(newBrowser(t.app), user.email, 'a wrong password!');
      const here = await signIn(t, user);
      const there = await signIn(t, user);
      secrets.push(here.token, here.sessionId, there.token, there.sessionId);

      const api = await request(t.app)
        .post('/token')
        .type('form')
        .send({ grant_type: 'password', username: user.email, password: TEST_PASSWORD })
        .expect(200);
      secrets.push(String((api.body as { access_token: unknown }).access_token));

      const page = await here.browser.get('/account');
      secrets.push(extractCsrfToken(page.text));
      await submitAccountForm(here.browser, '/account/sessions/revoke', {
        session_id: there.sessionId,
      });
      const changed = await changePassword(here.browser, {
        current_password: TEST_PASSWORD,
        password: NEW_PASSWORD,
      });
      expect(changed.status).toBe(303);
      secrets.push(cookieValue(findSetCookie(changed, 'session')) ?? 'missing');
      secrets.push(await passwordHashOf(t, user));
      await here.browser.get('/logout').expect(303);

      const signup = newBrowser(t.app);
      const signupToken = await fetchCsrfToken(signup, '/signup');
      const signedUp = await signup.post('/signup').type('form').send({
        _csrf: signupToken,
        email: 'grace@example.com',
        full_name: 'Grace Hopper',
        password: 'compilers all the way down',
        password_confirmation: 'compilers all the way down',
      });
      expect(signedUp.status).toBe(200);
      const confirmToken = await confirmationTokenFor(t, 'grace@example.com');
      const confirmed = await confirmWith(signup, confirmToken);
      expect(confirmed.status).toBe(303);
      secrets.push('compilers all the way down', signupToken, confirmToken);
      secrets.push(cookieValue(findSetCookie(confirmed, 'session')) ?? 'missing');

      const rows = await t.db.selectFrom('auth_events').selectAll().execute();
      expect(new Set(rows.map((row) => row.type))).toEqual(
        new Set([
          'login_failed',
          'login_succeeded',
          'sessions_revoked',
          'password_changed',
          'logout',
          'signed_up',
          'email_confirmed',
        ]),
      );
      for (const row of rows) {
        for (const value of Object.values(row)) {
          for (const secret of secrets) expect(String(value)).not.toContain(secret);
        }
      }
    } finally {
      await t.close();
    }
  });
});
