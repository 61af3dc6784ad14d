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
import type { LoginChallenges } from '../two-step/login-challenges';
import { LoginChallengeExpiredError, TwoStepRequiredError } from '../two-step/two-step.errors';
import type { TwoStepService } from '../two-step/two-step.service';
import { normalizeEmail, type User } from '../users/user';
import {
  findUserById,
  findUserWithHashByEmail,
  recordLogin,
  updatePasswordHash,
} from '../users/users.repository';
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
  /** Accounts with two-step sign-in need a code after the password. */
  twoStep: Pick<TwoStepService, 'isOn' | 'verifyCode'>;
  challenges: LoginChallenges;
}

export interface LoginRequest {
  email: string;
  password: string;
  kind: SessionKind;
  origin: RequestOrigin;
  /** The browser's device cookie, if it sent one (never for the API). */
  deviceToken?: string;
  /**
   * The two-step code sent with the password (the API's `otp`). Without it,
   * a browser login of a two-step account starts a challenge instead.
   */
  otp?: string;
}

export interface SecondStepRequest {
  /** The challenge cookie's value. */
  challengeToken: string | undefined;
  code: string;
  origin: RequestOrigin;
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
    const { user, upgradedHash } = checked;
    if (await deps.twoStep.isOn(user.id)) {
      if (request.otp === undefined) {
        // The password is proven: keep its upgraded hash even if no code follows.
        if (upgradedHash) await updatePasswordHash(db, user.id, upgradedHash, clock.now());
        const challenge =
          request.kind === 'browser' ? await deps.challenges.start(user.id) : undefined;
        throw new TwoStepRequiredError(challenge);
      }
      await deps.twoStep.verifyCode(user, request.otp, request.origin);
    }
    return finishLogIn(
      { ...checked, kind: request.kind, origin: request.origin },
      attempt.deviceId,
    );
  }

  /** Both factors are proven: record the login and start the session. */
  async function finishLogIn(
    login: {
      user: User;
      passwordHash: string;
      upgradedHash?: string;
      kind: SessionKind;
      origin: RequestOrigin;
    },
    deviceId: string | undefined,
  ): Promise<LoggedIn> {
    const { user, passwordHash, upgradedHash } = login;
    const issued = await db.transaction().execute(async (trx) => {
      await recordLogin(trx, user.id, clock.now(), upgradedHash);
      await record(user.id, 'login_succeeded', login.origin, trx);
      return deps.sessions.startNewSessionFor(user, login.kind, login.origin, trx);
    });
    const deviceToken = deps.deviceTrust.issue(user.email, upgradedHash ?? passwordHash, deviceId);
    return { user: { ...user, lastLoginAt: issued.issuedAt }, ...issued, deviceToken };
  }

  /**
   * The login form's second page: a live challenge from this browser and a
   * right code (or unused recovery code) finish the login. The challenge is
   * ended once, after the code was checked, so it cannot be finished twice.
   * Throws LoginChallengeExpiredError, InvalidTwoStepCodeError or TooManyAttemptsError.
   */
  async function completeSecondStep(request: SecondStepRequest): Promise<LoggedIn> {
    const userId = await deps.challenges.findUserId(request.challengeToken);
    const user = userId === undefined ? undefined : await findUserById(db, userId);
    if (!request.challengeToken || !user?.isActive) throw new LoginChallengeExpiredError();
    await deps.twoStep.verifyCode(user, request.code, request.origin);
    if (!(await deps.challenges.end(request.challengeToken)))
      throw new LoginChallengeExpiredError();
    const found = await findUserWithHashByEmail(db, user.email);
    if (!found) throw new LoginChallengeExpiredError();
    const deviceId = await findTrustedDeviceId(
      deps.deviceTrust,
      request.deviceToken,
      user.email,
      async () => found.passwordHash,
    );
    return finishLogIn(
      { user, passwordHash: found.passwordHash, kind: 'browser', origin: request.origin },
      deviceId,
    );
  }

  return { logIn, checkCredentials, completeSecondStep };
}
