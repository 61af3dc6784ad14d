import type { Argon2Params } from '../config';

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
 * The parameters most of the sampled hashes use, which the dummy hash for an
 * unknown e-mail must share for its verification to cost what a wrong
 * password costs: after a cost change, stored hashes keep their old
 * parameters until their owner next logs in. A tie goes to the configured
 * parameters if they are among the most used, else to the costlier; no
 * readable hash at all (no users yet) means the configured parameters.
 */
export function chooseDummyParameters(
  hashes: readonly string[],
  configured: Argon2Params,
): Argon2Params {
  const counts = new Map<string, { params: Argon2Params; count: number }>();
  for (const hash of hashes) {
    const params = parseArgon2Params(hash);
    if (!params) continue;
    const key = `${params.memoryCost},${params.timeCost},${params.parallelism}`;
    const entry = counts.get(key) ?? { params, count: 0 };
    entry.count += 1;
    counts.set(key, entry);
  }
  let best: { params: Argon2Params; count: number } | undefined;
  for (const entry of counts.values()) {
    if (!best || entry.count > best.count) best = entry;
    else if (entry.count === best.count && isPreferred(entry.params, best.params, configured)) {
      best = entry;
    }
  }
  return best?.params ?? configured;
}

/** Between two equally common parameter sets: the configured one, else the costlier. */
function isPreferred(a: Argon2Params, b: Argon2Params, configured: Argon2Params): boolean {
  if (sameParams(a, configured)) return true;
  if (sameParams(b, configured)) return false;
  return a.memoryCost * a.timeCost > b.memoryCost * b.timeCost;
}
