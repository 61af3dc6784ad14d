import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock';
import type { Db } from '../db/database';
import type { AuditLog } from '../events/audit-log';
import type { RequestOrigin } from '../events/auth-event';
import type { User } from '../users/user';
import type {
  AuthenticatedSession,
  IssuedToken,
  ResumedSession,
  SessionKind,
  SessionListing,
} from './session';
import { createSessionTokens } from './session-token';
import {
  deleteSession,
  deleteUserSession,
  deleteUserSessions,
  extendSession,
  findLiveSession,
  insertSession,
  listUserSessions,
  markSessionAuthenticated,
} from './sessions.repository';

export interface SessionsDeps {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  /** The HS256 key of the session JWTs. */
  secret: string;
  /** A session unused for this long ends (the rolling expiry). */
  sessionMinutes: number;
  /** A rolling session never outlives its start by more than this. */
  sessionAbsoluteHours: number;
}

export type SessionsService = ReturnType<typeof createSessionsService>;

const MAX_USER_AGENT_LENGTH = 256;

/**
 * The life of a session: a `sessions` row named by a signed token. Starting
 * and resuming need the signing key and the lifetimes, so they come from this
 * factory; ending needs only the database (the admin CLI ends sessions with
 * no key), so those verbs are plain functions below.
 */
export function createSessionsService(deps: SessionsDeps) {
  const { db, clock } = deps;
  const tokens = createSessionTokens(deps.secret, clock);
  const lifetimeMs = deps.sessionMinutes * 60_000;
  const absoluteMs = deps.sessionAbsoluteHours * 3_600_000;

  const expiryFor = (createdAt: Date, now: Date) =>
    new Date(Math.min(now.getTime() + lifetimeMs, createdAt.getTime() + absoluteMs));

  /**
   * Starts a new session for a user whose identity is already proven, and
   * returns its token. `executor` may be a transaction, so the row commits
   * with whatever else the caller writes.
   */
  async function startNewSessionFor(
    user: User,
    kind: SessionKind,
    origin: RequestOrigin,
    executor: Db = db,
  ): Promise<IssuedToken> {
    const now = clock.now();
    const sessionId = randomBytes(16).toString('base64url');
    const expiresAt = expiryFor(now, now);
    await insertSession(executor, {
      id: sessionId,
      userId: user.id,
      kind,
      createdAt: now,
      expiresAt,
      userAgent: origin.userAgent?.slice(0, MAX_USER_AGENT_LENGTH) ?? null,
      ip: origin.ip,
    });
    return {
      token: tokens.sign({ userId: user.id, sessionId, expiresAt }),
      issuedAt: now,
      expiresAt,
    };
  }

  /**
   * Resolves a token to its live session and user, or null. The session must
   * be of the expected kind (a bearer token is no cookie, and vice versa). A
   * browser session idle for more than half its lifetime is rolled forward
   * (one row write per half-lifetime at most), never past the absolute cap.
   * This runs on every private request: one verify, one indexed query.
   */
  async function resumeSession(token: string, kind: SessionKind): Promise<ResumedSession | null> {
    const claims = tokens.verify(token);
    if (!claims) return null;
    const now = clock.now();
    const live = await findLiveSession(db, {
      sessionId: claims.sessionId,
      userId: claims.userId,
      now,
    });
    if (!live || live.session.kind !== kind) return null;
    const { session } = live;
    const isHalfSpent = now.getTime() - session.lastSeenAt.getTime() > lifetimeMs / 2;
    if (kind !== 'browser' || !isHalfSpent) return live;

    const expiresAt = expiryFor(session.createdAt, now);
    if (expiresAt.getTime() <= session.expiresAt.getTime()) return live;
    await extendSession(db, session.id, { expiresAt, lastSeenAt: now });
    return {
      user: live.user,
      session: { ...session, expiresAt, lastSeenAt: now },
      renewed: {
        token: tokens.sign({ userId: live.user.id, sessionId: session.id, expiresAt }),
        issuedAt: now,
        expiresAt,
      },
    };
  }

  /** Logs out: deletes the session row, so every copy of its token is dead. */
  async function terminateSession(current: AuthenticatedSession, origin: RequestOrigin) {
    await deleteSession(db, current.session.id);
    await deps.audit(current.user.id, 'logout', origin);
  }

  /**
   * The owner re-entered their password in this session: sensitive changes
   * are allowed again for a while (sudo mode). Returns the new time.
   */
  async function recordReauthentication(current: AuthenticatedSession): Promise<Date> {
    const now = clock.now();
    await markSessionAuthenticated(db, current.session.id, now);
    return now;
  }

  return { startNewSessionFor, resumeSession, terminateSession, recordReauthentication };
}

/** Ends one of the user's sessions; false if it was not theirs (or is gone). */
export function terminateSessionOf(db: Db, userId: number, sessionId: string): Promise<boolean> {
  return deleteUserSession(db, userId, sessionId);
}

/**
 * Ends every session of the user (a thief's included), except `except` when
 * given; returns how many. `db` may be the caller's transaction.
 */
export function terminateAllSessionsOf(
  db: Db,
  userId: number,
  options: { except?: string } = {},
): Promise<number> {
  return deleteUserSessions(db, userId, options.except);
}

/** The user's live sessions, most recently used first (the account page's list). */
export function listSessionsOf(db: Db, userId: number, now: Date): Promise<SessionListing[]> {
  return listUserSessions(db, userId, now);
}
