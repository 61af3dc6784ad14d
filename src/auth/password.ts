import { randomBytes } from 'node:crypto';
import argon2, { type HashOptions } from 'argon2';
import type { Argon2Params } from './hashing.config';

/** The only door to argon2: hashing, verifying and spotting outdated hashes. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password and for a hash argon2 cannot read. */
  verify(hash: string, password: string): Promise<boolean>;
  /** True when `hash` was made with other parameters than the configured ones. */
  needsRehash(hash: string): boolean;
  /**
   * A hash of a random password, so that logging in with an unknown e-mail
   * costs the same as a wrong password: made once per parameter set, with
   * `params` (those most stored hashes use) or else the configured ones.
   */
  dummyHash(params?: Argon2Params): Promise<string>;
}

/** One cache key per parameter set. */
export const paramsKey = (params: Argon2Params) =>
  `m=${params.memoryCost},t=${params.timeCost},p=${params.parallelism}`;

export function createPasswordHasher(params: Argon2Params): PasswordHasher {
  const options: HashOptions & { raw?: false } = { type: argon2.argon2id, ...params };
  const dummies = new Map<string, Promise<string>>();
  return {
    hash: (password) => argon2.hash(password, options),
    async verify(hash, password) {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    },
    needsRehash(hash) {
      try {
        return argon2.needsRehash(hash, params);
      } catch {
        return true;
      }
    },
    dummyHash(wanted = params) {
      const key = paramsKey(wanted);
      let dummy = dummies.get(key);
      if (!dummy) {
        dummy = argon2.hash(randomBytes(32).toString('base64'), { ...options, ...wanted });
        dummies.set(key, dummy);
      }
      return dummy;
    },
  };
}
