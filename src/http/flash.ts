import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CookieOptions, RequestHandler, Response } from 'express';

/** The one-time messages shown after a redirect; the cookie carries only the key. */
export const FLASH_MESSAGES = {
  'logged-in': 'You are logged in.',
  'logged-out': 'You have been logged out.',
  'signed-up': 'Welcome! Your account is ready and you are logged in.',
  'password-changed': 'Password changed. Your other sessions have been logged out.',
  'password-reset':
    'Your new password is set and you are logged in. Every other session was logged out.',
  'email-confirmed': 'Your e-mail address is confirmed and you are logged in. Welcome!',
  'email-changed': 'Your e-mail address is changed. Log in with the new one from now on.',
  'session-revoked': 'That session has been logged out.',
  'session-not-found': 'That session had already ended.',
  'other-sessions-revoked': 'Logged out of every other session.',
  'all-sessions-revoked': 'Logged out of every session.',
  'two-step-disabled': 'Two-step sign-in is off. Your recovery codes no longer work.',
} as const;

export type FlashKey = keyof typeof FLASH_MESSAGES;

const COOKIE_NAME = 'flash';
const MAX_AGE_MS = 60_000;

function isFlashKey(value: string): value is FlashKey {
  return Object.hasOwn(FLASH_MESSAGES, value);
}

/**
 * One-time messages in a short-lived, signed, HttpOnly cookie: never in the
 * URL (where they could be forged in a link or end up in logs and history).
 */
export function createFlash(options: { secret: string; cookieSecure: boolean }) {
  const key = createHmac('sha256', options.secret).update('gatehouse flash cookie').digest();
  const cookieOptions: CookieOptions = {
    httpOnly: true,
    sameSite: 'lax',
    secure: options.cookieSecure,
    path: '/',
  };
  const sign = (value: string) => createHmac('sha256', key).update(value).digest('base64url');

  function set(res: Response, flashKey: FlashKey): void {
    res.cookie(COOKIE_NAME, `${flashKey}.${sign(flashKey)}`, {
      ...cookieOptions,
      maxAge: MAX_AGE_MS,
    });
  }

  /** Moves a pending message into res.locals.flash and clears the cookie: shown once. */
  const read: RequestHandler = (req, res, next) => {
    const raw: unknown = req.cookies?.[COOKIE_NAME];
    if (typeof raw !== 'string') return next();
    res.clearCookie(COOKIE_NAME, cookieOptions);
    const parts = raw.split('.');
    if (parts.length !== 2) return next();
    const [flashKey = '', signature = ''] = parts;
    const expected = Buffer.from(sign(flashKey));
    const given = Buffer.from(signature);
    if (
      isFlashKey(flashKey) &&
      given.length === expected.length &&
      timingSafeEqual(given, expected)
    ) {
      res.locals.flash = FLASH_MESSAGES[flashKey];
    }
    next();
  };

  return { set, read };
}

export type Flash = ReturnType<typeof createFlash>;
