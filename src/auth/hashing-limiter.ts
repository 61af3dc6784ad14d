import { HttpError } from '../errors';
import { paramsKey, type PasswordHasher } from './password';

export class HashingBusyError extends HttpError {
  constructor() {
    super(
      503,
      'busy',
      'The server is busy checking other passwords: please try again in a few seconds.',
      { retryAfterSeconds: 5 },
    );
  }
}

export interface HashingLimits {
  /** argon2 operations allowed to run at once. */
  concurrency: number;
  /** Operations allowed to wait for a slot; past this, refuse at once. */
  queueSize: number;
  /** How long an operation may wait for a slot before it is refused. */
  queueTimeoutMs: number;
}

/**
 * Bounds argon2 work so a login flood cannot exhaust memory (19 MiB per hash)
 * or starve page serving: a few hashes run, a bounded queue waits, and the
 * rest are refused immediately with HashingBusyError (a 503 with Retry-After).
 */
export function limitHashing(hasher: PasswordHasher, limits: HashingLimits): PasswordHasher {
  let running = 0;
  const waiting: { start: () => void }[] = [];

  function acquire(): Promise<void> {
    if (running < limits.concurrency) {
      running += 1;
      return Promise.resolve();
    }
    if (waiting.length >= limits.queueSize) return Promise.reject(new HashingBusyError());
    return new Promise((resolve, reject) => {
      const entry = {
        start: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(entry), 1);
        reject(new HashingBusyError());
      }, limits.queueTimeoutMs);
      waiting.push(entry);
    });
  }

  function release(): void {
    const next = waiting.shift();
    // The slot passes straight to the next waiter, so `running` stays the same.
    if (next) next.start();
    else running -= 1;
  }

  async function withSlot<T>(work: () => Promise<T>): Promise<T> {
    await acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }

  const dummies = new Map<string, Promise<string>>();
  return {
    hash: (password) => withSlot(() => hasher.hash(password)),
    verify: (hash, password) => withSlot(() => hasher.verify(hash, password)),
    needsRehash: (hash) => hasher.needsRehash(hash),
    dummyHash(params) {
      // Made once per parameter set, in a slot like any hash; a failed attempt
      // (busy) is forgotten so the next call retries.
      const key = params ? paramsKey(params) : 'configured';
      let dummy = dummies.get(key);
      if (!dummy) {
        dummy = withSlot(() => hasher.dummyHash(params)).catch((error: unknown) => {
          dummies.delete(key);
          throw error;
        });
        dummies.set(key, dummy);
      }
      return dummy;
    },
  };
}
