import type { Clock } from '../clock';
import type { Argon2Params } from './hashing.config';
import type { Db } from '../db/database';
import type { Logger } from '../logger';
import { sampleUserPasswordHashes } from '../users/password-hash-sample.repository';
import { sameParams } from './argon2-phc';
import { chooseDummyParameters } from './dummy-parameters';
import type { PasswordHasher } from './password';

/** Hashes read per sample: enough to find a clear majority, each one index lookup. */
export const SAMPLE_SIZE = 64;
/** As often as the session purger runs: rehashing on login shifts the majority slowly. */
export const SAMPLE_MAX_AGE_MS = 15 * 60_000;

/** Which argon2 parameters the dummy hash for an unknown e-mail should have now. */
export interface StoredParameters {
  /**
   * The parameters most stored hashes use. The first call samples them; once
   * a sample is older than its maximum age, the next call starts a fresh one
   * and answers with the previous result meanwhile, so no login waits for it.
   */
  current(): Promise<Argon2Params>;
}

export function createStoredParameters(deps: {
  db: Db;
  configured: Argon2Params;
  clock: Clock;
  logger: Logger;
  maxAgeMs?: number;
}): StoredParameters {
  const maxAgeMs = deps.maxAgeMs ?? SAMPLE_MAX_AGE_MS;
  const sample = () => sampleUserPasswordHashes(deps.db, SAMPLE_SIZE);
  let chosen: Argon2Params | undefined;
  let sampledAt = 0;
  let sampling: Promise<Argon2Params> | undefined;

  function resample(): Promise<Argon2Params> {
    sampling ??= sample()
      .then(
        (hashes) => chooseDummyParameters(hashes, deps.configured),
        (error: unknown) => {
          deps.logger.warn({ err: error }, 'could not sample the stored password hashes');
          return chosen ?? deps.configured;
        },
      )
      .then((params) => {
        chosen = params;
        sampledAt = deps.clock.now().getTime();
        sampling = undefined;
        return params;
      });
    return sampling;
  }

  return {
    current() {
      if (!chosen) return resample();
      if (deps.clock.now().getTime() - sampledAt >= maxAgeMs) void resample();
      return Promise.resolve(chosen);
    },
  };
}

/**
 * `hasher`, whose dummy hash follows the parameters most stored hashes use.
 * When they change, the new dummy is made in the background (through
 * `hasher`, so in a hashing slot) and used once it is ready: no login pays
 * for making it, which would make that one answer twice as slow.
 */
export function followStoredParameters(
  hasher: PasswordHasher,
  stored: StoredParameters,
): PasswordHasher {
  let ready: Argon2Params | undefined;
  let preparing: Argon2Params | undefined;

  function prepare(params: Argon2Params): void {
    if (preparing && sameParams(preparing, params)) return;
    preparing = params;
    hasher.dummyHash(params).then(
      () => {
        ready = params;
        if (preparing === params) preparing = undefined;
      },
      // Busy: the next unknown e-mail tries again.
      () => {
        if (preparing === params) preparing = undefined;
      },
    );
  }

  return {
    hash: (password) => hasher.hash(password),
    verify: (hash, password) => hasher.verify(hash, password),
    needsRehash: (hash) => hasher.needsRehash(hash),
    async dummyHash(params) {
      if (params) return hasher.dummyHash(params);
      const wanted = await stored.current();
      if (!ready) {
        // The first one: there is no other dummy to answer with meanwhile.
        const dummy = await hasher.dummyHash(wanted);
        ready ??= wanted;
        return dummy;
      }
      if (!sameParams(wanted, ready)) prepare(wanted);
      return hasher.dummyHash(ready);
    },
  };
}
