import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock';

const TICKET_MINUTES = 15;
const TICKET_PATTERN = /^(\d{1,12})\.(\d{13})\.([A-Za-z0-9_-]{43})$/;

/**
 * What the login page gives a browser that logged in with the right password
 * to an unconfirmed account: a signed, short-lived note naming the account,
 * which "send the link again" posts back. Only someone who knows the password
 * can have a new link sent; the address alone (which anyone may type) is not
 * enough, so a stranger cannot keep mailing links for an account they
 * pre-registered with someone else's address.
 */
export function createResendTicket(secret: string, clock: Clock) {
  const key = createHmac('sha256', secret).update('gatehouse confirmation resend').digest();
  const sign = (body: string) => createHmac('sha256', key).update(body).digest('base64url');

  return {
    issue(userId: number): string {
      const body = `${userId}.${clock.now().getTime() + TICKET_MINUTES * 60_000}`;
      return `${body}.${sign(body)}`;
    },

    /** The account a ticket names, or undefined for a forged, garbled or expired one. */
    read(ticket: unknown): number | undefined {
      if (typeof ticket !== 'string') return undefined;
      const match = TICKET_PATTERN.exec(ticket);
      if (!match) return undefined;
      const [, userId = '', expiresAt = '', signature = ''] = match;
      const expected = Buffer.from(sign(`${userId}.${expiresAt}`));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
      if (Number(expiresAt) <= clock.now().getTime()) return undefined;
      return Number(userId);
    },
  };
}

export type ResendTicket = ReturnType<typeof createResendTicket>;
