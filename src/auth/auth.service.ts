import { randomBytes } from 'node:crypto';
import { clientKeyForIp } from '../abuse/client-key';
import { findTrustedDeviceId, type DeviceTrust } from '../abuse/device-trust';
import { createKeyedLock } from '../abuse/keyed-lock';
import type { LoginAttempt, LoginThrottle } from '../abuse/login-throttle';
import { TooManyAttemptsError } from '../abuse/rate-limit';
import type { Clock } from '../clock';
import type { Db } from '../db/database';
import type { AuditLog } from '../events/audit-log';
import type { RequestOrigin } from '../events/auth-event';
import type { RefusalLog } from '../events/refusal-log';
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
import type { SessionTokens } from '../sessions/session-token';

export interface AuthDeps {
  db: Db;
  hasher: PasswordHasher;
  tokens: SessionTokens;
  clock: Clock;
  audit: AuditLog;
  sessionMinutes: number;
  sessionAbsoluteHours: number;
  throttle: LoginThrottle;
  deviceTrust: DeviceTrust;
  refusals: RefusalLog;
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
  origin: RequestOrigin;
  /** The browser's device cookie, if it sent one (never for the API). */
  deviceToken?: string;
}

export interface LoggedIn extends IssuedToken {
  user: User;
  /** A browser's new device cookie: this account, this password. */
  deviceToken: string;
}

export interface Authentication extends AuthenticatedSession {
  /** Set when the session was rolled forward and the client needs a new token. */
  renewed?: IssuedToken;
}

export type AuthService = ReturnType<typeof createAuthService>;

const MAX_USER_AGENT_LENGTH = 256;

export function createAuthService(deps: AuthDeps) {
  const { db, hasher, tokens, clock } = deps;
  const withAttemptLock = createKeyedLock();
  const lifetimeMs = deps.sessionMinutes * 60_000;
  const absoluteMs = deps.sessionAbsoluteHours * 3_600_000;

  const record = deps.audit;

  const expiryFor = (createdAt: Date, now: Date) =>
    new Date(Math.min(now.getTime() + lifetimeMs, createdAt.getTime() + absoluteMs));

  /**
   * Starts a new session for a user whose identity is already proven, and
   * returns its token. `db` may be a transaction, so the row commits with
   * whatever else the caller writes.
   */
  async function startSessionFor(
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
   * Checks the credentials. An unknown e-mail still runs one argon2
   * verification (against a dummy hash) so that timing does not tell which
   * addresses have accounts. Returns the user and, when the stored hash used
   * outdated parameters, a fresh hash to store.
   */
  async function checkCredentials(
    email: string,
    password: string,
  ): Promise<{ user: User; passwordHash: string; upgradedHash?: string }> {
    const found = await findUserWithHashByEmail(db, normalizeEmail(email));
    const hash = found?.passwordHash ?? (await hasher.dummyHash());
    const isMatch = await hasher.verify(hash, password);
    if (!found || !isMatch) throw new InvalidCredentialsError(found?.user.id ?? null);
    if (!found.user.isActive) throw new AccountDisabledError(found.user.id);
    const checked = { user: found.user, passwordHash: found.passwordHash };
    if (!hasher.needsRehash(hash)) return checked;
    return { ...checked, upgradedHash: await hasher.hash(password) };
  }

  /**
   * Logs in with e-mail and password: the login form and the /token endpoint.
   * While a throttle counter is exhausted the password is not even checked.
   */
  async function logIn(request: LoginRequest): Promise<LoggedIn> {
    const email = normalizeEmail(request.email);
    const ipKey = clientKeyForIp(request.origin.ip);
    // Attempts for one (e-mail, IP) take turns, so a burst of concurrent
    // guesses meets the counter one by one, and concurrent good logins (a
    // reloading client, a benchmark) are not counted against each other.
    return withAttemptLock(`${email}|${ipKey}`, async () => {
      const deviceId = await findTrustedDeviceId(
        deps.deviceTrust,
        request.deviceToken,
        email,
        async (address) => (await findUserWithHashByEmail(db, address))?.passwordHash,
      );
      return attemptLogIn(request, { email, ipKey, ...(deviceId ? { deviceId } : {}) });
    });
  }

  async function attemptLogIn(request: LoginRequest, attempt: LoginAttempt): Promise<LoggedIn> {
    try {
      await deps.throttle.beginAttempt(attempt);
    } catch (error) {
      if (error instanceof TooManyAttemptsError) {
        // A client over its own per-IP limit is recorded as such: looking up
        // every e-mail it names would make a flood cost one query per request.
        const target = error.isClientLimit
          ? undefined
          : await findUserWithHashByEmail(db, attempt.email);
        await deps.refusals(target?.user.id ?? null, 'login_throttled', request.origin);
      }
      throw error;
    }
    let checked: Awaited<ReturnType<typeof checkCredentials>>;
    try {
      checked = await checkCredentials(attempt.email, request.password);
    } catch (error) {
      if (error instanceof InvalidCredentialsError || error instanceof AccountDisabledError) {
        await record(error.userId, 'login_failed', request.origin);
      } else {
        // No verdict on the password (e.g. the hashing queue was full): not a failed guess.
        await deps.throttle.cancelAttempt(attempt);
      }
      throw error;
    }
    await deps.throttle.recordSuccess(attempt);
    const { user, passwordHash, upgradedHash } = checked;
    const issued = await db.transaction().execute(async (trx) => {
      await recordLogin(trx, user.id, clock.now(), upgradedHash);
      await record(user.id, 'login_succeeded', request.origin, trx);
      return startSessionFor(user, request.kind, request.origin, trx);
    });
    const deviceToken = deps.deviceTrust.issue(
      attempt.email,
      upgradedHash ?? passwordHash,
      attempt.deviceId,
    );
    return { user: { ...user, lastLoginAt: issued.issuedAt }, ...issued, deviceToken };
  }

  /**
   * Resolves a token to its live session and user, or null. The session must
   * be of the expected kind (a bearer token is no cookie, and vice versa). A
   * browser session idle for more than half its lifetime is rolled forward
   * (one row write per half-lifetime at most), never past the absolute cap.
   */
  async function authenticate(token: string, kind: SessionKind): Promise<Authentication | null> {
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
  async function endSession(authenticated: AuthenticatedSession, origin: RequestOrigin) {
    await deleteSession(db, authenticated.session.id);
    await record(authenticated.user.id, 'logout', origin);
  }

  return { logIn, checkCredentials, startSessionFor, authenticate, endSession };
}
