import type { ActionThrottle } from '../abuse/action-throttle';
import { clientKeyForIp } from '../abuse/client-key';
import { findTrustedDeviceId, type DeviceTrust } from '../abuse/device-trust';
import type { ResetMailAllowance } from '../abuse/reset-mail-allowance';
import type { AccountServiceDeps } from '../accounts/accounts.service';
import { replacePassword } from '../accounts/replace-password';
import type { BackgroundTasks } from '../background-tasks';
import { HttpError } from '../errors';
import type { RequestOrigin } from '../events/auth-event';
import type { IssuedToken } from '../sessions/session';
import { normalizeEmail, type User } from '../users/user';
import { voidConfirmations } from '../confirmation/email-confirmations.repository';
import {
  findUserWithHashByEmail,
  markEmailConfirmed,
  recordLogin,
} from '../users/users.repository';
import {
  consumePasswordReset,
  findUserByUsableReset,
  insertPasswordReset,
} from './password-resets.repository';
import { createResetToken, hashResetToken, isWellFormedResetToken } from './reset-token';

/** Unknown, malformed, expired, used or voided: the person gets one answer for all. */
export class InvalidResetLinkError extends HttpError {
  constructor() {
    super(400, 'invalid_reset_link', 'This password reset link is not valid any more.');
  }
}

export interface PasswordResetDeps extends AccountServiceDeps {
  background: BackgroundTasks;
  tokenMinutes: number;
  perIpThrottle: ActionThrottle;
  perEmailThrottle: ActionThrottle;
  /** Requests from the owner's own browser count here instead of per IP and per address. */
  perDeviceThrottle: ActionThrottle;
  mailAllowance: ResetMailAllowance;
  deviceTrust: DeviceTrust;
}

export function createPasswordResetService(deps: PasswordResetDeps) {
  const { db, clock, accountMail } = deps;
  const record = deps.audit;

  async function sendResetLink(
    email: string,
    origin: RequestOrigin,
    isOwnerDevice: boolean,
  ): Promise<void> {
    const found = await findUserWithHashByEmail(db, email);
    // A disabled account gets no link: a reset must not be a way back in.
    if (!found?.user.isActive) return;
    // Past the address's hourly allowance nothing is sent, and the answer
    // (already given) was the same: the limit tells nobody the address exists.
    if (!(await deps.mailAllowance.take(email, isOwnerDevice))) return;
    const token = createResetToken();
    const now = clock.now();
    await insertPasswordReset(db, {
      userId: found.user.id,
      tokenHash: hashResetToken(token),
      now,
      expiresAt: new Date(now.getTime() + deps.tokenMinutes * 60_000),
    });
    await record(found.user.id, 'password_reset_requested', origin);
    await accountMail.sendPasswordReset(found.user, token, deps.tokenMinutes);
  }

  /**
   * "Forgot password": counts the attempt (per IP first, then per address;
   * or on the device's own budget for the owner's browser), then does
   * everything else after the answer. Whether the account exists changes
   * neither the answer nor its timing: the lookup, the row and the mail all
   * happen in the background.
   */
  async function requestReset(
    email: string,
    origin: RequestOrigin,
    deviceToken?: string,
  ): Promise<void> {
    const address = normalizeEmail(email);
    const deviceId = await findTrustedDeviceId(
      deps.deviceTrust,
      deviceToken,
      address,
      async (candidate) => (await findUserWithHashByEmail(db, candidate))?.passwordHash,
    );
    if (deviceId) {
      await deps.perDeviceThrottle.consume(deviceId);
    } else {
      await deps.perIpThrottle.consume(clientKeyForIp(origin.ip));
      await deps.perEmailThrottle.consume(address);
    }
    const isOwnerDevice = deviceId !== undefined;
    deps.background.run('password reset request', () =>
      sendResetLink(address, origin, isOwnerDevice),
    );
  }

  /** The active user a link resets, or null for any link that cannot be used. */
  async function findUserForLink(token: string): Promise<User | null> {
    if (!isWellFormedResetToken(token)) return null;
    const user = await findUserByUsableReset(db, hashResetToken(token), clock.now());
    return user?.isActive ? user : null;
  }

  /**
   * Sets the new password (already checked against the policy), ends every
   * session, uses up the link and starts a fresh session, in one transaction.
   */
  async function resetPassword(
    token: string,
    newPassword: string,
    origin: RequestOrigin,
  ): Promise<{ user: User } & IssuedToken> {
    const user = await findUserForLink(token);
    if (!user) throw new InvalidResetLinkError();
    const newHash = await deps.hasher.hash(newPassword);
    const issued = await db.transaction().execute(async (trx) => {
      const now = clock.now();
      // Conditional: of two submissions of one link, only the first gets here.
      const consumedBy = await consumePasswordReset(trx, hashResetToken(token), now);
      if (consumedBy !== user.id) throw new InvalidResetLinkError();
      await replacePassword(trx, user.id, newHash, now);
      // The link reached the mailbox: that proves the address, as a confirmation link does.
      await markEmailConfirmed(trx, user.id, now, { passwordHash: null, fullName: null });
      await voidConfirmations(trx, user.id, now, 'signup');
      await recordLogin(trx, user.id, now);
      await record(user.id, 'password_reset', origin, trx);
      return deps.sessions.startNewSessionFor(user, 'browser', origin, trx);
    });
    accountMail.passwordChanged(user, origin);
    return { user: { ...user, lastLoginAt: issued.issuedAt }, ...issued };
  }

  return { requestReset, findUserForLink, resetPassword };
}

export type PasswordResetService = ReturnType<typeof createPasswordResetService>;
