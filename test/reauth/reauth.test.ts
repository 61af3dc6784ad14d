import { sql } from 'kysely';
import type { Response } from 'supertest';
import { migrateDown, migrateToLatest } from '../../src/db/migrate';
import type { User } from '../../src/users/user';
import {
  extractCsrfToken,
  fetchCsrfToken,
  newBrowser,
  submitAccountForm,
  type Agent,
} from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';
import {
  changePassword as changePasswordTo,
  eachTestWithAppAndUser,
  NEW_PASSWORD,
  passwordHashOf,
  sessionIdsOf,
  signIn as signInFrom,
} from '../accounts/account-support';

async function signIn(t: TestApp, user: User): Promise<Agent> {
  return (await signInFrom(t, user)).browser;
}

function changePassword(browser: Agent): Promise<Response> {
  return changePasswordTo(browser, { current_password: TEST_PASSWORD, password: NEW_PASSWORD });
}

async function confirmPassword(
  browser: Agent,
  password: string,
  next: string | undefined = '/account',
): Promise<Response> {
  const page = await browser.get(`/reauth?next=${encodeURIComponent(next ?? '')}`);
  return browser
    .post('/reauth')
    .type('form')
    .send({ _csrf: extractCsrfToken(page.text), password, ...(next ? { next } : {}) });
}

async function eventTypesOf(t: TestApp, user: User): Promise<string[]> {
  const rows = await t.db
    .selectFrom('auth_events')
    .select('type')
    .where('user_id', '=', user.id)
    .orderBy('id')
    .execute();
  return rows.map((row) => row.type);
}

