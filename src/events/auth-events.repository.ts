import type { Db } from '../db/database';
import type { AuthEvent, AuthEventType, RequestOrigin } from './auth-event';

const MAX_USER_AGENT_LENGTH = 256;

export async function recordAuthEvent(
  db: Db,
  event: { userId: number | null; type: AuthEventType; origin: RequestOrigin; now: Date },
): Promise<void> {
  await db
    .insertInto('auth_events')
    .values({
      user_id: event.userId,
      type: event.type,
      ip: event.origin.ip,
      user_agent: event.origin.userAgent?.slice(0, MAX_USER_AGENT_LENGTH) ?? null,
      created_at: event.now.toISOString(),
    })
    .execute();
}

export async function listRecentEvents(
  db: Db,
  userId: number,
  types: readonly AuthEventType[],
  limit: number,
): Promise<AuthEvent[]> {
  const rows = await db
    .selectFrom('auth_events')
    .select(['type', 'ip', 'user_agent', 'created_at'])
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
  }));
}
