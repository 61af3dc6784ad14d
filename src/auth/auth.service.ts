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
import type { IssuedToken, SessionKind } from '../sessions/session';
import type { SessionsService } from '../sessions/sessions.service';
import { normalizeEmail, type User } from '../users/user';
import { findUserWithHashByEmail, recordLogin } from '../users/users.repository';
import {
  AccountDisabledError,
  EmailUnconfirmedError,
  InvalidCredentialsError,
} from './auth.errors';
import type { PasswordHasher } from './password';

export interface AuthDeps {
  db: Db;
  hasher: PasswordHasher;
  sessions: SessionsService;
  clock: Clock;
  audit: AuditLog;
  throttle: LoginThrottle;
  deviceTrust: DeviceTrust;
  refusals: RefusalLog;
  /** CONFIRMATION=required: an account whose address was never confirmed cannot log in. */
  isConfirmationRequired: boolean;
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

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService(deps: AuthDeps) {
  const { db, hasher, clock } = deps;
  const withAttemptLock = createKeyedLock();
  const record = deps.audit;

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
    if (deps.isConfirmationRequired && !found.user.emailConfirmedAt) {
      throw new EmailUnconfirmedError(found.user.id);
    }
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
      if (
        error instanceof InvalidCredentialsError ||
        error instanceof AccountDisabledError ||
        error instanceof EmailUnconfirmedError
      ) {
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
      return deps.sessions.startNewSessionFor(user, request.kind, request.origin, trx);
    });
    const deviceToken = deps.deviceTrust.issue(
      attempt.email,
      upgradedHash ?? passwordHash,
      attempt.deviceId,
    );
    return { user: { ...user, lastLoginAt: issued.issuedAt }, ...issued, deviceToken };
  }

  return { logIn, checkCredentials };
}
