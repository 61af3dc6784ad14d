import type { Argon2Params } from '../config';

/** argon2 version 1.3, the only one argon2 has written since 2016. */
const ARGON2_VERSION = 19;

// $argon2id$v=19$m=19456,p=1,t=2$<salt>$<hash>: argon2 0.45 writes m, p, t in
// that order, the PHC format allows any.
const PHC_ARGON2ID =
  /^\$argon2id\$v=(\d+)\$([a-z]=\d+(?:,[a-z]=\d+)*)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/** m, t and p of a parameter list such as `m=19456,p=1,t=2`; undefined if any is missing or repeated, or another is present. */
function readParams(list: string): Argon2Params | undefined {
  const pairs = list.split(',').map((pair) => pair.split('='));
  const values = new Map(pairs.map(([key, value]) => [key, Number(value)]));
  const [memoryCost, timeCost, parallelism] = ['m', 't', 'p'].map((key) => values.get(key));
  if (pairs.length !== 3 || values.size !== 3) return undefined;
  if (memoryCost === undefined || timeCost === undefined || parallelism === undefined) {
    return undefined;
  }
  return { memoryCost, timeCost, parallelism };
}

/**
 * True when `hash` is not an argon2id hash made with exactly `params`, so the
 * password should be hashed again at the next login. Unreadable → true.
 *
 * A string check, not argon2: the hashing worker answers this in the server's
 * own process without a round trip to the child. Stricter than
 * argon2.needsRehash in one way: an argon2i or argon2d hash is upgraded too,
 * since new hashes are argon2id.
 */
export function needsArgon2Rehash(hash: string, params: Argon2Params): boolean {
  const match = PHC_ARGON2ID.exec(hash);
  const found = match?.[2] === undefined ? undefined : readParams(match[2]);
  if (!found || Number(match?.[1]) !== ARGON2_VERSION) return true;
  return (
    found.memoryCost !== params.memoryCost ||
    found.timeCost !== params.timeCost ||
    found.parallelism !== params.parallelism
  );
}
