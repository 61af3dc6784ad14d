import type { ActionThrottle } from '../abuse/action-throttle';
import { clientKeyForIp } from '../abuse/client-key';
import { TooManyAttemptsError } from '../abuse/rate-limit';
import type { AccountServiceDeps } from '../accounts/accounts.service';
import type { BackgroundTasks } from '../background-tasks';
import { HttpError } from '../errors';
import type { RequestOrigin } from '../events/auth-event';
import { voidPasswordResets } from '../password-reset/password-resets.repository';
import {
  createResetToken as createLinkToken,
  hashResetToken as hashLinkToken,
  isWellFormedResetToken as isWellFormedLinkToken,
} from '../password-reset/reset-token';
import type { AuthenticatedSession, IssuedToken } from '../sessions/session';
import { terminateAllSessionsOf } from '../sessions/sessions.service';
import { checkFullName } from '../users/full-name';
import { EmailTakenError, normalizeEmail, type User } from '../users/user';
import {
  changeEmail,
  findUserById,
  findUserWithHashByEmail,
  markEmailConfirmed,
  recordLogin,
} from '../users/users.repository';
import { insertNewUser } from '../users/users.service';
import {
  consumeConfirmation,
  findUsableConfirmation,
  insertConfirmation,
  voidConfirmations,
  type PendingConfirmation,
} from './email-confirmations.repository';
import type { ConfirmationPurpose } from './email-confirmations.table';
import type { ResendTicket } from './resend-ticket';

/** Unknown, malformed, expired, used or voided: one answer for all. */
export class InvalidConfirmationLinkError extends HttpError {
  constructor() {
    super(400, 'invalid_confirmation_link', 'This confirmation link is not valid any more.');
  }
}

export class SameEmailError extends HttpError {
  constructor() {
    super(400, 'same_email', 'That is already your e-mail address: enter a different one.');
  }
}

export interface ConfirmationDeps extends AccountServiceDeps {
  background: BackgroundTasks;
  tokenMinutes: number;
  signupPerIp: ActionThrottle;
  /** Links and notices per receiving address: nobody can mail-bomb an address through us. */
  mailsPerAddress: ActionThrottle;
  emailChangePerUser: ActionThrottle;
  resendTicket: ResendTicket;
}

/** What a usable link would do, for the page that asks the person to go ahead. */
export interface LinkPreview {
  purpose: ConfirmationPurpose;
  email: string;
}

export type ConfirmedLink =
  { purpose: 'signup'; user: User; issued: IssuedToken } | { purpose: 'change'; user: User };

export type ConfirmationService = ReturnType<typeof createConfirmationService>;

