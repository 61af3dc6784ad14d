import type { CookieOptions, Request, Response } from 'express';

/**
 * A first-party cookie of ours: HttpOnly, SameSite=Lax, Path=/, and with
 * Secure on the `__Host-` prefix, which makes browsers refuse it unless it
 * is Secure, host-only and Path=/, so a sibling subdomain cannot plant one.
 * Every cookie Gatehouse sets (session, device, CSRF secret, ...) is named
 * and scoped here, so they cannot drift apart.
 */
export function createHostCookie(baseName: string, config: { cookieSecure: boolean }) {
  const name = config.cookieSecure ? `__Host-${baseName}` : baseName;
  const options: CookieOptions = {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.cookieSecure,
    path: '/',
  };
  return {
    name,
    /** Without maxAge: for a library that sets the cookie itself (csurf). */
    options,
    /** The cookie's value (keepCookiesPlain has made every cookie a string). */
    read(req: Request): string | undefined {
      const value: unknown = req.cookies?.[name];
      return typeof value === 'string' ? value : undefined;
    },
    set(res: Response, value: string, maxAgeMs: number): void {
      res.cookie(name, value, { ...options, maxAge: Math.max(0, maxAgeMs) });
    },
    clear(res: Response): void {
      res.clearCookie(name, options);
    },
  };
}

export type HostCookie = ReturnType<typeof createHostCookie>;
