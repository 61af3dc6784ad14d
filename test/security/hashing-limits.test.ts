import request from 'supertest';
import type { Response } from 'supertest';
import type { PasswordHasher } from '../../src/auth/password';
import { fetchCsrfToken, findSetCookie, newBrowser, type Agent } from '../helpers/browser';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../helpers/test-app';
import { createGate, waitUntil } from './attack-kit';

/**
 * Wraps the real hasher so every verify waits for the test to open the gate:
 * a stand-in for a slow argon2 under load. It sits inside the app's bounded
 * queue, so a verify held here keeps its slot.
 */
function slowVerifier() {
  let gate = createGate();
  const state = { started: 0 };
  return {
    state,
    release() {
      gate.open();
    },
    /** Closes the gate again for the next wave. */
    reset() {
      gate = createGate();
      state.started = 0;
    },
    wrap: (hasher: PasswordHasher): PasswordHasher => ({
      hash: (password) => hasher.hash(password),
      needsRehash: (hash) => hasher.needsRehash(hash),
      dummyHash: (params) => hasher.dummyHash(params),
      async verify(hash, password) {
        state.started += 1;
        await gate.opened;
        return hasher.verify(hash, password);
      },
    }),
  };
}

interface Timed {
  res: Response;
  ms: number;
}

/** Starts a request now and remembers how long its answer took. */
function timed(send: () => PromiseLike<Response>): Promise<Timed> {
  const start = Date.now();
  return Promise.resolve(send()).then((res) => ({ res, ms: Date.now() - start }));
}

async function preparedLogin(t: TestApp, email: string) {
  const browser: Agent = newBrowser(t.app);
  const token = await fetchCsrfToken(browser);
  return () =>
    browser.post('/login').type('form').send({ _csrf: token, email, password: TEST_PASSWORD });
}

/** Resolves with the answers that have arrived once `count` of them have. */
async function firstAnswers(pending: Promise<Timed>[], count: number): Promise<Timed[]> {
  const arrived: Timed[] = [];
  for (const p of pending) void p.then((answer) => arrived.push(answer));
  await waitUntil(() => arrived.length >= count, 10_000);
  return arrived.slice(0, count);
}

const EMAILS = Array.from({ length: 8 }, (_, index) => `user${index}@example.com`);

function expectBusyPage(res: Response): void {
  expect(res.status).toBe(503);
  expect(res.headers['retry-after']).toBe('5');
  expect(res.text).toContain('busy');
  expect(findSetCookie(res, 'session')).toBeUndefined();
}

describe('bounded argon2 work (HASH_CONCURRENCY=1, HASH_QUEUE=1)', () => {
  let t: TestApp;
  const slow = slowVerifier();
  beforeEach(async () => {
    slow.reset();
    t = await createTestApp({
      env: { HASH_CONCURRENCY: '1', HASH_QUEUE: '1', HASH_QUEUE_TIMEOUT_MS: '10000' },
      wrapHasher: slow.wrap,
    });
    // Several accounts: attempts for one (e-mail, IP) take turns, so only
    // different accounts can crowd the hashing queue from one address.
    for (const email of EMAILS) await t.createUser({ email });
  });
  afterEach(async () => {
    slow.release();
    await t.close();
  });

  it('logins beyond 1 running + 1 queued get 503 at once with Retry-After; the others complete once the work ends', async () => {
    const senders = await Promise.all(EMAILS.slice(0, 5).map((email) => preparedLogin(t, email)));
    const pending = senders.map((send) => timed(send));
    const refused = await firstAnswers(pending, 3);
    for (const { res, ms } of refused) {
      expectBusyPage(res);
      // Refused at once, not after the 10 s queue deadline.
      expect(ms).toBeLessThan(5000);
    }
    expect(slow.state.started).toBe(1);

    // Page serving stays responsive while the hashing slots are full.
    await request(t.app).get('/').expect(200);
    await request(t.app).get('/login').expect(200);

    slow.release();
    const all = await Promise.all(pending);
    const completed = all.filter(({ res }) => res.status !== 503);
    expect(completed).toHaveLength(2);
    for (const { res } of completed) {
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/private');
      expect(findSetCookie(res, 'session')).toBeDefined();
    }
    expect(slow.state.started).toBe(2);
  });

  it('/token beyond the queue gets 503 temporarily_unavailable with Retry-After', async () => {
    const sendToken = (username: string) => () =>
      request(t.app)
        .post('/token')
        .type('form')
        .send({ grant_type: 'password', username, password: TEST_PASSWORD });
    const pending = EMAILS.slice(0, 4).map((email) => timed(sendToken(email)));
    const refused = await firstAnswers(pending, 2);
    for (const { res, ms } of refused) {
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ error: 'temporarily_unavailable' });
      expect(res.headers['retry-after']).toBe('5');
      expect(ms).toBeLessThan(5000);
    }
    await request(t.app).get('/').expect(200);

    slow.release();
    const all = await Promise.all(pending);
    const issued = all.filter(({ res }) => res.status === 200);
    expect(issued).toHaveLength(2);
    for (const { res } of issued) expect(typeof res.body.access_token).toBe('string');
  });

  it('a busy refusal is not a failed login: it neither counts towards throttling nor is audited as one', async () => {
    const senders = await Promise.all(EMAILS.map((email) => preparedLogin(t, email)));
    const pending = senders.map((send) => timed(send));
    await firstAnswers(pending, 6);
    slow.release();
    await Promise.all(pending);
    const failed = await t.db
      .selectFrom('auth_events')
      .select('type')
      .where('type', 'in', ['login_failed', 'login_throttled'])
      .execute();
    expect(failed).toEqual([]);
    const next = await (await preparedLogin(t, 'user0@example.com'))();
    expect(next.status).toBe(303);
  });
});

