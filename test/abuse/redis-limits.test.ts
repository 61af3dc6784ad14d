import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Express } from 'express';
import pino from 'pino';
import { createRedisLimiterFactory } from '../../src/abuse/redis-limiter';
import { createApp } from '../../src/app';
import request from 'supertest';
import { fetchCsrfToken, newBrowser } from '../helpers/browser';
import { describeWithService } from '../helpers/services';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';

const describeWithRedis = describeWithService('Redis', '127.0.0.1', 6379);

/** A pino logger whose lines the test can read. */
function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines };
}

async function attemptLogin(app: Express, email: string, password: string) {
  const browser = newBrowser(app);
  const token = await fetchCsrfToken(browser);
  return browser.post('/login').type('form').send({ _csrf: token, email, password });
}

describeWithRedis('rate limits in Redis (REDIS_URL)', () => {
  let t: TestApp;
  const closers: (() => Promise<void>)[] = [];
  beforeEach(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_LOGIN_EMAIL_IP: '3/15m' } });
  });
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
    await t.close();
  });

  /** Another app instance on the same database, counting in the given store. */
  function instance(factory: ReturnType<typeof createRedisLimiterFactory>['factory']): Express {
    return createApp({
      config: t.config,
      database: t.database,
      clock: t.clock,
      limiterFactory: factory,
    });
  }

  function redisStore(url: string, failClosed = false) {
    const { logger, lines } = capturedLogger();
    const store = createRedisLimiterFactory({
      url,
      failClosed,
      logger,
      namespace: `test-${randomUUID()}`,
    });
    closers.push(store.close);
    return { ...store, lines };
  }

  it('failed logins spread over two instances hit one shared limit', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const store = redisStore('redis://127.0.0.1:6379');
    const first = instance(store.factory);
    const second = instance(store.factory);
    expect((await attemptLogin(first, user.email, 'wrong guess one')).status).toBe(401);
    expect((await attemptLogin(second, user.email, 'wrong guess two')).status).toBe(401);
    expect((await attemptLogin(first, user.email, 'wrong guess three')).status).toBe(401);
    const blocked = await attemptLogin(second, user.email, TEST_PASSWORD);
    expect(blocked.status).toBe(429);
    expect(blocked.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('fails open by default when Redis is unreachable: logins work and a warning is logged', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const store = redisStore('redis://127.0.0.1:1');
    const app = instance(store.factory);
    const res = await attemptLogin(app, user.email, TEST_PASSWORD);
    expect(res.status).toBe(303);
    // Still limited, per instance, from memory.
    for (let i = 0; i < 3; i += 1) {
      expect((await attemptLogin(app, user.email, 'a wrong guess')).status).toBe(401);
    }
    expect((await attemptLogin(app, user.email, 'a wrong guess')).status).toBe(429);
    expect(store.lines.join('')).toContain('Redis is unreachable');
  });

  it('fails closed with RATE_LIMIT_FAIL_CLOSED: a clear 503, and /token answers temporarily_unavailable', async () => {
    const user = await t.createUser({ email: 'ada@example.com' });
    const store = redisStore('redis://127.0.0.1:1', true);
    const app = instance(store.factory);
    const res = await attemptLogin(app, user.email, TEST_PASSWORD);
    expect(res.status).toBe(503);
    expect(res.text).toContain('Sign-in is briefly unavailable');
    expect(res.headers['retry-after']).toBe('5');
    const token = await request(app)
      .post('/token')
      .type('form')
      .send({ username: user.email, password: TEST_PASSWORD });
    expect(token.status).toBe(503);
    expect(token.body).toMatchObject({ error: 'temporarily_unavailable' });
    expect(await t.db.selectFrom('sessions').selectAll().execute()).toHaveLength(0);
  });
});
