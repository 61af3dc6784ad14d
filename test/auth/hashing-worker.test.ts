import pino from 'pino';
import { HashingBusyError } from '../../src/auth/hashing-limiter';
import { startHashingWorker, type HashingWorker } from '../../src/auth/hashing-worker';
import { createPasswordHasher } from '../../src/auth/password';
import {
  commandLine,
  hasChrt,
  isAlive,
  SCHED_IDLE,
  threadNices,
  threadPolicy,
} from '../helpers/proc';

/**
 * The hashing worker's parent side against the real child: the built
 * dist/src/auth/hashing-worker.main.js (`npm test` builds first) with real argon2.
 */
const PARAMS = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
const PASSWORD = 'correct horse battery staple';
/** Restarts slow enough that a test can look at the worker while it is down. */
const SLOW_RESTART = { firstDelayMs: 400, maxDelayMs: 800, healthyAfterMs: 60_000 };

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function runningPid(worker: HashingWorker): number {
  const pid = worker.pid();
  if (pid === undefined) throw new Error('no hashing worker is running');
  return pid;
}

describe('the hashing worker (a child process running argon2)', () => {
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
  let worker: HashingWorker;
  beforeEach(() => {
    warnings.length = 0;
    worker = startHashingWorker({ params: PARAMS, concurrency: 2, logger, restart: SLOW_RESTART });
  });
  afterEach(async () => {
    await worker.stop();
  });

  it('hashes and verifies like the in-process hasher, and its hashes are interchangeable', async () => {
    const inProcess = createPasswordHasher(PARAMS);
    const hash = await worker.hash(PASSWORD);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=1024,p=1,t=1\$/);
    expect(await worker.verify(hash, PASSWORD)).toBe(true);
    expect(await worker.verify(hash, 'wrong')).toBe(false);
    expect(await inProcess.verify(hash, PASSWORD)).toBe(true);
    expect(await worker.verify(await inProcess.hash(PASSWORD), PASSWORD)).toBe(true);
    expect(worker.needsRehash(hash)).toBe(false);
    expect(
      worker.needsRehash(await createPasswordHasher({ ...PARAMS, timeCost: 2 }).hash('x')),
    ).toBe(true);
  });

  it('answers false for a hash argon2 cannot read, and stays up', async () => {
    for (const garbage of ['', 'not a hash', '$argon2id$v=19$m=1024', '$2b$10$abcdefghijklmnop']) {
      await expect(worker.verify(garbage, PASSWORD)).resolves.toBe(false);
    }
    expect(await worker.verify(await worker.hash(PASSWORD), PASSWORD)).toBe(true);
  });

  it('makes the dummy hash in the child, with the configured parameters, once', async () => {
    const dummy = await worker.dummyHash();
    expect(await worker.dummyHash()).toBe(dummy);
    expect(worker.needsRehash(dummy)).toBe(false);
    expect(await worker.verify(dummy, PASSWORD)).toBe(false);
  });

  it('makes a dummy with the parameters it is asked for (those most stored hashes use), once per set', async () => {
    const stored = { memoryCost: 2048, timeCost: 3, parallelism: 1 };
    const dummy = await worker.dummyHash(stored);
    expect(dummy).toMatch(/^\$argon2id\$v=19\$(?=.*m=2048)(?=.*t=3)(?=.*p=1)/);
    expect(await worker.dummyHash(stored)).toBe(dummy);
    expect(await worker.dummyHash()).not.toBe(dummy);
  });

  it('answers many concurrent requests, each with its own reply', async () => {
    const passwords = Array.from({ length: 12 }, (_, index) => `password number ${index}`);
    const hashes = await Promise.all(passwords.map((password) => worker.hash(password)));
    const checks = await Promise.all(
      hashes.map((hash, index) =>
        worker.verify(hash, passwords[(index + 1) % passwords.length] ?? ''),
      ),
    );
    expect(checks.every((isMatch) => !isMatch)).toBe(true);
    const own = await Promise.all(
      hashes.map((hash, index) => worker.verify(hash, passwords[index] ?? '')),
    );
    expect(own.every(Boolean)).toBe(true);
  });

  it('runs as a separate process whose every thread has nice 19, and SCHED_IDLE where chrt is available', async () => {
    await worker.hash(PASSWORD); // the libuv pool exists from the first hash on
    const pid = runningPid(worker);
    expect(pid).not.toBe(process.pid);
    expect(commandLine(pid)).toContain('hashing-worker.main.js');
    const nices = threadNices(pid);
    expect(nices.size).toBeGreaterThan(1);
    expect([...nices.values()].every((nice) => nice === 19)).toBe(true);
    if (hasChrt()) {
      expect([...nices.keys()].every((tid) => threadPolicy(pid, tid) === SCHED_IDLE)).toBe(true);
    }
  });

  it('when the child is killed: the request it held fails at once with HashingBusyError, so do requests until the restart, then hashing works again in a new child', async () => {
    const first = runningPid(worker);
    process.kill(first, 'SIGSTOP'); // holds the next request inside the child
    const held = worker.hash(PASSWORD);
    const settled = held.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(first, 'SIGKILL');
    expect(await settled).toBeInstanceOf(HashingBusyError);
    await until(() => worker.pid() === undefined);
    await expect(
      worker.verify('$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA', PASSWORD),
    ).rejects.toBeInstanceOf(HashingBusyError);
    expect(warnings.join('')).toContain('"signal":"SIGKILL"');
    expect(warnings.join('')).toContain('hashing worker exited');

    await until(() => worker.pid() !== undefined);
    expect(worker.pid()).not.toBe(first);
    expect(await worker.verify(await worker.hash(PASSWORD), PASSWORD)).toBe(true);
  });

  it('a child that is alive but answers nothing is killed after the request timeout: the request fails with HashingBusyError instead of hanging, and a new child is started', async () => {
    await worker.stop();
    worker = startHashingWorker({
      params: PARAMS,
      concurrency: 1,
      logger,
      restart: SLOW_RESTART,
      requestTimeoutMs: 300,
    });
    const first = runningPid(worker);
    process.kill(first, 'SIGSTOP');
    const startedAt = Date.now();
    await expect(worker.hash(PASSWORD)).rejects.toBeInstanceOf(HashingBusyError);
    expect(Date.now() - startedAt).toBeLessThan(5000);
    expect(warnings.join('')).toContain('did not answer in time');
    // A new child takes over (hashing through it is the test above: on a busy
    // machine an idle-priority hash could itself outlast this short timeout).
    await until(() => worker.pid() !== undefined && worker.pid() !== first);
  });

  it('restarts a child that keeps crashing after growing delays, up to the maximum', async () => {
    const restarts: number[] = [];
    let last = Date.now();
    for (let crash = 0; crash < 3; crash += 1) {
      const pid = runningPid(worker);
      process.kill(pid, 'SIGKILL');
      await until(() => worker.pid() !== undefined && worker.pid() !== pid);
      restarts.push(Date.now() - last);
      last = Date.now();
    }
    expect(warnings.join('')).toContain('"restartInMs":400');
    expect(warnings.join('')).toContain('"restartInMs":800');
    expect(warnings.join('')).not.toContain('"restartInMs":1600');
    // Each restart waited at least its delay: 400, then 800, then 800 (the cap).
    expect(restarts[0]).toBeGreaterThanOrEqual(390);
    expect(restarts[1]).toBeGreaterThanOrEqual(790);
    expect(restarts[2]).toBeGreaterThanOrEqual(790);
  });

  it('stop() ends the child, it is not restarted, and later requests fail with HashingBusyError', async () => {
    const pid = runningPid(worker);
    await worker.stop();
    expect(isAlive(pid)).toBe(false);
    expect(worker.pid()).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, SLOW_RESTART.firstDelayMs + 200));
    expect(worker.pid()).toBeUndefined();
    await expect(worker.hash(PASSWORD)).rejects.toBeInstanceOf(HashingBusyError);
    expect(warnings).toEqual([]);
  });

  it('refuses to start without the built child, naming the missing file', () => {
    expect(() =>
      startHashingWorker({
        params: PARAMS,
        concurrency: 1,
        logger,
        entry: '/nonexistent/worker.js',
      }),
    ).toThrow('/nonexistent/worker.js');
  });
});
