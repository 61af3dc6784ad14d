import request from 'supertest';
import type { Response } from 'supertest';
import { ConfigError, loadConfig } from '../../src/config';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';

const ALLOWED = 'https://app.example.com';
const OTHER = 'https://evil.example.net';

function corsHeaders(res: Response): string[] {
  return Object.keys(res.headers).filter((name) => name.startsWith('access-control-'));
}

describe('CORS on the JSON API, with CORS_ORIGINS set', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ env: { CORS_ORIGINS: ALLOWED } });
  });
  afterEach(() => t.close());

  it('lets the allowed origin read /token answers, never with credentials', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const res = await request(t.app)
      .post('/token')
      .set('Origin', ALLOWED)
      .type('form')
      .send({ username: 'ada@example.com', password: TEST_PASSWORD })
      .expect(200);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers.vary).toMatch(/\bOrigin\b/);
  });

  it('lets the allowed origin read /users/me answers, errors included', async () => {
    const res = await request(t.app).get('/users/me').set('Origin', ALLOWED).expect(401);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('answers a preflight for /token from the allowed origin with 204 and the allowed methods and headers', async () => {
    const res = await request(t.app)
      .options('/token')
      .set('Origin', ALLOWED)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-methods']).toMatch(/\bPOST\b/);
    expect(res.headers['access-control-allow-headers']).toMatch(/\bAuthorization\b/i);
    expect(res.headers['access-control-allow-headers']).toMatch(/\bContent-Type\b/i);
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('answers a preflight for /users/me allowing GET with an Authorization header', async () => {
    const res = await request(t.app)
      .options('/users/me')
      .set('Origin', ALLOWED)
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-methods']).toMatch(/\bGET\b/);
    expect(res.headers['access-control-allow-headers']).toMatch(/\bAuthorization\b/i);
  });

  it('gives another origin no Access-Control-Allow-Origin, on requests and preflights', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const token = await request(t.app)
      .post('/token')
      .set('Origin', OTHER)
      .type('form')
      .send({ username: 'ada@example.com', password: TEST_PASSWORD });
    const preflight = await request(t.app)
      .options('/token')
      .set('Origin', OTHER)
      .set('Access-Control-Request-Method', 'POST');
    // The origin must match exactly: no prefix, suffix or scheme games.
    const lookalikes = await Promise.all(
      ['http://app.example.com', 'https://app.example.com.evil.net', 'null'].map((origin) =>
        request(t.app).get('/users/me').set('Origin', origin),
      ),
    );
    for (const res of [token, preflight, ...lookalikes]) {
      expect(corsHeaders(res)).toEqual([]);
    }
  });

  it('applies to /token and /users/me exactly: paths below them get no CORS headers and a 404', async () => {
    const paths = ['/token/extra', '/users/me/extra'];
    for (const path of paths) {
      const res = await request(t.app).get(path).set('Origin', ALLOWED);
      expect(res.status).toBe(404);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(corsHeaders(res)).toEqual([]);

      // Nor does a POST (refused by the HTML side's CSRF check) or a preflight get any.
      const post = await request(t.app).post(path).set('Origin', ALLOWED).type('form').send({});
      const preflight = await request(t.app)
        .options(path)
        .set('Origin', ALLOWED)
        .set('Access-Control-Request-Method', 'POST');
      for (const other of [post, preflight]) {
        expect(other.status).toBeGreaterThanOrEqual(400);
        expect(corsHeaders(other)).toEqual([]);
      }
    }
  });

  it('never adds CORS headers to the HTML routes, even for the allowed origin', async () => {
    const answers = await Promise.all([
      request(t.app).get('/').set('Origin', ALLOWED),
      request(t.app).get('/login').set('Origin', ALLOWED),
      request(t.app).post('/login').set('Origin', ALLOWED).type('form').send({}),
      request(t.app).get('/private').set('Origin', ALLOWED),
      request(t.app)
        .options('/login')
        .set('Origin', ALLOWED)
        .set('Access-Control-Request-Method', 'POST'),
    ]);
    for (const res of answers) {
      expect(corsHeaders(res)).toEqual([]);
    }
  });
});

describe('CORS without CORS_ORIGINS', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('sends no Access-Control-Allow-Origin header to any origin', async () => {
    await t.createUser({ email: 'ada@example.com' });
    const answers = await Promise.all([
      request(t.app)
        .post('/token')
        .set('Origin', ALLOWED)
        .type('form')
        .send({ username: 'ada@example.com', password: TEST_PASSWORD }),
      request(t.app).get('/users/me').set('Origin', ALLOWED),
      request(t.app)
        .options('/token')
        .set('Origin', ALLOWED)
        .set('Access-Control-Request-Method', 'POST'),
    ]);
    expect(answers[0]?.status).toBe(200);
    for (const res of answers) {
      expect(corsHeaders(res)).toEqual([]);
    }
  });
});

describe('CORS_ORIGINS in the configuration', () => {
  const baseEnv = { NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:' };

  function configProblems(corsOrigins: string): string[] {
    try {
      loadConfig({ ...baseEnv, CORS_ORIGINS: corsOrigins });
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  }

  it('accepts a comma-separated list of origins, a trailing slash tolerated', () => {
    const config = loadConfig({
      ...baseEnv,
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173/',
    });
    expect(config.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
  });

  it('is empty when unset or blank', () => {
    expect(loadConfig(baseEnv).corsOrigins).toEqual([]);
    expect(loadConfig({ ...baseEnv, CORS_ORIGINS: '  ' }).corsOrigins).toEqual([]);
  });

  it.each(['not a url', 'https://x.example/path', 'ftp://files.example.com', '*'])(
    'refuses %j with a ConfigError naming CORS_ORIGINS',
    (value) => {
      expect(() => loadConfig({ ...baseEnv, CORS_ORIGINS: value })).toThrow(ConfigError);
      const problems = configProblems(value);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain('CORS_ORIGINS');
    },
  );

  it('names each bad entry of a list that also holds good ones', () => {
    const problems = configProblems('https://ok.example.com,https://x.example/path,not a url');
    expect(problems).toEqual([
      expect.stringContaining('"https://x.example/path"'),
      expect.stringContaining('"not a url"'),
    ]);
  });
});
