import type { Db } from '../db/database';
import type { AuthEvent, AuthEventType, RequestOrigin } from './auth-event';

const MAX_USER_AGENT_LENGTH = 256;

/** Inserts one event row and returns its id. */
export async function recordAuthEvent(
  db: Db,
  event: { userId: number | null; type: AuthEventType; origin: RequestOrigin; now: Date },
): Promise<number> {
  const row = await db
    .insertInto('auth_events')
    .values({
      user_id: event.userId,
      type: event.type,
      ip: event.origin.ip,
      user_agent: event.origin.userAgent?.slice(0, MAX_USER_AGENT_LENGTH) ?? null,
      created_at: event.now.toISOString(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  // Postgres returns a bigint identity as a string.
  return Number(row.id);
}

/** Adds `by` to an aggregated row's count; false when the row is gone (purged). */
export async function addToEventCount(db: Db, id: number, by: number): Promise<boolean> {
  const result = await db
    .updateTable('auth_events')
    .set((eb) => ({ count: eb('count', '+', by) }))
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Deletes events older than `cutoff`, a batch at a time so that a large
 * backlog never holds the write lock for long. Returns how many went.
 */
export async function deleteEventsBefore(db: Db, cutoff: Date, batchSize = 5000): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await db
      .deleteFrom('auth_events')
      .where(
        'id',
        'in',
        db
          .selectFrom('auth_events')
          .select('id')
          .where('created_at', '<', cutoff.toISOString())
          .limit(batchSize),
      )
      .executeTakeFirst();
    const deleted = Number(result.numDeletedRows);
    total += deleted;
    if (deleted < batchSize) return total;
  }
}

export async function listRecentEvents(
  db: Db,
  userId: number,
  types: readonly AuthEventType[],
  limit: number,
): Promise<AuthEvent[]> {
  const rows = await db
    .selectFrom('auth_events')
    .select(['type', 'ip', 'user_agent', 'created_at', 'count'])
    .where('user_id', '=', userId)
    .where('type', 'in', types)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    type: row.type as AuthEventType,
    ip: row.ip,
    userAgent: row.user_agent,
    createdAt: new Date(row.created_at),
    count: Number(row.count),
  }));
}
