import type { CookieOptions, Request, Response } from 'express';

/** OWASP suggests a long life: the owner's own browser should stay known between visits. */
const DEVICE_COOKIE_MAX_AGE_MS = 180 * 86_400_000;

/**
 * Names, reads and sets the device cookie (its contents are the abuse
 * module's business). HttpOnly and SameSite like the session cookie; with
 * Secure on, the `__Host-` prefix keeps sibling subdomains from planting one.
 */
export function createDeviceCookie(config: { cookieSecure: boolean }) {
  const name = config.cookieSecure ? '__Host-device' : 'device';
  const options: CookieOptions = {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.cookieSecure,
    path: '/',
    maxAge: DEVICE_COOKIE_MAX_AGE_MS,
  };
  return {
    name,
    read(req: Request): string | undefined {
      const value: unknown = req.cookies?.[name];
      return typeof value === 'string' ? value : undefined;
    },
    set(res: Response, value: string): void {
      res.cookie(name, value, options);
    },
  };
}

export type DeviceCookie = ReturnType<typeof createDeviceCookie>;
