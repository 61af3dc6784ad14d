import type { Argon2Params } from './hashing.config';
import { parseArgon2Params, sameParams } from './argon2-phc';

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
