import type { BackgroundTasks } from '../background-tasks';
import type { Clock } from '../clock';
import type { Config } from '../config';
import type { RequestOrigin } from '../events/auth-event';
import type { Logger } from '../logger';
import { formatLongUtc } from '../text/utc-date';
import type { User } from '../users/user';
import { createMailTemplates, type MailTemplateName, type RenderMail } from './mail-templates';
import { createMailer, type Mailer } from './mailer';

/** Where a change came from, in words a person reads in an e-mail. */
function describeOrigin(origin: RequestOrigin): string {
  return origin.ip ?? 'the Gatehouse administrator (command line)';
}

/** "30 minutes", "24 hours", "1 hour and 30 minutes": how long a link works. */
export function describeMinutes(total: number): string {
  const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;
  const hours = Math.floor(total / 60);
  const minutes = total % 60;
  if (hours === 0) return plural(minutes, 'minute');
  return minutes === 0
    ? plural(hours, 'hour')
    : `${plural(hours, 'hour')} and ${plural(minutes, 'minute')}`;
}

/** Where a mail goes: an account, or an address not yet the account's own. */
interface Recipient {
  email: string;
}

/**
 * The messages Gatehouse sends about an account. Each goes out in the
 * background: the page never waits for (or fails because of) the mail server.
 */
export function createAccountMail(deps: {
  mailer: Mailer;
  render: RenderMail;
  background: BackgroundTasks;
  clock: Clock;
  publicUrl: string;
}) {
  const { mailer, render, background, clock, publicUrl } = deps;
  const links = {
    forgot: `${publicUrl}/password/forgot`,
    account: `${publicUrl}/account`,
    login: `${publicUrl}/login`,
  };

  /**
   * Renders and sends one message; every message carries the links. No
   * message holds the person's name: anyone can sign up (or ask for a reset)
   * with someone else's address, so the name is a stranger's text, and at the
   * top of a mail from us ("Hello <name>,") it would read as our own words.
   * The greeting is generic. The templates compile in strict mode, so one
   * that asks for {{name}} fails to render (and its test) instead of
   * printing it.
   */
  function send(
    template: MailTemplateName,
    to: Recipient,
    subject: string,
    context: Record<string, unknown>,
    printedLinks: readonly string[] = [],
  ): Promise<void> {
    const bodies = render(template, { ...links, ...context });
    return mailer.send({ to: to.email, subject, ...bodies, links: printedLinks });
  }

  /** A notice: rendered and sent after the answer, never delaying or failing it. */
  function queue(
    template: MailTemplateName,
    to: Recipient,
    subject: string,
    context: Record<string, unknown>,
  ): void {
    if (!mailer.isEnabled) return;
    background.run(`mail (${template})`, () => send(template, to, subject, context));
  }

  /** Facts every security notice carries: when, and from where. */
  const notice = (origin: RequestOrigin) => ({
    when: formatLongUtc(clock.now()),
    from: describeOrigin(origin),
  });

  return {
    isEnabled: mailer.isEnabled,

    /** Sent now (the caller is already in the background): the link must not wait in a queue. */
    sendPasswordReset(to: User, token: string, minutes: number): Promise<void> {
      const resetUrl = `${publicUrl}/password/reset/${token}`;
      return send('password-reset', to, 'Reset your Gatehouse password', { resetUrl, minutes }, [
        resetUrl,
      ]);
    },

    /**
     * Sent now, like the reset link: a sign-up's (the new account's only way
     * in) or an address change's, to the address being confirmed.
     */
    sendConfirmationLink(
      purpose: 'signup' | 'change',
      to: Recipient,
      token: string,
      minutes: number,
      origin: RequestOrigin,
    ): Promise<void> {
      const confirmUrl = `${publicUrl}/confirm/${token}`;
      const [template, subject] =
        purpose === 'signup'
          ? (['confirm-signup', 'Confirm your Gatehouse account'] as const)
          : (['confirm-change', 'Confirm your new Gatehouse e-mail address'] as const);
      return send(
        template,
        to,
        subject,
        { ...notice(origin), confirmUrl, validFor: describeMinutes(minutes) },
        [confirmUrl],
      );
    },

    /** A sign-up with a registered address: the owner hears of it, the stranger learns nothing. */
    sendSignupAttempt(to: Recipient, origin: RequestOrigin): Promise<void> {
      return send('signup-attempt', to, 'Someone tried to sign up with your address', {
        ...notice(origin),
      });
    },

    /** To the current address: a thief changing it would otherwise go unseen. */
    emailChangeRequested(to: User, newEmail: string, origin: RequestOrigin): void {
      queue('email-change-requested', to, 'Your Gatehouse e-mail address is being changed', {
        ...notice(origin),
        newEmail,
      });
    },

    passwordChanged(to: User, origin: RequestOrigin): void {
      queue('password-changed', to, 'Your Gatehouse password was changed', notice(origin));
    },

    signedUp(to: User, origin: RequestOrigin): void {
      queue('signed-up', to, 'Welcome to Gatehouse', { ...notice(origin), email: to.email });
    },

    sessionsRevoked(to: User, origin: RequestOrigin, scope: 'others' | 'all'): void {
      queue('sessions-revoked', to, 'Your Gatehouse sessions were logged out', {
        ...notice(origin),
        isEverywhere: scope === 'all',
      });
    },

    twoStepEnabled(to: User, origin: RequestOrigin): void {
      queue(
        'two-step-enabled',
        to,
        'Two-step sign-in is on for your Gatehouse account',
        notice(origin),
      );
    },

    /** Turned off by the owner, or reset by the administrator (origin without an IP). */
    twoStepDisabled(to: User, origin: RequestOrigin): void {
      queue('two-step-disabled', to, 'Two-step sign-in was turned off for your Gatehouse account', {
        ...notice(origin),
        isByAdministrator: origin.ip === null,
      });
    },

    recoveryCodeUsed(to: User, origin: RequestOrigin, codesLeft: number): void {
      queue('recovery-code-used', to, 'A recovery code was used on your Gatehouse account', {
        ...notice(origin),
        codesLeft,
        isRunningLow: codesLeft <= 3,
      });
    },
  };
}

export type AccountMail = ReturnType<typeof createAccountMail>;

/** The account mail a process sends, from its configuration. */
export function accountMailFromConfig(deps: {
  config: Pick<Config, 'mail'>;
  logger: Logger;
  clock: Clock;
  background: BackgroundTasks;
}): AccountMail {
  return createAccountMail({
    mailer: createMailer(deps.config.mail, deps.logger),
    render: createMailTemplates(),
    background: deps.background,
    clock: deps.clock,
    publicUrl: deps.config.mail.publicUrl,
  });
}
