import request from 'supertest';
import type { Response } from 'supertest';
import { cookieValue, fetchCsrfToken, findSetCookie, logIn, newBrowser } from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';

describe('GET /users/me with a bearer token', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  async function issueToken(email: string, password = TEST_PASSWORD): Promise<string> {
    const res = await request(t.app)
      .post('/token')
      .type('form')
      .send({ username: email, password })
      .expect(200);
    const token: unknown = res.body.access_token;
    if (typeof token !== 'string') throw new Error('no access_token in /token answer');
    return token;
  }

  const getMe = (authorization?: string) => {
    const req = request(t.app).get('/users/me');
    return authorization === undefined ? req : req.set('Authorization', authorization);
  };

  function expectInvalidToken(res: Response): void {
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'invalid_token' });
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(res.headers['cache-control']).toBe('no-store');
  }

  it('answers a valid token with the user as JSON, without the password hash', async () => {
    const user = await t.createUser({ email: 'ada@example.com', fullName: 'Ada Lovelace' });
    const token = await issueToken('ada@example.com');
    const res = await getMe(`Bearer ${token}`).expect(200);
    expect(res.type).toBe('application/json');
    expect(res.body).toEqual({
      id: user.id,
      email: 'ada@example.com',
      full_name: 'Ada Lovelace',
      is_active: true,
      created_at: user.createdAt.toISOString(),
    });
    expect(res.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('accepts the scheme name in any case', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const token = await issueToken('ada@example.com');
    await getMe(`bearer ${token}`).expect(200);
  });

  it('refuses a request without an Authorization header with 401 invalid_token', async () => {
    expectInvalidToken(await getMe());
  });

  it('refuses a malformed Authorization header with 401 invalid_token', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const token = await issueToken('ada@example.com');
    for (const header of [
      token,
      `Basic ${Buffer.from(`ada@example.com:${TEST_PASSWORD}`).toString('base64')}`,
      'Bearer',
      'Bearer ',
      `Bearer ${token} extra`,
      `Bearer "${token}"`,
    ]) {
      expectInvalidToken(await getMe(header));
    }
  });

  it('refuses a forged or tampered token with 401 invalid_token', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const token = await issueToken('ada@example.com');
    const [header, payload, signature = ''] = token.split('.');
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const bad of ['not-a-jwt', `${header}.${payload}.${flipped}`, `${header}.${payload}.`]) {
      expectInvalidToken(await getMe(`Bearer ${bad}`));
    }
  });

  it('refuses a token 31 minutes after it was issued', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const token = await issueToken('ada@example.com');
    t.clock.advanceMinutes(29);
    await getMe(`Bearer ${token}`).expect(200);
    t.clock.advanceMinutes(2);
    expectInvalidToken(await getMe(`Bearer ${token}`));
  });

  it('is not rolled forward by use: a used token still expires 30 minutes after issue', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const token = await issueToken('ada@example.com');
    for (let minute = 0; minute < 3; minute += 1) {
      t.clock.advanceMinutes(10);
      const res = await getMe(`Bearer ${token}`);
      expect(res.status).toBe(minute < 2 ? 200 : 401);
    }
  });

  it('refuses a token whose session row was deleted', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const token = await issueToken('ada@example.com');
    await t.db.deleteFrom('sessions').execute();
    expectInvalidToken(await getMe(`Bearer ${token}`));
  });

  it('refuses a token after the same user logs out everywhere from the account page', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const token = await issueToken('ada@example.com');
    const browser = newBrowser(t.app);
    expect((await logIn(browser, user.email, TEST_PASSWORD)).status).toBe(303);
    const csrf = await fetchCsrfToken(browser, '/account');
    await browser
      .post('/account/sessions/revoke-all')
      .type('form')
      .send({ _csrf: csrf })
      .expect(303);
    expectInvalidToken(await getMe(`Bearer ${token}`));
    expect(await t.db.selectFrom('sessions').selectAll().execute()).toHaveLength(0);
  });

  it('refuses a token once the user is disabled through the admin service', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const token = await issueToken('ada@example.com');
    const admin = t.userAdmin();
    await admin.setActive('ada@example.com', false);
    expectInvalidToken(await getMe(`Bearer ${token}`));
  });

  it('refuses a token once the user row is marked inactive, even with the session row left', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const token = await issueToken('ada@example.com');
    await t.db.updateTable('users').set({ is_active: 0 }).where('id', '=', user.id).execute();
    expectInvalidToken(await getMe(`Bearer ${token}`));
    expect(await t.db.selectFrom('sessions').selectAll().execute()).toHaveLength(1);
  });

  it('refuses a browser session cookie used as a bearer token', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const browser = newBrowser(t.app);
    const login = await logIn(browser, user.email, TEST_PASSWORD);
    expect(login.status).toBe(303);
    const cookieToken = cookieValue(findSetCookie(login, 'session')) ?? '';
    expect(cookieToken).not.toBe('');
    expectInvalidToken(await getMe(`Bearer ${cookieToken}`));
    // The browser session itself is untouched by the refusal.
    await browser.get('/private').expect(200);
  });

  it('treats an API token sent as the session cookie as anonymous', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const token = await issueToken('ada@example.com');
    const res = await request(t.app).get('/private').set('Cookie', `session=${token}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fprivate');
    expect(findSetCookie(res, 'session')).toMatch(/^session=;/);
    // The token still works where it belongs.
    await getMe(`Bearer ${token}`).expect(200);
  });

  it('lists API sessions as "API token" on the account page of the same user', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    await issueToken('ada@example.com');
    const browser = newBrowser(t.app);
    expect((await logIn(browser, user.email, TEST_PASSWORD)).status).toBe(303);
    const page = await browser.get('/account').expect(200);
    const apiSession = await t.db
      .selectFrom('sessions')
      .selectAll()
      .where('kind', '=', 'api')
      .executeTakeFirstOrThrow();
    expect(page.text).toContain('<strong>API token</strong>');
    expect(page.text).toContain(`name="session_id" value="${apiSession.id}"`);
  });

  it('does not list another user\u2019s API session on the account page', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const grace = await t.createUser({ email: 'grace@example.com' });
    await issueToken('ada@example.com');
    const browser = newBrowser(t.app);
    expect((await logIn(browser, grace.email, TEST_PASSWORD)).status).toBe(303);
    const page = await browser.get('/account').expect(200);
    expect(page.text).not.toContain('API token');
  });
});
