import type { Argon2Params } from './hashing.config';

/** argon2 version 1.3, the only one argon2 has written since 2016. */
const ARGON2_VERSION = 19;

/**
 * The parameter field of a PHC string: `$argon2id$v=19$m=19456,t=2,p=1$salt$hash`.
 * In any order: argon2 0.45 itself writes `m=19456,p=1,t=2`.
 */
const PHC_PARAMETERS = /^\$argon2(?:id|i|d)\$(?:v=\d+\$)?([^$]+)\$/;

/**
 * The argon2 cost parameters a stored hash was made with, or undefined for
 * anything argon2 would refuse to hash with (so a damaged row cannot become
 * the dummy's parameters).
 */
export function parseArgon2Params(hash: string): Argon2Params | undefined {
  const field = PHC_PARAMETERS.exec(hash)?.[1];
  if (field === undefined) return undefined;
  const pairs = field.split(',');
  const read = (name: string) => {
    const text = pairs.find((pair) => pair.startsWith(`${name}=`))?.slice(name.length + 1);
    return text !== undefined && /^\d{1,10}$/.test(text) ? Number(text) : undefined;
  };
  const [memoryCost, timeCost, parallelism] = [read('m'), read('t'), read('p')];
  if (memoryCost === undefined || timeCost === undefined || parallelism === undefined) {
    return undefined;
  }
  const isValid =
    timeCost >= 1 &&
    timeCost <= 2 ** 32 - 1 &&
    parallelism >= 1 &&
    parallelism <= 2 ** 24 - 1 &&
    memoryCost >= 8 * parallelism &&
    memoryCost <= 2 ** 32 - 1;
  return isValid ? { memoryCost, timeCost, parallelism } : undefined;
}

export const sameParams = (a: Argon2Params, b: Argon2Params) =>
  a.memoryCost === b.memoryCost && a.timeCost === b.timeCost && a.parallelism === b.parallelism;

/**
 * True when `hash` is not an argon2id hash (version 1.3) made with exactly
 * `params`, so the password should be hashed again at the next login.
 * Unreadable → true.
 *
 * A string check, not argon2: the hashing worker answers this in the server's
 * own process without a round trip to the child. Stricter than
 * argon2.needsRehash in one way: an argon2i or argon2d hash is upgraded too,
 * since new hashes are argon2id.
 */
export function needsArgon2Rehash(hash: string, params: Argon2Params): boolean {
  if (!hash.startsWith(`$argon2id$v=${ARGON2_VERSION}$`)) return true;
  // Exactly m, t and p, once each: anything more is not what we would write.
  const keys = (PHC_PARAMETERS.exec(hash)?.[1] ?? '').split(',').map((pair) => pair.split('=')[0]);
  if (keys.length !== 3 || new Set(keys).size !== 3) return true;
  const found = parseArgon2Params(hash);
  return found === undefined || !sameParams(found, params);
}
