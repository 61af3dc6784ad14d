import request from 'supertest';
import { setCookies } from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';

describe('POST /token (OAuth2 password grant)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  const postToken = (fields: Record<string, string>) =>
    request(t.app).post('/token').type('form').send(fields);

  const sessionRows = () => t.db.selectFrom('sessions').selectAll().execute();

  it('answers the right e-mail and password with a bearer token as JSON, without a cookie', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const res = await postToken({ username: 'ada@example.com', password: TEST_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(res.body).toEqual({
      access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      token_type: 'bearer',
      expires_in: 1800,
    });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');

    const sessions = await sessionRows();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ user_id: user.id, kind: 'api' });
  });

  it('needs no CSRF token and ignores the grant_type when it says password', async () => {
    await t.createUser({ email: 'ada@example.com' });
    // A fresh client that never fetched a form: no csrf cookie, no _csrf field.
    const res = await postToken({
      grant_type: 'password',
      username: 'ADA@example.com ',
      password: TEST_PASSWORD,
    });
    expect(res.status).toBe(200);
    expect(typeof res.body.access_token).toBe('string');
  });

  it('records the login on the user (last_login_at) like the form does', async () => {
    await t.createUser({ email: 'ada@example.com' });
    await postToken({ username: 'ada@example.com', password: TEST_PASSWORD }).expect(200);
    const row = await t.db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    expect(row.last_login_at).toBe(t.clock.now().toISOString());
  });

  it('answers a missing username or password with 400 invalid_request', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const bodies: Record<string, string>[] = [
      { password: TEST_PASSWORD },
      { username: 'ada@example.com' },
      { username: '', password: TEST_PASSWORD },
      { username: 'ada@example.com', password: '' },
      {},
    ];
    for (const fields of bodies) {
      const res = await postToken(fields);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request' });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(await sessionRows()).toHaveLength(0);
  });

  it('answers a wrong password and an unknown e-mail with the same 400 invalid_grant', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const wrong = await postToken({ username: 'ada@example.com', password: 'not the password' });
    const unknown = await postToken({ username: 'nobody@example.com', password: TEST_PASSWORD });
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: 'invalid_grant',
        error_description: 'Incorrect email or password',
      });
      expect(res.headers['cache-control']).toBe('no-store');
    }
    expect(await sessionRows()).toHaveLength(0);
  });

  it('answers a disabled account with the right password with invalid_grant "This account is disabled"', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    await t.db.updateTable('users').set({ is_active: 0 }).where('id', '=', user.id).execute();
    const res = await postToken({ username: 'ada@example.com', password: TEST_PASSWORD });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'invalid_grant',
      error_description: 'This account is disabled',
    });
    expect(await sessionRows()).toHaveLength(0);
  });

  it('refuses any grant_type but password with 400 unsupported_grant_type', async () => {
    await t.createUser({ email: 'ada@example.com' });
    for (const grantType of ['client_credentials', 'authorization_code', 'refresh_token', '']) {
      const res = await postToken({
        grant_type: grantType,
        username: 'ada@example.com',
        password: TEST_PASSWORD,
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'unsupported_grant_type' });
    }
    expect(await sessionRows()).toHaveLength(0);
  });

  it('refuses a password over 256 characters with 400 invalid_request, before hashing it', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const res = await postToken({ username: 'ada@example.com', password: 'x'.repeat(257) });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request' });
    expect(res.body.error_description).toContain('256');
    const events = await t.db.selectFrom('auth_events').selectAll().execute();
    expect(events).toHaveLength(0);
  });

  it('writes a login_failed audit row for a failed attempt, with the user when the e-mail exists', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    await postToken({ username: 'ada@example.com', password: 'not the password' })
      .set('User-Agent', 'curl/8.5.0')
      .expect(400);
    await postToken({ username: 'nobody@example.com', password: TEST_PASSWORD }).expect(400);
    const events = await t.db.selectFrom('auth_events').selectAll().orderBy('id').execute();
    expect(events).toEqual([
      expect.objectContaining({ type: 'login_failed', user_id: user.id, user_agent: 'curl/8.5.0' }),
      expect.objectContaining({ type: 'login_failed', user_id: null }),
    ]);
  });

  it('writes a login_succeeded audit row for a successful one', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    await postToken({ username: 'ada@example.com', password: TEST_PASSWORD }).expect(200);
    const events = await t.db.selectFrom('auth_events').selectAll().execute();
    expect(events).toEqual([
      expect.objectContaining({ type: 'login_succeeded', user_id: user.id }),
    ]);
  });

  it('sets no cookie even when the client sends one', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const res = await postToken({ username: 'ada@example.com', password: TEST_PASSWORD })
      .set('Cookie', 'session=garbage; csrf=garbage')
      .expect(200);
    expect(setCookies(res)).toEqual([]);
  });
});
