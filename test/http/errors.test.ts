import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pino from 'pino';
import { createApp } from '../../src/app';
import request from 'supertest';
import { extractCsrfToken, findSetCookie, logIn, newBrowser, type Agent } from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';

const FIXED_500_MESSAGE = 'Something went wrong on our side.';

describe('pages that do not exist', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('answer 404 with a helpful HTML page in the site layout', async () => {
    const res = await request(t.app).get('/no-such-page').expect(404);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('<title>Page not found · Gatehouse</title>');
    expect(res.text).toContain('<h1>Page not found</h1>');
    expect(res.text).toContain('There is no page at this address.');
    expect(res.text).toContain('Check the address, or start again from the home page.');
    expect(res.text).toContain('<a href="/">Go to the home page</a>');
    expect(res.text).toContain('class="site-header"');
    expect(res.text).toContain('href="/login"');
  });

  it('show a signed-in visitor their own navigation', async () => {
    const user = await t.createUser({ fullName: 'Ada Lovelace' });
    const browser = newBrowser(t.app);
    await logIn(browser, user.email, TEST_PASSWORD);
    const res = await browser.get('/no-such-page').expect(404);
    expect(res.text).toContain('Ada Lovelace');
    expect(res.text).toContain('href="/logout"');
  });

  it('answer JSON { error: "not_found" } when the client asks for JSON', async () => {
    const res = await request(t.app)
      .get('/no-such-page')
      .set('Accept', 'application/json')
      .expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ error: 'not_found' });
    expect(res.text).not.toContain('<html');
  });
});

describe('oversized form posts', () => {
  let t: TestApp;
  let browser: Agent;
  let csrfToken: string;
  beforeEach(async () => {
    t = await createTestApp();
    browser = newBrowser(t.app);
    const page = await browser.get('/login');
    csrfToken = extractCsrfToken(page.text);
  });
  afterEach(() => t.close());

  async function expectNothingStored(userId: number): Promise<void> {
    expect(await t.db.selectFrom('sessions').selectAll().execute()).toEqual([]);
    const row = await t.db
      .selectFrom('users')
      .select('last_login_at')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(row.last_login_at).toBeNull();
  }

  it('a body over 10 kB is refused with the 413 page and nothing is stored', async () => {
    const user = await t.createUser();
    const res = await browser
      .post('/login')
      .type('form')
      .send({
        _csrf: csrfToken,
        email: user.email,
        password: TEST_PASSWORD,
        pad: 'x'.repeat(11_000),
      })
      .expect(413);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('Too much data');
    expect(res.text).toContain('class="site-header"');
    expect(findSetCookie(res, 'session')).toBeUndefined();
    await expectNothingStored(user.id);
  });

  it('a body just under 10 kB is read normally', async () => {
    const user = await t.createUser();
    const res = await browser
      .post('/login')
      .type('form')
      .send({
        _csrf: csrfToken,
        email: user.email,
        password: TEST_PASSWORD,
        pad: 'x'.repeat(9_000),
      })
      .expect(303);
    expect(findSetCookie(res, 'session')).toBeDefined();
  });

  it('a form with dozens of fields is refused with 413 and nothing is stored', async () => {
    const user = await t.createUser();
    const fields: Record<string, string> = {
      _csrf: csrfToken,
      email: user.email,
      password: TEST_PASSWORD,
    };
    for (let index = 0; index < 50; index += 1) fields[`field${index}`] = 'x';
    const res = await browser.post('/login').type('form').send(fields).expect(413);
    expect(res.text).toContain('Too much data');
    await expectNothingStored(user.id);
  });
});

const PRODUCTION_ENV = { NODE_ENV: 'production', COOKIE_SECURE: 'false', LOG_LEVEL: 'silent' };
const DEVELOPMENT_ENV = { NODE_ENV: 'development', LOG_LEVEL: 'silent' };

/**
 * Signs in, then breaks the database underneath the app so the next request
 * fails for real: a dropped table (a driver error) or a closed handle (a
 * query-builder error). The second is used where the stack matters, because
 * better-sqlite3 creates its errors with the constructor of the first jest
 * sandbox that loaded it, so they fail `instanceof Error` in later test files.
 */
