import type { ActionThrottle } from '../abuse/action-throttle';
import type { Clock } from '../clock';
import type { Db } from '../db/database';
import type { AuditLog } from '../events/audit-log';
import type { RequestOrigin } from '../events/auth-event';
import type { AccountMail } from '../mail/account-mail';
import type { User } from '../users/user';
import { generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode } from './recovery-codes';
import type { SecretBox } from './secret-box';
import {
  claimTotpStep,
  consumeRecoveryCode,
  countRecoveryCodes,
  deleteTwoStep,
  enableCredential,
  findCredential,
  replaceRecoveryCodes,
  savePendingCredential,
} from './two-step.repository';
import { InvalidTwoStepCodeError, TwoStepStateError } from './two-step.errors';
import {
  generateTotpSecret,
  groupSecret,
  matchTotpStep,
  TOTP_CODE_PATTERN,
  totpQrDataUri,
  totpUri,
} from './totp';

/** Longest code field read: a recovery code with spaces, with room to spare. */
export const MAX_CODE_LENGTH = 64;

export interface TwoStepStatus {
  isOn: boolean;
  recoveryCodes: { used: number; left: number };
}

export interface PendingSetup {
  secret: string;
  groupedSecret: string;
  qrDataUri: string;
}

export type TwoStepService = ReturnType<typeof createTwoStepService>;

/** Two-step sign-in (TOTP, RFC 6238) and its recovery codes, for one user at a time. */
export function createTwoStepService(deps: {
  db: Db;
  clock: Clock;
  box: SecretBox;
  audit: AuditLog;
  accountMail: AccountMail;
  /** Codes tried per account: 5 wrong ones per 15 minutes by default. */
  throttle: ActionThrottle;
}) {
  const { db, clock, box } = deps;
  const sealContext = (userId: number) => `two-step secret of user ${userId}`;

  /**
   * Runs one code check on the account's budget. Every attempt is counted
   * before it runs (so concurrent guesses cannot overtake the counter); a
   * right code gives its point back, so only wrong codes use the budget up.
   */
  async function withCodeBudget<T>(userId: number, check: () => Promise<T>): Promise<T> {
    const key = String(userId);
    await deps.throttle.consume(key);
    const result = await check();
    await deps.throttle.refund(key);
    return result;
  }

  async function matchEnabledTotp(userId: number, code: string): Promise<boolean> {
    const credential = await findCredential(db, userId);
    if (!credential?.isEnabled) return false;
    const secret = box.open(credential.secretSealed, sealContext(userId));
    const step = matchTotpStep(secret, code, clock.now());
    return step !== null && (await claimTotpStep(db, userId, step));
  }

  /**
   * Checks an authenticator code or a recovery code of a user with two-step
   * on, and uses it up. Throws InvalidTwoStepCodeError (recorded in the audit
   * trail) or TooManyAttemptsError.
   */
  async function verifyCode(user: User, typed: string, origin: RequestOrigin): Promise<void> {
    const code = typed.replace(/\s/g, '');
    const kind = await withCodeBudget(user.id, async () => {
      if (TOTP_CODE_PATTERN.test(code)) {
        if (await matchEnabledTotp(user.id, code)) return 'totp';
      } else {
        const recovery = normalizeRecoveryCode(code);
        const hash = recovery && hashRecoveryCode(recovery);
        if (hash && (await consumeRecoveryCode(db, user.id, hash, clock.now()))) return 'recovery';
      }
      await deps.audit(user.id, 'two_step_failed', origin);
      throw new InvalidTwoStepCodeError();
    });
    if (kind === 'recovery') {
      await deps.audit(user.id, 'recovery_code_used', origin);
      const { left } = await countRecoveryCodes(db, user.id);
      deps.accountMail.recoveryCodeUsed(user, origin, left);
    }
  }

  async function issueRecoveryCodes(trx: Db, userId: number): Promise<string[]> {
    const codes = generateRecoveryCodes();
    const hashes = codes.map((code) => hashRecoveryCode(normalizeRecoveryCode(code) ?? code));
    await replaceRecoveryCodes(trx, userId, hashes, clock.now());
    return codes;
  }

  return {
    verifyCode,

    async isOn(userId: number): Promise<boolean> {
      return (await findCredential(db, userId))?.isEnabled ?? false;
    },

    async describe(userId: number): Promise<TwoStepStatus> {
      const credential = await findCredential(db, userId);
      const isOn = credential?.isEnabled ?? false;
      return {
        isOn,
        recoveryCodes: isOn ? await countRecoveryCodes(db, userId) : { used: 0, left: 0 },
      };
    },

    /** A new secret waiting for its first code; replaces any earlier unfinished setup. */
    async beginSetup(user: User): Promise<void> {
      if ((await findCredential(db, user.id))?.isEnabled) {
        throw new TwoStepStateError('Two-step sign-in is already on for your account.');
      }
      const sealed = box.seal(generateTotpSecret(), sealContext(user.id));
      await db
        .transaction()
        .execute((trx) => savePendingCredential(trx, user.id, sealed, clock.now()));
    },

    /** The unfinished setup's secret and QR code, or undefined when none is waiting. */
    async findPendingSetup(user: User): Promise<PendingSetup | undefined> {
      const credential = await findCredential(db, user.id);
      if (!credential || credential.isEnabled) return undefined;
      const secret = box.open(credential.secretSealed, sealContext(user.id));
      return {
        secret,
        groupedSecret: groupSecret(secret),
        qrDataUri: await totpQrDataUri(totpUri(secret, user.email)),
      };
    },

    /**
     * Turns two-step on once the app shows a right code for the pending
     * secret, and returns the ten recovery codes: the only time they exist
     * in plain text.
     */
    async enable(user: User, typed: string, origin: RequestOrigin): Promise<string[]> {
      const code = typed.replace(/\s/g, '');
      const codes = await withCodeBudget(user.id, async () => {
        const credential = await findCredential(db, user.id);
        if (!credential || credential.isEnabled) {
          throw new TwoStepStateError('Start setting up two-step sign-in again from your account.');
        }
        const secret = box.open(credential.secretSealed, sealContext(user.id));
        const step = matchTotpStep(secret, code, clock.now());
        if (step === null) throw new InvalidTwoStepCodeError();
        return db.transaction().execute(async (trx) => {
          if (!(await enableCredential(trx, user.id, step, clock.now()))) {
            throw new TwoStepStateError('Two-step sign-in is already on for your account.');
          }
          await deps.audit(user.id, 'two_step_enabled', origin, trx);
          return issueRecoveryCodes(trx, user.id);
        });
      });
      deps.accountMail.twoStepEnabled(user, origin);
      return codes;
    },

    /** Turns two-step off after a right code (or recovery code). */
    async disable(user: User, typed: string, origin: RequestOrigin): Promise<void> {
      await verifyCode(user, typed, origin);
      await db.transaction().execute(async (trx) => {
        await deleteTwoStep(trx, user.id);
        await deps.audit(user.id, 'two_step_disabled', origin, trx);
      });
      deps.accountMail.twoStepDisabled(user, origin);
    },

    /** Ten new recovery codes; the old ones stop working. */
    async regenerateRecoveryCodes(user: User, origin: RequestOrigin): Promise<string[]> {
      if (!(await findCredential(db, user.id))?.isEnabled) {
        throw new TwoStepStateError('Turn two-step sign-in on first.');
      }
      return db.transaction().execute(async (trx) => {
        await deps.audit(user.id, 'recovery_codes_regenerated', origin, trx);
        return issueRecoveryCodes(trx, user.id);
      });
    },
  };
}
