import { sql } from 'kysely';
import type { Database, DatabaseHandle } from './database';
import { migrateToLatest } from './migrate';

/** Parents before children, so foreign keys hold at every insert. */
const TABLES = [
  'users',
  'sessions',
  'auth_events',
  'password_resets',
  'email_confirmations',
] as const satisfies readonly (keyof Database)[];
const TABLES_WITH_IDENTITY = [
  'users',
  'auth_events',
  'password_resets',
  'email_confirmations',
] as const;
/** Rows per INSERT: well under SQLite's and Postgres's bound-parameter limits. */
const BATCH_SIZE = 200;

export class TargetNotEmptyError extends Error {}

/**
 * Copies every Gatehouse table from one database to another (in practice the
 * SQLite file to a new Postgres database), keeping ids, so that existing
 * sessions (cookies, API tokens) keep working after the move. The target is
 * migrated first and must hold no users; the copy is one transaction, so a
 * failure leaves the target as it was. Returns the rows copied per table.
 */
export async function copyDatabase(
  source: DatabaseHandle,
  target: DatabaseHandle,
): Promise<Record<(typeof TABLES)[number], number>> {
  await migrateToLatest(source);
  await migrateToLatest(target);
  const existing = await target.db.selectFrom('users').select('id').limit(1).execute();
  if (existing.length > 0) {
    throw new TargetNotEmptyError(
      'the target database already has users: copy only into an empty one',
    );
  }
  const counts = {
    users: 0,
    sessions: 0,
    auth_events: 0,
    password_resets: 0,
    email_confirmations: 0,
  };
  await target.db.transaction().execute(async (trx) => {
    for (const table of TABLES) {
      let offset = 0;
      for (;;) {
        const rows = await source.db
          .selectFrom(table)
          .selectAll()
          .orderBy('id')
          .limit(BATCH_SIZE)
          .offset(offset)
          .execute();
        if (rows.length === 0) break;
        await trx
          .insertInto(table)
          .values(rows as never)
          .execute();
        counts[table] += rows.length;
        offset += rows.length;
      }
    }
    if (target.dialect === 'postgres') {
      // Rows came with their ids: move each identity past them, or the next
      // sign-up would be given id 1 and collide.
      for (const table of TABLES_WITH_IDENTITY) {
        await sql`select setval(pg_get_serial_sequence(${table}, 'id'), coalesce((select max(id) from ${sql.table(table)}), 0) + 1, false)`.execute(
          trx,
        );
      }
    }
  });
  return counts;
}