describe('a full hashing queue and the login throttle (HASH_CONCURRENCY=1, HASH_QUEUE=0)', () => {
  let t: TestApp;
  const slow = slowVerifier();
  beforeEach(async () => {
    slow.reset();
    t = await createTestApp({
      env: { HASH_CONCURRENCY: '1', HASH_QUEUE: '0' },
      wrapHasher: slow.wrap,
    });
    await t.createUser({ email: 'ada@example.com' });
    await t.createUser({ email: 'grace@example.com' });
  });
  afterEach(async () => {
    slow.release();
    await t.close();
  });

  async function wrongPasswordLogin(email: string): Promise<Response> {
    const browser = newBrowser(t.app);
    const token = await fetchCsrfToken(browser);
    return browser
      .post('/login')
      .type('form')
      .send({ _csrf: token, email, password: 'not the password at all' });
  }

  it('logins refused with 503 do not count towards the (e-mail, IP) limit: 5 wrong passwords still get 401', async () => {
    // Another account's login holds the only hashing slot, and nothing may queue.
    const running = timed(await preparedLogin(t, 'grace@example.com'));
    await waitUntil(() => slow.state.started === 1);
    for (let i = 0; i < 5; i += 1) expectBusyPage(await wrongPasswordLogin('ada@example.com'));
    expect(slow.state.started).toBe(1);
    slow.release();
    expect((await running).res.status).toBe(303);

    for (let i = 0; i < 5; i += 1) {
      expect((await wrongPasswordLogin('ada@example.com')).status).toBe(401);
    }
    // The limit itself still holds: the 6th wrong password is throttled.
    expect((await wrongPasswordLogin('ada@example.com')).status).toBe(429);
    expect(slow.state.started).toBe(6);
  });
});

describe('the hashing queue deadline (HASH_CONCURRENCY=1, HASH_QUEUE_TIMEOUT_MS=50)', () => {
  let t: TestApp;
  const slow = slowVerifier();
  beforeEach(async () => {
    slow.reset();
    t = await createTestApp({
      env: { HASH_CONCURRENCY: '1', HASH_QUEUE_TIMEOUT_MS: '50' },
      wrapHasher: slow.wrap,
    });
    await t.createUser({ email: 'ada@example.com' });
    await t.createUser({ email: 'grace@example.com' });
  });
  afterEach(async () => {
    slow.release();
    await t.close();
  });

  it('a login that waits in the queue longer than 50 ms gets 503, and the running one still completes', async () => {
    const first = await preparedLogin(t, 'ada@example.com');
    const second = await preparedLogin(t, 'grace@example.com');
    const running = timed(first);
    await waitUntil(() => slow.state.started === 1);
    const queued = timed(second);
    const { res, ms } = await queued;
    expectBusyPage(res);
    expect(ms).toBeGreaterThanOrEqual(45);
    expect(ms).toBeLessThan(5000);
    expect(slow.state.started).toBe(1);

    slow.release();
    const done = await running;
    expect(done.res.status).toBe(303);
  });
});