describe('re-authentication before sensitive changes (sudo mode)', () => {
  const given = eachTestWithAppAndUser();

  it('lets a password change through right after logging in (the login is recent)', async () => {
    const { t, user } = given;
    const browser = await signIn(t, user);
    t.clock.advanceMinutes(9);
    const res = await changePassword(browser);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account');
    expect(await t.hasher.verify(await passwordHashOf(t, user), NEW_PASSWORD)).toBe(true);
  });

  it('sends a stale session to /reauth for a password change, and changes nothing', async () => {
    const { t, user } = given;
    const browser = await signIn(t, user);
    const before = await passwordHashOf(t, user);
    t.clock.advanceMinutes(11);
    const res = await changePassword(browser);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/reauth?next=%2Faccount');
    expect(await passwordHashOf(t, user)).toBe(before);
    expect(await eventTypesOf(t, user)).not.toContain('password_changed');
  });

  it('sends a stale session to /reauth for "log out everywhere", and ends no session', async () => {
    const { t, user } = given;
    const browser = await signIn(t, user);
    await signIn(t, user);
    t.clock.advanceMinutes(11);
    const res = await submitAccountForm(browser, '/account/sessions/revoke-all');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/reauth?next=%2Faccount');
    expect(await sessionIdsOf(t, user)).toHaveLength(2);
  });

  it('leaves pages that change nothing open to a stale session', async () => {
    const { t, user } = given;
    const browser = await signIn(t, user);
    t.clock.advanceMinutes(25);
    expect((await browser.get('/account')).status).toBe(200);
    expect((await browser.get('/private')).status).toBe(200);
  });

  it('asks for the password on a page with a CSRF token, naming the account', async () => {
    const { t, user } = given;
    const browser = await signIn(t, user);
    const res = await browser.get('/reauth?next=%2Faccount');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<h1>Confirm it is you</h1>');
    expect(res.text).toContain(user.email);
    expect(res.text).toMatch(/name="_csrf" value="[^"]+"/);
    expect(res.text).toContain('name="next" value="/account"');
    expect(res.text).toContain('autocomplete="current-password"');
  });

  it('after the right password, returns to `next` and allows the change again', async () => {
    const { t, user } = given;
    const browser = await signIn(t, user);
    t.clock.advanceMinutes(11);
    const confirmed = await confirmPassword(browser, TEST_PASSWORD);
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.location).toBe('/account');
    expect(await eventTypesOf(t, user)).toContain('reauthenticated');

    const res = await changePassword(browser);
    expect(res.headers.location).toBe('/account');
    expect(await t.hasher.verify(await passwordHashOf(t, user), NEW_PASSWORD)).toBe(true);
  });

  it('opens the window for REAUTH_MINUTES only, counted from the re-entered password', async () => {
    const { t, user } = given;
    const browser = await signIn(t, user);
    t.clock.advanceMinutes(11);
    await confirmPassword(browser, TEST_PASSWORD);
    t.clock.advanceMinutes(11);
    const res = await changePassword(browser);
    expect(res.headers.location).toBe('/reauth?next=%2Faccount');
  });

  it('refuses a wrong password with 401 and a clear message, and the session stays stale', async () => {
    const { t, user } = given;
    const browser = await signIn(t, user);
    t.clock.advanceMinutes(11);
    const res = await confirmPassword(browser, 'not the password at all');
    expect(res.status).toBe(401);
    expect(res.text).toContain('That password is not right.');
    expect(res.text).toContain('aria-invalid="true"');
    expect(await eventTypesOf(t, user)).toContain('reauth_failed');
    expect((await changePassword(browser)).headers.location).toBe('/reauth?next=%2Faccount');
  });

  it('refuses an empty or repeated password field with 400, before any hashing', async () => {
    const { t, user } = given;
    const browser = await signIn(t, user);
    const token = await fetchCsrfToken(browser, '/reauth');
    const empty = await browser.post('/reauth').type('form').send({ _csrf: token, password: '' });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('Enter your password.');
    const repeated = await browser
      .post('/reauth')
      .type('form')
      .send(`_csrf=${encodeURIComponent(token)}&password=a&password=b`);
    expect(repeated.status).toBe(400);
    expect(repeated.text).toContain('Enter one password, not several.');
  });

  it('throttles wrong passwords per account: the 6th in 15 minutes is refused, even if right', async () => {
    const { t, user } = given;
    const browser = await signIn(t, user);
    t.clock.advanceMinutes(11);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await confirmPassword(browser, `wrong guess ${attempt}`)).status).toBe(401);
    }
    const res = await confirmPassword(browser, TEST_PASSWORD);
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect((await changePassword(browser)).headers.location).toBe('/reauth?next=%2Faccount');
  });

  it('goes back only to a path on this site', async () => {
    const { t, user } = given;
    const browser = await signIn(t, user);
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const res = await confirmPassword(browser, TEST_PASSWORD, next);
      expect(res.headers.location).toBe('/account');
    }
    const page = await browser.get('/reauth?next=%2F%2Fevil.example');
    expect(page.text).toContain('name="next" value="/account"');
  });

  it('proves this session only: another stale session of the same user stays stale', async () => {
    const { t, user } = given;
    const first = await signIn(t, user);
    const second = await signIn(t, user);
    t.clock.advanceMinutes(11);
    await confirmPassword(first, TEST_PASSWORD);
    expect((await changePassword(second)).headers.location).toBe('/reauth?next=%2Faccount');
  });

  it('sends an anonymous visitor to the login page, and refuses a post without CSRF token', async () => {
    const { t, user } = given;
    const anonymous = newBrowser(t.app);
    const page = await anonymous.get('/reauth?next=%2Faccount');
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/login?next=%2Freauth%3Fnext%3D%252Faccount');

    const browser = await signIn(t, user);
    const forged = await browser.post('/reauth').type('form').send({ password: TEST_PASSWORD });
    expect(forged.status).toBe(403);
  });

  it('honours REAUTH_MINUTES', async () => {
    const short = await createTestApp({ env: { REAUTH_MINUTES: '2' } });
    try {
      const owner = await short.createUser();
      const browser = await signIn(short, owner);
      short.clock.advanceMinutes(3);
      expect((await changePassword(browser)).headers.location).toBe('/reauth?next=%2Faccount');
    } finally {
      await short.close();
    }
  });

  it('counts sessions that existed before the migration as proven when they started', async () => {
    const { t, user } = given;
    const browser = await signIn(t, user);
    // The newest migration goes first; then down (past any later one) to 0008.
    expect(await migrateDown(t.database)).toEqual(['Down 0010_two_step_sign_in']);
    const undone: string[] = [];
    while (!undone.includes('Down 0008_record_session_authentication') && undone.length < 5) {
      undone.push(...(await migrateDown(t.database)));
    }
    expect(undone).toContain('Down 0008_record_session_authentication');
    await migrateToLatest(t.database);
    const rows = await sql<{
      created_at: string;
      authenticated_at: string;
    }>`select created_at, authenticated_at from sessions`.execute(t.db);
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]?.authenticated_at).toBe(rows.rows[0]?.created_at);
    t.clock.advanceMinutes(5);
    expect((await changePassword(browser)).headers.location).toBe('/account');
  });
});
