import { extractCsrfToken } from '../helpers/browser';
import {
  childPids,
  commandLine,
  environment,
  hasChrt,
  isAlive,
  SCHED_IDLE,
  threadNice,
  threadNices,
  threadPolicy,
} from '../helpers/proc';
import {
  httpRequest,
  type HttpResponse,
  type RunningServer,
  startSeededServer,
  type SeededServer,
} from '../helpers/spawn';
import { TEST_SECRET } from '../helpers/test-app';

/**
 * Issue 15: argon2 runs in a child of the server at nice 19 and, where chrt
 * can set it, SCHED_IDLE, so that on a shared core a login flood takes only
 * the CPU time page serving leaves. These tests start the built server (node dist/src/server.js) and look at its
 * processes and threads in /proc (Linux).
 */
jest.setTimeout(60_000);

const ALICE = { email: 'alice@example.com', password: 'correct horse battery staple' };
/** A login must be answered within this, hashing worker or not: never a hang. */
const ANSWER_WITHIN_MS = 3000;

function serverPid(server: RunningServer): number {
  const pid = server.child.pid;
  if (pid === undefined) throw new Error('the server has no pid');
  return pid;
}

/** The server's hashing worker, or undefined while there is none. */
function workerPid(server: RunningServer): number | undefined {
  return childPids(serverPid(server)).find((pid) =>
    commandLine(pid).includes('hashing-worker.main.js'),
  );
}

async function until<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Alice's login as a browser sends it: fetches the form first, returns the POST to send. */
async function preparedLogin(port: number): Promise<() => Promise<HttpResponse>> {
  const page = await httpRequest(port, { path: '/login' });
  const csrfCookie = (page.headers['set-cookie'] ?? []).find((line) => line.startsWith('csrf='));
  if (!csrfCookie) throw new Error('no csrf cookie');
  const body = new URLSearchParams({ _csrf: extractCsrfToken(page.body), ...ALICE }).toString();
  const headers = {
    cookie: csrfCookie.split(';')[0],
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': Buffer.byteLength(body),
  };
  return () => httpRequest(port, { method: 'POST', path: '/login', headers }, body);
}

async function logIn(port: number): Promise<HttpResponse> {
  return withinMs((await preparedLogin(port))(), ANSWER_WITHIN_MS);
}

function expectLoggedIn(res: HttpResponse): void {
  expect(res.status).toBe(303);
  expect(res.headers.location).toBe('/private');
}

function expectBusy(res: HttpResponse): void {
  expect(res.status).toBe(503);
  expect(res.headers['retry-after']).toBe('5');
}

describe('the server hashes passwords in a child process at the lowest priority (node dist/src/server.js)', () => {
  let server: RunningServer;
  let seeded: SeededServer;
  beforeEach(async () => {
    seeded = await startSeededServer('worker', () => ({
      JWT_SECRET: TEST_SECRET,
      HASH_CONCURRENCY: '2',
      // This is about the worker, not about throttling repeated logins.
      RATE_LIMIT_LOGIN_EMAIL_IP: '1000/15m',
      RATE_LIMIT_LOGIN_DEVICE: '1000/15m',
    }));
    ({ server } = seeded);
  });
  afterEach(() => seeded.close());

  it('has one hashing worker child whose every thread has nice 19 (and SCHED_IDLE), while every server thread keeps nice 0 and the normal policy, and a login works through it', async () => {
    expectLoggedIn(await logIn(server.port)); // the worker's argon2 pool exists from now on
    const pid = await until(() => workerPid(server));
    const workerNices = threadNices(pid);
    // main, one V8 helper, libuv's pool of HASH_CONCURRENCY threads at least
    expect(workerNices.size).toBeGreaterThanOrEqual(4);
    expect([...workerNices.values()]).toEqual(new Array<number>(workerNices.size).fill(19));
    // SCHED_IDLE on top where chrt can set it (Linux with util-linux).
    const policies = [...workerNices.keys()].map((tid) => threadPolicy(pid, tid));
    if (hasChrt()) expect(policies).toEqual(new Array<number>(policies.length).fill(SCHED_IDLE));
    expect(threadNice(serverPid(server), serverPid(server))).toBe(0);
    const serverThreads = [...threadNices(serverPid(server)).keys()];
    expect(serverThreads.every((tid) => threadPolicy(serverPid(server), tid) === 0)).toBe(true);
    expect(new Set(threadNices(serverPid(server)).values())).toEqual(new Set([0]));
    expect(childPids(serverPid(server))).toEqual([pid]);
  });

  it('gives the worker a threadpool of HASH_CONCURRENCY threads and none of the server’s secrets', async () => {
    const pid = await until(() => workerPid(server));
    const env = environment(pid);
    expect(env).toContain('UV_THREADPOOL_SIZE=2');
    const names = env.map((entry) => entry.split('=')[0]);
    expect(names).not.toContain('JWT_SECRET');
    expect(names).not.toContain('DATABASE_URL');
  });

  it('after kill -9 of the worker: the login it held answers 503 with Retry-After at once, and logins succeed again through a new worker', async () => {
    expectLoggedIn(await logIn(server.port));
    const first = await until(() => workerPid(server));
    const held = (await preparedLogin(server.port))();
    // Stopped, the worker takes the login's verify but never answers it.
    process.kill(first, 'SIGSTOP');
    let isAnswered = false;
    void held.finally(() => (isAnswered = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(isAnswered).toBe(false);

    process.kill(first, 'SIGKILL');
    expectBusy(await withinMs(held, ANSWER_WITHIN_MS));
    // Right after the kill: refused at once (worker down) or, if the restart
    // was quicker than this request, logged in. Never a hang.
    const during = await logIn(server.port);
    if (during.status === 503) expectBusy(during);
    else expectLoggedIn(during);

    const second = await until(() => {
      const pid = workerPid(server);
      return pid !== undefined && pid !== first ? pid : undefined;
    });
    expect(isAlive(first)).toBe(false);
    // The new worker may still be starting: a 503 until then is fine, a hang is not.
    let res = await logIn(server.port);
    for (let attempt = 0; res.status === 503 && attempt < 20; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      res = await logIn(server.port);
    }
    expectLoggedIn(res);
    expect(workerPid(server)).toBe(second);
    expect(server.stdout()).toContain('hashing worker exited');
    expect(server.stdout()).toContain('"signal":"SIGKILL"');
  });

  it('SIGTERM to the server ends the worker too', async () => {
    expectLoggedIn(await logIn(server.port));
    const pid = await until(() => workerPid(server));
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    await until(() => (isAlive(pid) ? undefined : true), 5000);
  });

  it('kill -9 of the server ends the worker too: it leaves when its channel to the server closes', async () => {
    const pid = await until(() => workerPid(server));
    server.child.kill('SIGKILL');
    await server.exited;
    await until(() => (isAlive(pid) ? undefined : true), 5000);
  });
});