async function failingPrivatePage(env: Record<string, string>, breakage: 'drop' | 'close') {
  const t = await createTestApp({ env });
  const user = await t.createUser();
  const browser = newBrowser(t.app);
  await logIn(browser, user.email, TEST_PASSWORD);
  await browser.get('/private').expect(200);
  // close() is idempotent (Kysely's destroy), so afterEach may close again.
  if (breakage === 'drop') await sql`drop table sessions`.execute(t.db);
  else await t.database.close();
  return { t, browser };
}

describe('an unexpected error', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it.each(['drop', 'close'] as const)(
    'in production (database %s), answers 500 with a fixed message and no stack trace or internals',
    async (breakage) => {
      const failing = await failingPrivatePage(PRODUCTION_ENV, breakage);
      t = failing.t;
      const res = await failing.browser.get('/private').expect(500);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('<h1>Something went wrong</h1>');
      expect(res.text).toContain(FIXED_500_MESSAGE);
      expect(res.text).toContain('class="site-header"');
      expect(res.text).not.toContain('Stack trace');
      expect(res.text).not.toMatch(
        /no such table|SqliteError|destroyed|sessions\.repository|node_modules|\.[jt]s:\d+/,
      );
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    },
  );

  it('in production, answers JSON clients with the fixed message only', async () => {
    const failing = await failingPrivatePage(PRODUCTION_ENV, 'drop');
    t = failing.t;
    const res = await failing.browser.get('/private').set('Accept', 'application/json').expect(500);
    expect(res.body).toEqual({ error: 'internal', message: FIXED_500_MESSAGE });
  });

  it('in development, the 500 page shows the stack trace', async () => {
    const failing = await failingPrivatePage(DEVELOPMENT_ENV, 'close');
    t = failing.t;
    const res = await failing.browser.get('/private').expect(500);
    expect(res.text).toContain(FIXED_500_MESSAGE);
    expect(res.text).toContain('Stack trace');
    expect(res.text).toContain('driver has already been destroyed');
  });
});

describe('the health check', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  // Closing twice is safe (Kysely's destroy is idempotent), so the 503 test may close first.
  afterEach(() => t.close());

  it('answers 200 { status: "ok" } while the process is up', async () => {
    const res = await request(t.app).get('/healthz').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ status: 'ok' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('stays 200 when the database is unreachable (liveness; /readyz says 503)', async () => {
    await t.database.close();
    const res = await request(t.app).get('/healthz').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect((await request(t.app).get('/readyz')).status).toBe(503);
  });
});

describe('static files', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('serves /css/main.css as text/css', async () => {
    const res = await request(t.app).get('/css/main.css').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/css/);
    expect(res.text.length).toBeGreaterThan(0);
  });

  it('serves the favicon as SVG', async () => {
    const res = await request(t.app).get('/favicon.svg').expect(200);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
  });
});

describe('the server-side record of an unexpected error', () => {
  it('is logged with the request id the client was given, and the client sees no detail', async () => {
    const t = await createTestApp({ env: { NODE_ENV: 'production', COOKIE_SECURE: 'false' } });
    try {
      const lines: string[] = [];
      const logger = pino(
        { level: 'error' },
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            lines.push(chunk.toString('utf8'));
            callback();
          },
        }),
      );
      const app = createApp({ config: t.config, database: t.database, clock: t.clock, logger });
      const user = await t.createUser();
      const login = await logIn(newBrowser(t.app), user.email, TEST_PASSWORD);
      const cookie = findSetCookie(login, 'session')?.split(';')[0] ?? '';
      await t.database.close();
      const failing = await request(app).get('/private').set('Cookie', cookie).expect(500);
      const requestId = String(failing.headers['x-request-id']);
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(failing.text).toContain(FIXED_500_MESSAGE);
      expect(failing.text).not.toMatch(/at .*\.(js|ts):\d+/);
      const logged = lines.map((line) => JSON.parse(line) as { reqId?: string; msg?: string });
      expect(logged).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ reqId: requestId, msg: 'unhandled error' }),
        ]),
      );
    } finally {
      await t.close();
    }
  });
});
