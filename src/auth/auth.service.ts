import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock';
import type { Db } from '../db/database';
import type { AuthenticatedSession, SessionKind } from '../sessions/session';
import {
  deleteSession,
  extendSession,
  findLiveSession,
  insertSession,
} from '../sessions/sessions.repository';
import { normalizeEmail, type User } from '../users/user';
import { findUserWithHashByEmail, recordLogin } from '../users/users.repository';
import { AccountDisabledError, InvalidCredentialsError } from './auth.errors';
import type { PasswordHasher } from './password';
import type { SessionTokens } from './session-token';

export interface AuthDeps {
  db: Db;
  hasher: PasswordHasher;
  tokens: SessionTokens;
  clock: Clock;
  sessionMinutes: number;
  sessionAbsoluteHours: number;
}

export interface IssuedToken {
  token: string;
  issuedAt: Date;
  expiresAt: Date;
}

export interface LoginRequest {
  email: string;
  password: string;
  kind: SessionKind;
  userAgent: string | null;
  ip: string | null;
}

export interface Authentication extends AuthenticatedSession {
  /** Set when the session was rolled forward and the client needs a new token. */
  renewed?: IssuedToken;
}

export type AuthService = ReturnType<typeof createAuthService>;

const MAX_USER_AGENT_LENGTH = 256;

export function createAuthService(deps: AuthDeps) {
  const { db, hasher, tokens, clock } = deps;
  const lifetimeMs = deps.sessionMinutes * 60_000;
  const absoluteMs = deps.sessionAbsoluteHours * 3_600_000;

  const expiryFor = (createdAt: Date, now: Date) =>
    new Date(Math.min(now.getTime() + lifetimeMs, createdAt.getTime() + absoluteMs));

  /**
   * Checks the credentials and starts a session. An unknown e-mail still runs
   * one argon2 verification (against a dummy hash) so that timing does not tell
   * which addresses have accounts.
   */
  async function startSession(request: LoginRequest): Promise<{ user: User } & IssuedToken> {
    const found = await findUserWithHashByEmail(db, normalizeEmail(request.email));
    const hash = found?.passwordHash ?? (await hasher.dummyHash());
    const isMatch = await hasher.verify(hash, request.password);
    if (!found || !isMatch) throw new InvalidCredentialsError();
    if (!found.user.isActive) throw new AccountDisabledError();

    const upgradedHash = hasher.needsRehash(hash) ? await hasher.hash(request.password) : undefined;
    const now = clock.now();
    const sessionId = randomBytes(16).toString('base64url');
    const expiresAt = expiryFor(now, now);
    await db.transaction().execute(async (trx) => {
      await recordLogin(trx, found.user.id, now, upgradedHash);
      await insertSession(trx, {
        id: sessionId,
        userId: found.user.id,
        kind: request.kind,
        createdAt: now,
        expiresAt,
        userAgent: request.userAgent?.slice(0, MAX_USER_AGENT_LENGTH) ?? null,
        ip: request.ip,
      });
    });
    const token = tokens.sign({ userId: found.user.id, sessionId, expiresAt });
    return { user: { ...found.user, lastLoginAt: now }, token, issuedAt: now, expiresAt };
  }

  /**
   * Resolves a token to its live session and user, or null. A browser session
   * idle for more than half its lifetime is rolled forward (one row write per
   * half-lifetime at most), never past the absolute cap from its login.
   */
  async function authenticate(token: string): Promise<Authentication | null> {
    const claims = tokens.verify(token);
    if (!claims) return null;
    const now = clock.now();
    const live = await findLiveSession(db, {
      sessionId: claims.sessionId,
      userId: claims.userId,
      now,
    });
    if (!live) return null;
    const { session } = live;
    const isHalfSpent = now.getTime() - session.lastSeenAt.getTime() > lifetimeMs / 2;
    if (session.kind !== 'browser' || !isHalfSpent) return live;

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

  async function endSession(sessionId: string): Promise<void> {
    await deleteSession(db, sessionId);
  }

  return { startSession, authenticate, endSession };
}
