import type { CookieOptions, Request, Response } from 'express';

/**
 * The one place that names, sets and clears the session cookie. With Secure on,
 * the `__Host-` prefix makes browsers refuse it unless it is Secure, host-only
 * and Path=/, so a sibling subdomain cannot plant one.
 */
export function createSessionCookie(config: { cookieSecure: boolean }) {
  const name = config.cookieSecure ? '__Host-session' : 'session';
  const baseOptions: CookieOptions = {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.cookieSecure,
    path: '/',
  };

  return {
    name,
    /** The cookie's value (keepCookiesPlain has made every cookie a string). */
    read(req: Request): string | undefined {
      const value: unknown = req.cookies?.[name];
      return typeof value === 'string' ? value : undefined;
    },
    set(res: Response, issued: { token: string; issuedAt: Date; expiresAt: Date }): void {
      const maxAge = Math.max(0, issued.expiresAt.getTime() - issued.issuedAt.getTime());
      res.cookie(name, issued.token, { ...baseOptions, maxAge });
    },
    clear(res: Response): void {
      // A session rolled earlier in this request must not also be re-issued:
      // one Set-Cookie per name (RFC 6265 §4.1.1), and the clearing one wins.
      const earlier = res.getHeader('Set-Cookie');
      if (Array.isArray(earlier)) {
        res.setHeader(
          'Set-Cookie',
          earlier.filter((line) => !line.startsWith(`${name}=`)),
        );
      } else if (typeof earlier === 'string' && earlier.startsWith(`${name}=`)) {
        res.removeHeader('Set-Cookie');
      }
      res.clearCookie(name, baseOptions);
    },
  };
}

export type SessionCookie = ReturnType<typeof createSessionCookie>;
