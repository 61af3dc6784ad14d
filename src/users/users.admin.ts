import { replacePassword } from '../accounts/replace-password';
import type { PasswordHasher } from '../auth/password';
import { findPasswordProblem, type PasswordPolicy } from '../auth/password-policy';
import type { Clock } from '../clock';
import type { Db } from '../db/database';
import type { AuthEventType } from '../events/auth-event';
import { createAuditLog } from '../events/audit-log';
import type { Logger } from '../logger';
import type { AccountMail } from '../mail/account-mail';
import { voidPasswordResets } from '../password-reset/password-resets.repository';
import { terminateAllSessionsOf } from '../sessions/sessions.service';
import { deleteTwoStep, listTwoStepUserIds } from '../two-step/two-step.repository';
import { checkFullName, InvalidFullNameError } from './full-name';
import { normalizeEmail, type User } from './user';
import { findUserWithHashByEmail, listUsers, setUserActive } from './users.repository';
import { insertNewUser, UnknownUserError } from './users.service';

export class PasswordPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasswordPolicyError';
  }
}

/** What an operator can do from the command line (`npm run user -- …`). */
export function createUserAdmin(deps: {
  db: Db;
  hasher: PasswordHasher;
  clock: Clock;
  policy: PasswordPolicy;
  /** The owner hears of changes made for them, as with the same change on the site. */
  accountMail: AccountMail;
  logger: Logger;
}) {
  const { db, clock } = deps;
  const origin = { ip: null, userAgent: 'gatehouse admin CLI' };

  async function findUser(email: string): Promise<User> {
    const found = await findUserWithHashByEmail(db, normalizeEmail(email));
    if (!found) throw new UnknownUserError(normalizeEmail(email));
    return found.user;
  }

  function checkPolicy(password: string, email: string): void {
    const problem = findPasswordProblem(password, { email }, deps.policy);
    if (problem) throw new PasswordPolicyError(problem);
  }

  const audit = createAuditLog({ db, clock, logger: deps.logger });
  const record = (userId: number, type: AuthEventType, executor: Db = db) =>
    audit(userId, type, origin, executor);

  return {
    async addUser(input: { email: string; fullName: string; password: string }): Promise<User> {
      // Both checks come before the (deliberately slow) hash.
      const name = checkFullName(input.fullName);
      if (!name.isValid) throw new InvalidFullNameError(name.problem);
      checkPolicy(input.password, input.email);
      const passwordHash = await deps.hasher.hash(input.password);
      // The user and its audit row commit together, as at sign-up.
      const user = await db.transaction().execute(async (trx) => {
        const created = await insertNewUser(trx, input, passwordHash, clock.now(), true);
        await record(created.id, 'signed_up', trx);
        return created;
      });
      deps.accountMail.signedUp(user, origin);
      return user;
    },

    /**
     * Disabling also ends every session, so issued cookies and tokens stop
     * working at once, and voids every reset link, so enabling the account
     * later does not bring an old link back. Enabling voids them again: a
     * reset request that read the account as active just before the disable
     * may have written its link just after it.
     */
    async setActive(email: string, isActive: boolean): Promise<{ user: User; revoked: number }> {
      const user = await findUser(email);
      return db.transaction().execute(async (trx) => {
        const now = clock.now();
        await setUserActive(trx, user.id, isActive, now);
        await voidPasswordResets(trx, user.id, now);
        const revoked = isActive ? 0 : await terminateAllSessionsOf(trx, user.id);
        await record(user.id, isActive ? 'account_enabled' : 'account_disabled', trx);
        return { user, revoked };
      });
    },

    /** A new password ends every session of the user. */
    async setPassword(email: string, password: string): Promise<{ user: User; revoked: number }> {
      const user = await findUser(email);
      checkPolicy(password, user.email);
      const hash = await deps.hasher.hash(password);
      const revoked = await db.transaction().execute(async (trx) => {
        const count = await replacePassword(trx, user.id, hash, clock.now());
        await record(user.id, 'password_changed', trx);
        return count;
      });
      deps.accountMail.passwordChanged(user, origin);
      return { user, revoked };
    },

    async revokeSessions(email: string): Promise<{ user: User; revoked: number }> {
      const user = await findUser(email);
      const revoked = await terminateAllSessionsOf(db, user.id);
      await record(user.id, 'sessions_revoked');
      deps.accountMail.sessionsRevoked(user, origin, 'all');
      return { user, revoked };
    },

    /**
     * For an owner who lost both the authenticator and the recovery codes:
     * two-step goes off (secret, codes, waiting logins) and every session
     * ends, so whoever holds one must log in again with the password.
     */
    async resetTwoStep(email: string): Promise<{ user: User; wasOn: boolean; revoked: number }> {
      const user = await findUser(email);
      const { wasOn, revoked } = await db.transaction().execute(async (trx) => {
        const removed = await deleteTwoStep(trx, user.id);
        const count = await terminateAllSessionsOf(trx, user.id);
        await record(user.id, 'two_step_reset', trx);
        return { wasOn: removed, revoked: count };
      });
      if (wasOn) deps.accountMail.twoStepDisabled(user, origin);
      return { user, wasOn, revoked };
    },

    /** Every user, and whether two-step sign-in is on for each. */
    async listUsers(): Promise<(User & { isTwoStepOn: boolean })[]> {
      const [users, twoStepIds] = await Promise.all([listUsers(db), listTwoStepUserIds(db)]);
      return users.map((user) => ({ ...user, isTwoStepOn: twoStepIds.has(user.id) }));
    },
    findUser,
  };
}

export type UserAdmin = ReturnType<typeof createUserAdmin>;