export function createConfirmationService(deps: ConfirmationDeps) {
  const { db, clock, accountMail, background } = deps;
  const record = deps.audit;

  /** Whether one more mail may go to the address this hour; past it, nothing is sent. */
  async function mayMail(address: string): Promise<boolean> {
    try {
      await deps.mailsPerAddress.consume(address);
      return true;
    } catch (error) {
      if (error instanceof TooManyAttemptsError) return false;
      throw error;
    }
  }

  async function sendLink(pending: PendingConfirmation, origin: RequestOrigin): Promise<void> {
    const token = createLinkToken();
    const now = clock.now();
    await insertConfirmation(db, {
      ...pending,
      tokenHash: hashLinkToken(token),
      now,
      expiresAt: new Date(now.getTime() + deps.tokenMinutes * 60_000),
    });
    await accountMail.sendConfirmationLink(
      pending.purpose,
      { email: pending.email },
      token,
      deps.tokenMinutes,
      origin,
    );
  }

  /**
   * After the answer: a new address gets an account (unconfirmed) and its
   * link; an unconfirmed one gets a link carrying this sign-up's password and
   * name; a confirmed one gets a notice, and nothing changes.
   */
  async function registerOrNotify(
    input: { email: string; fullName: string },
    passwordHash: string,
    origin: RequestOrigin,
  ): Promise<void> {
    if (!(await mayMail(input.email))) return;
    let found = (await findUserWithHashByEmail(db, input.email))?.user;
    if (!found) {
      try {
        found = await db.transaction().execute(async (trx) => {
          const user = await insertNewUser(trx, input, passwordHash, clock.now(), false);
          await record(user.id, 'signed_up', origin, trx);
          return user;
        });
      } catch (error) {
        // Two sign-ups of one new address at once: the other one created it.
        if (!(error instanceof EmailTakenError)) throw error;
        found = (await findUserWithHashByEmail(db, input.email))?.user;
        if (!found) return;
      }
    }
    if (found.emailConfirmedAt) return accountMail.sendSignupAttempt(found, origin);
    if (!found.isActive) return;
    const fullName = checkFullName(input.fullName);
    await sendLink(
      {
        userId: found.id,
        purpose: 'signup',
        email: found.email,
        passwordHash,
        fullName: fullName.isValid ? fullName.fullName : null,
      },
      origin,
    );
  }

  /**
   * Sign-up with CONFIRMATION=required. Counts the attempt and hashes the
   * password (both whatever the address), then does the rest after the
   * answer: whether the address is registered changes neither the answer nor
   * its timing.
   */
  async function signUp(
    input: { email: string; fullName: string; password: string },
    origin: RequestOrigin,
  ): Promise<void> {
    await deps.signupPerIp.consume(clientKeyForIp(origin.ip));
    const passwordHash = await deps.hasher.hash(input.password);
    const account = { email: normalizeEmail(input.email), fullName: input.fullName };
    background.run('sign-up', () => registerOrNotify(account, passwordHash, origin));
  }

  /** "Send the link again" from the login page, with the ticket a right password earned. */
  function resend(ticket: unknown, origin: RequestOrigin): boolean {
    const userId = deps.resendTicket.read(ticket);
    if (userId === undefined) return false;
    background.run('confirmation resend', async () => {
      const user = await findUserById(db, userId);
      if (!user?.isActive || user.emailConfirmedAt) return;
      if (!(await mayMail(user.email))) return;
      await sendLink(
        { userId, purpose: 'signup', email: user.email, passwordHash: null, fullName: null },
        origin,
      );
    });
    return true;
  }

  /**
   * The account page's "change e-mail" (behind sudo mode). The current
   * address hears of it at once; the new one gets a link unless another
   * account has it, which the answer does not say.
   */
  async function requestEmailChange(
    current: AuthenticatedSession,
    newEmail: string,
    origin: RequestOrigin,
  ): Promise<void> {
    const { user } = current;
    const email = normalizeEmail(newEmail);
    if (email === user.email) throw new SameEmailError();
    await deps.emailChangePerUser.consume(String(user.id));
    await record(user.id, 'email_change_requested', origin);
    accountMail.emailChangeRequested(user, email, origin);
    background.run('e-mail change', async () => {
      if (await findUserWithHashByEmail(db, email)) return;
      if (!(await mayMail(email))) return;
      await sendLink(
        { userId: user.id, purpose: 'change', email, passwordHash: null, fullName: null },
        origin,
      );
    });
  }

  async function findLink(token: string): Promise<{ pending: PendingConfirmation; user: User }> {
    if (!isWellFormedLinkToken(token)) throw new InvalidConfirmationLinkError();
    const pending = await findUsableConfirmation(db, hashLinkToken(token), clock.now());
    const user = pending && (await findUserById(db, pending.userId));
    if (!pending || !user?.isActive) throw new InvalidConfirmationLinkError();
    return { pending, user };
  }

  async function previewLink(token: string): Promise<LinkPreview> {
    const { pending } = await findLink(token);
    return { purpose: pending.purpose, email: pending.email };
  }

  /**
   * Uses the link, in one transaction. A sign-up's: the account is confirmed
   * with that sign-up's password and name, any other session and link of it
   * ends, and this browser is logged in. A change's: the account moves to the
   * new address, and reset links sent to the old one stop working.
   */
  async function confirm(token: string, origin: RequestOrigin): Promise<ConfirmedLink> {
    const { pending, user } = await findLink(token);
    const tokenHash = hashLinkToken(token);
    return db.transaction().execute(async (trx): Promise<ConfirmedLink> => {
      const now = clock.now();
      if (!(await consumeConfirmation(trx, tokenHash, now))) {
        throw new InvalidConfirmationLinkError();
      }
      if (pending.purpose === 'change') {
        try {
          await changeEmail(trx, user.id, pending.email, now);
        } catch (error) {
          if (error instanceof EmailTakenError) throw new InvalidConfirmationLinkError();
          throw error;
        }
        await voidPasswordResets(trx, user.id, now);
        await voidConfirmations(trx, user.id, now);
        await record(user.id, 'email_changed', origin, trx);
        return {
          purpose: 'change',
          user: { ...user, email: pending.email, emailConfirmedAt: now },
        };
      }
      await markEmailConfirmed(trx, user.id, now, pending);
      await voidConfirmations(trx, user.id, now, 'signup');
      // A session started before (CONFIRMATION switched on later) was not this person's proof.
      await terminateAllSessionsOf(trx, user.id);
      await recordLogin(trx, user.id, now);
      await record(user.id, 'email_confirmed', origin, trx);
      const confirmed: User = {
        ...user,
        fullName: pending.fullName ?? user.fullName,
        emailConfirmedAt: user.emailConfirmedAt ?? now,
        lastLoginAt: now,
      };
      const issued = await deps.sessions.startNewSessionFor(confirmed, 'browser', origin, trx);
      return { purpose: 'signup', user: confirmed, issued };
    });
  }

  return { signUp, resend, requestEmailChange, previewLink, confirm };
}
