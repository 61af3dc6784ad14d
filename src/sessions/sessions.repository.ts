import { CompiledQuery, type InferResult } from 'kysely';
import type { Db } from '../db/database';
import { toUser, USER_COLUMNS } from '../users/users.repository';
import type { AuthenticatedSession, SessionKind, SessionListing } from './session';

export async function insertSession(
  db: Db,
  session: {
    id: string;
    userId: number;
    kind: SessionKind;
    createdAt: Date;
    expiresAt: Date;
    userAgent: string | null;
    ip: string | null;
  },
): Promise<void> {
  const created = session.createdAt.toISOString();
  await db
    .insertInto('sessions')
    .values({
      id: session.id,
      user_id: session.userId,
      kind: session.kind,
      created_at: created,
      last_seen_at: created,
      authenticated_at: created,
      expires_at: session.expiresAt.toISOString(),
      user_agent: session.userAgent,
      ip: session.ip,
    })
    .execute();
}

/**
 * The per-request check, in one query on the sessions primary key: the row
 * exists, belongs to the token's user, has not expired, and the user is
 * active. It joins `users` (owned by the users feature) because a second query
 * per request would double the cost of every private page.
 */
function buildLiveSessionQuery(db: Db, lookup: { sessionId: string; userId: number; now: string }) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id as session_id',
      'sessions.kind',
      'sessions.created_at as session_created_at',
      'sessions.expires_at',
      'sessions.last_seen_at',
      'sessions.authenticated_at',
      ...USER_COLUMNS,
    ])
    .where('sessions.id', '=', lookup.sessionId)
    .where('sessions.user_id', '=', lookup.userId)
    .where('sessions.expires_at', '>', lookup.now)
    .where('users.is_active', '=', 1);
}

type LiveSessionRow = InferResult<ReturnType<typeof buildLiveSessionQuery>>[number];

// This query runs on every private request: it is built and compiled once per
// database (with marker values), then only its parameters change.
const SESSION_MARK = '\u0000session';
const USER_MARK = -1;
const NOW_MARK = '\u0000now';
const compiledLookups = new WeakMap<Db, CompiledQuery>();

export async function findLiveSession(
  db: Db,
  lookup: { sessionId: string; userId: number; now: Date },
): Promise<AuthenticatedSession | undefined> {
  let compiled = compiledLookups.get(db);
  if (!compiled) {
    compiled = buildLiveSessionQuery(db, {
      sessionId: SESSION_MARK,
      userId: USER_MARK,
      now: NOW_MARK,
    }).compile();
    compiledLookups.set(db, compiled);
  }
  const now = lookup.now.toISOString();
  const parameters = compiled.parameters.map((value) =>
    value === SESSION_MARK
      ? lookup.sessionId
      : value === USER_MARK
        ? lookup.userId
        : value === NOW_MARK
          ? now
          : value,
  );
  const { rows } = await db.executeQuery<LiveSessionRow>(
    CompiledQuery.raw(compiled.sql, parameters),
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    user: toUser(row),
    session: {
      id: row.session_id,
      userId: row.id,
      kind: row.kind === 'api' ? 'api' : 'browser',
      createdAt: new Date(row.session_created_at),
      expiresAt: new Date(row.expires_at),
      lastSeenAt: new Date(row.last_seen_at),
      authenticatedAt: new Date(row.authenticated_at ?? row.session_created_at),
    },
  };
}

export async function extendSession(
  db: Db,
  sessionId: string,
  update: { expiresAt: Date; lastSeenAt: Date },
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({
      expires_at: update.expiresAt.toISOString(),
      last_seen_at: update.lastSeenAt.toISOString(),
    })
    .where('id', '=', sessionId)
    .execute();
}

/** The owner proved who they are again (re-authentication). */
export async function markSessionAuthenticated(db: Db, sessionId: string, at: Date): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ authenticated_at: at.toISOString() })
    .where('id', '=', sessionId)
    .execute();
}

export async function deleteSession(db: Db, sessionId: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
}

/** Deletes one of the user's sessions; returns false if it was not theirs (or gone). */
export async function deleteUserSession(
  db: Db,
  userId: number,
  sessionId: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('sessions')
    .where('id', '=', sessionId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Deletes every session of the user, except `keepSessionId` when given. */
export async function deleteUserSessions(
  db: Db,
  userId: number,
  keepSessionId?: string,
): Promise<number> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (keepSessionId !== undefined) query = query.where('id', '!=', keepSessionId);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The user's live sessions, most recently used first. */
export async function listUserSessions(
  db: Db,
  userId: number,
  now: Date,
): Promise<SessionListing[]> {
  const rows = await db
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('expires_at', '>', now.toISOString())
    .orderBy('last_seen_at', 'desc')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    userId: row.user_id,
    kind: row.kind === 'api' ? 'api' : 'browser',
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    lastSeenAt: new Date(row.last_seen_at),
    authenticatedAt: new Date(row.authenticated_at ?? row.created_at),
    userAgent: row.user_agent,
    ip: row.ip,
  }));
}

/** Removes rows whose expiry has passed; returns how many. */
export async function deleteExpiredSessions(db: Db, now: Date): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where('expires_at', '<=', now.toISOString())
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
