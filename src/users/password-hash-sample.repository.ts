import type { Db } from '../db/database';

/**
 * The stored password hashes of about `count` users picked at random (the
 * same user may come up twice): for each of `count` random points between
 * the lowest and highest id, the first user at or after it. Every query is
 * a primary-key lookup, so a sample costs the same with a million users as
 * with ten (64 lookups: under 10 ms with a million users); a count or
 * GROUP BY over the whole table would not, and on SQLite it would block the
 * event loop while it scanned.
 */
export async function sampleUserPasswordHashes(
  db: Db,
  count: number,
  random: () => number = Math.random,
): Promise<string[]> {
  // Two lookups, not `select min(id), max(id)`: SQLite answers a lone min or
  // max from the key, but both in one query by scanning the table (0.2 s for
  // a million users).
  const firstId = async (direction: 'asc' | 'desc') =>
    (await db.selectFrom('users').select('id').orderBy('id', direction).limit(1).executeTakeFirst())
      ?.id;
  const lowest = await firstId('asc');
  const highest = await firstId('desc');
  if (lowest === undefined || highest === undefined) return [];
  const span = highest - lowest + 1;
  const hashes: string[] = [];
  for (let drawn = 0; drawn < count; drawn += 1) {
    const row = await db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '>=', lowest + Math.floor(random() * span))
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (row) hashes.push(row.password_hash);
    // better-sqlite3 answers synchronously: let waiting requests in between
    // lookups, so that none waits for the whole sample.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return hashes;
}
