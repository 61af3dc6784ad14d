import { clientKeyForIp } from '../abuse/client-key';
import type { ActionThrottle } from '../abuse/action-throttle';
import type { AuthService } from '../auth/auth.service';
import type { PasswordHasher } from '../auth/password';
import type { Clock } from '../clock';
import type { Db } from '../db/database';
import { SIGN_IN_EVENT_TYPES, type AuthEvent, type RequestOrigin } from '../events/auth-event';
import type { AuditLog } from '../events/audit-log';
import { listRecentEvents } from '../events/auth-events.repository';
import type { AccountMail } from '../mail/account-mail';
import type { AuthenticatedSession, IssuedToken, SessionListing } from '../sessions/session';
import {
  listSessionsOf,
  terminateAllSessionsOf,
  terminateSessionOf,
  type SessionsService,
} from '../sessions/sessions.service';
import type { User } from '../users/user';
import { recordLogin } from '../users/users.repository';
import { insertNewUser } from '../users/users.service';
import { replacePassword } from './replace-password';

/** What every service that changes an account needs (this one and password reset). */
export interface AccountServiceDeps {
  db: Db;
  hasher: PasswordHasher;
  clock: Clock;
  sessions: SessionsService;
  accountMail: AccountMail;
  audit: AuditLog;
}

export interface AccountsDeps extends AccountServiceDeps {
  /** Changing the password checks the current one first. */
  auth: AuthService;
  signupThrottle: ActionThrottle;
  passwordChangeThrottle: ActionThrottle;
}

export type AccountsService = ReturnType<typeof createAccountsService>;

const RECENT_ACTIVITY_LIMIT = 10;

export function createAccountsService(deps: AccountsDeps) {
  const { db, hasher, clock, auth, accountMail } = deps;

  const record = deps.audit;

  /** Creates the account and logs it in; EmailTakenError when the e-mail is registered. */
  async function signUp(
    input: { email: string; fullName: string; password: string },
    origin: RequestOrigin,
  ): Promise<{ user: User } & IssuedToken> {
    await deps.signupThrottle.consume(clientKeyForIp(origin.ip));
    // Hashed before the transaction, which on SQLite holds the only connection.
    const passwordHash = await hasher.hash(input.password);
    // One transaction: a sign-up the database cannot finish (disk full,
    // read-only, connection lost, process killed) leaves no user behind
    // without its session and event.
    const { user, issued } = await db.transaction().execute(async (trx) => {
      const now = clock.now();
      // CONFIRMATION=off: nobody proved the address, so it stays unconfirmed (a later switch to
      // required asks for the link).
      const user = await insertNewUser(trx, input, passwordHash, now, false);
      // Signing up logs the person in: it counts as their first login.
      await recordLogin(trx, user.id, now);
      await record(user.id, 'signed_up', origin, trx);
      return { user, issued: await deps.sessions.startNewSessionFor(user, 'browser', origin, trx) };
    });
    accountMail.signedUp(user, origin);
    return { user: { ...user, lastLoginAt: issued.issuedAt }, ...issued };
  }

  /**
   * Changes the password after checking the current one. Every session of the
   * user ends (a thief's included); this browser gets a fresh one.
   */
  async function changePassword(
    current: AuthenticatedSession,
    input: { currentPassword: string; newPassword: string },
    origin: RequestOrigin,
  ): Promise<IssuedToken> {
    await deps.passwordChangeThrottle.consume(String(current.user.id));
    const { user } = await auth.checkCredentials(current.user.email, input.currentPassword);
    const newHash = await hasher.hash(input.newPassword);
    const issued = await db.transaction().execute(async (trx) => {
      await replacePassword(trx, user.id, newHash, clock.now());
      await record(user.id, 'password_changed', origin, trx);
      return deps.sessions.startNewSessionFor(user, 'browser', origin, trx);
    });
    accountMail.passwordChanged(user, origin);
    return issued;
  }

  async function revokeSession(
    current: AuthenticatedSession,
    sessionId: string,
    origin: RequestOrigin,
  ) {
    const isRevoked = await terminateSessionOf(db, current.user.id, sessionId);
    if (isRevoked) await record(current.user.id, 'sessions_revoked', origin);
    return isRevoked;
  }

  /** "Log out everywhere else" (keeps the current session) or "everywhere". */
  async function revokeSessions(
    current: AuthenticatedSession,
    scope: 'others' | 'all',
    origin: RequestOrigin,
  ): Promise<number> {
    const keep = scope === 'others' ? current.session.id : undefined;
    const count = await terminateAllSessionsOf(db, current.user.id, { except: keep });
    await record(current.user.id, 'sessions_revoked', origin);
    accountMail.sessionsRevoked(current.user, origin, scope);
    return count;
  }

  async function describeAccount(userId: number): Promise<{
    sessions: SessionListing[];
    recentActivity: AuthEvent[];
  }> {
    const [sessions, recentActivity] = await Promise.all([
      listSessionsOf(db, userId, clock.now()),
      listRecentEvents(db, userId, SIGN_IN_EVENT_TYPES, RECENT_ACTIVITY_LIMIT),
    ]);
    return { sessions, recentActivity };
  }

  return { signUp, changePassword, revokeSession, revokeSessions, describeAccount };
}
