import request from 'supertest';
import type { PasswordHasher } from '../../src/auth/password';
import { setCookies } from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';

/** Wraps the real hasher and counts the password checks it is asked for. */
function countingVerifier() {
  const calls = { verify: 0 };
  return {
    calls,
    wrap: (hasher: PasswordHasher): PasswordHasher => ({
      hash: (password) => hasher.hash(password),
      needsRehash: (hash) => hasher.needsRehash(hash),
      dummyHash: (params) => hasher.dummyHash(params),
      verify(hash, password) {
        calls.verify += 1;
        return hasher.verify(hash, password);
      },
    }),
  };
}

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

  it('refuses a repeated grant_type with 400 invalid_request, even when one of them says password', async () => {
    await t.createUser({ email: 'ada@example.com' });
    for (const grantTypes of [
      'grant_type=password&grant_type=client_credentials',
      'grant_type=password&grant_type=password',
    ]) {
      const res = await request(t.app)
        .post('/token')
        .type('form')
        .send(
          `${grantTypes}&username=ada%40example.com&password=${encodeURIComponent(TEST_PASSWORD)}`,
        );
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request' });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(await sessionRows()).toHaveLength(0);
  });

  it('refuses a grant_type holding a control character with 400 invalid_request', async () => {
    await t.createUser({ email: 'ada@example.com' });
    for (const grantType of ['password\u0000', 'pass\u0001word', '\u007fpassword']) {
      const res = await postToken({
        grant_type: grantType,
        username: 'ada@example.com',
        password: TEST_PASSWORD,
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request' });
    }
    expect(await sessionRows()).toHaveLength(0);
    // Leaving grant_type out altogether is still accepted (FastAPI-style clients do).
    await postToken({ username: 'ada@example.com', password: TEST_PASSWORD }).expect(200);
  });

  it('refuses a username over 254 characters with 400 invalid_request, before any password check', async () => {
    const counter = countingVerifier();
    const counted = await createTestApp({ wrapHasher: counter.wrap });
    try {
      const longEmail = `${'a'.repeat(243)}@example.com`;
      expect(longEmail).toHaveLength(255);
      const res = await request(counted.app)
        .post('/token')
        .type('form')
        .send({ grant_type: 'password', username: longEmail, password: TEST_PASSWORD });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request' });
      expect(res.body.error_description).toContain('254');
      expect(counter.calls.verify).toBe(0);
      expect(await counted.db.selectFrom('auth_events').selectAll().execute()).toHaveLength(0);
      expect(await counted.db.selectFrom('sessions').selectAll().execute()).toHaveLength(0);

      // At exactly 254 characters the password is checked as usual (and is wrong: no such user).
      const atLimit = await request(counted.app)
        .post('/token')
        .type('form')
        .send({ grant_type: 'password', username: longEmail.slice(1), password: TEST_PASSWORD });
      expect(atLimit.status).toBe(400);
      expect(atLimit.body).toMatchObject({ error: 'invalid_grant' });
      expect(counter.calls.verify).toBe(1);
    } finally {
      await counted.close();
    }
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
