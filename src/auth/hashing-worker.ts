import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Argon2Params } from './hashing.config';
import type { Logger } from '../logger';
import { needsArgon2Rehash } from './argon2-phc';
import { HashingBusyError } from './hashing-limiter';
import { forkHashingChild, HASHING_WORKER_ENTRY } from './hashing-worker.child';
import { isHashingReply, type HashingCall } from './hashing-worker.protocol';
import type { PasswordHasher } from './password';

/** A PasswordHasher whose argon2 runs in a child process (hashing-worker.main.ts). */
export interface HashingWorker extends PasswordHasher {
  /** Ends the child and stops restarting it; resolves once it has exited. */
  stop(): Promise<void>;
  /** The child's process id, while one runs. */
  pid(): number | undefined;
}

export interface RestartPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  /** A child that ran this long before dying is restarted after firstDelayMs again. */
  healthyAfterMs: number;
}

export interface HashingWorkerOptions {
  params: Argon2Params;
  /** argon2 operations the child runs at once: its libuv threadpool size. */
  concurrency: number;
  logger: Logger;
  /** The server's environment, of which the child gets only MALLOC_ARENA_MAX. */
  serverEnv?: NodeJS.ProcessEnv;
  /** The built child; tests from src/ use the one in dist/ too. */
  entry?: string;
  restart?: RestartPolicy;
  /** A request unanswered this long means a stuck child: it is killed and restarted. */
  requestTimeoutMs?: number;
}

const DEFAULT_RESTART: RestartPolicy = {
  firstDelayMs: 100,
  maxDelayMs: 5000,
  healthyAfterMs: 10_000,
};

/**
 * Far above any real hash (~20 ms; seconds when pages keep the core busy and
 * the idle-priority child waits its turn), far below a client giving up for
 * ever: a child that is alive but answers nothing (stopped, deadlocked) must
 * not hold logins, or let requests pile up in its channel, without end.
 */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** How long stop() waits for the child to leave on its own before killing it. */
const STOP_DEADLINE_MS = 2000;

interface Pending {
  resolve(value: string | boolean): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Starts the hashing worker: argon2 leaves the server's process for a child
 * at the lowest priority (SCHED_IDLE, else nice 19), so on a shared core page
 * serving keeps its share of the CPU while logins flood. Callers still bound
 * the work with limitHashing.
 *
 * If the child dies, every request it was working on fails at once with
 * HashingBusyError (a 503 with Retry-After, never a hang), and so does every
 * request until a new child has been started, after a short growing delay.
 */
export function startHashingWorker(options: HashingWorkerOptions): HashingWorker {
  const entry = options.entry ?? HASHING_WORKER_ENTRY;
  if (!existsSync(entry))
    throw new Error(`the hashing worker ${entry} is missing: run npm run build`);
  const restart = options.restart ?? DEFAULT_RESTART;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const { logger } = options;
  const pending = new Map<number, Pending>();
  let child: ChildProcess | undefined;
  let startedAt = 0;
  let nextId = 1;
  let restartDelayMs = restart.firstDelayMs;
  let restartTimer: NodeJS.Timeout | undefined;
  let isStopped = false;

  function spawnChild(): void {
    restartTimer = undefined;
    const started = forkHashingChild(entry, options);
    child = started;
    startedAt = performance.now();
    started.on('message', settle);
    // Failing to send or to start: 'exit' follows when the process existed.
    started.on('error', (error) => logger.warn({ err: error }, 'hashing worker error'));
    started.once('exit', (code, signal) => onExit(started, code, signal));
  }

  function settle(message: unknown): void {
    if (!isHashingReply(message)) return;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    clearTimeout(waiter.timer);
    if (message.ok) waiter.resolve(message.value);
    else waiter.reject(new Error(`hashing worker: ${message.error}`));
  }

  function onExit(ended: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== ended) return;
    child = undefined;
    // Whatever it was hashing is lost: answer now rather than never.
    failAllPending();
    if (isStopped) return;
    if (performance.now() - startedAt >= restart.healthyAfterMs) {
      restartDelayMs = restart.firstDelayMs;
    }
    logger.warn(
      { code, signal, restartInMs: restartDelayMs },
      'hashing worker exited: password checks answer 503 until it is restarted',
    );
    restartTimer = setTimeout(spawnChild, restartDelayMs);
    restartDelayMs = Math.min(restartDelayMs * 2, restart.maxDelayMs);
  }

  function failAllPending(): void {
    for (const waiter of pending.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new HashingBusyError());
    }
    pending.clear();
  }

  function onStuck(stuck: ChildProcess): void {
    if (child !== stuck) return;
    logger.warn(
      { pid: stuck.pid, timeoutMs: requestTimeoutMs },
      'hashing worker did not answer in time: killing it',
    );
    // Its 'exit' fails what is pending and schedules the restart.
    stuck.kill('SIGKILL');
  }

  function call(request: HashingCall): Promise<string | boolean> {
    const running = child;
    if (!running?.connected) return Promise.reject(new HashingBusyError());
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => onStuck(running), requestTimeoutMs);
      timer.unref();
      pending.set(id, { resolve, reject, timer });
      running.send({ ...request, id }, (error) => {
        if (!error || !pending.delete(id)) return;
        clearTimeout(timer);
        reject(new HashingBusyError());
      });
    });
  }

  async function callForString(request: HashingCall): Promise<string> {
    const value = await call(request);
    if (typeof value !== 'string') throw new Error('hashing worker: expected a hash');
    return value;
  }

  spawnChild();
  return {
    hash: (password) => callForString({ op: 'hash', password }),
    async verify(hash, password) {
      return (await call({ op: 'verify', hash, password })) === true;
    },
    needsRehash: (hash) => needsArgon2Rehash(hash, options.params),
    // The child makes it once and keeps it; limitHashing keeps it here too.
    dummyHash: (params) =>
      callForString(params ? { op: 'dummyHash', params } : { op: 'dummyHash' }),
    pid: () => child?.pid,
    async stop() {
      isStopped = true;
      clearTimeout(restartTimer);
      const running = child;
      if (!running) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      // The child leaves when its channel closes; a stuck one is killed.
      if (running.connected) running.disconnect();
      const killer = setTimeout(() => running.kill('SIGKILL'), STOP_DEADLINE_MS);
      await exited;
      clearTimeout(killer);
    },
  };
}
