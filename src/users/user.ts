import { HttpError } from '../errors';

/** A user as the rest of the app sees it: never the password hash. */
export interface User {
  id: number;
  email: string;
  fullName: string;
  isActive: boolean;
  createdAt: Date;
  lastLoginAt: Date | null;
  /** Null until the owner used a link mailed to the address (or an admin vouched for it). */
  emailConfirmedAt: Date | null;
}

/** E-mails are compared and stored trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

// Deliberately loose (one @, something on each side, a dot in the domain): the
// only real check of an address is a mail that arrives.
const EMAIL_PATTERN = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
export const MAX_EMAIL_LENGTH = 254;

export function isPlausibleEmail(email: string): boolean {
  return email.length <= MAX_EMAIL_LENGTH && EMAIL_PATTERN.test(email);
}

export class EmailTakenError extends HttpError {
  constructor() {
    super(409, 'email_taken', 'An account with this e-mail address already exists.');
  }
}
