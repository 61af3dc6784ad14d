import type { Request, Response } from 'express';
import { createHostCookie } from '../http/host-cookie';

/** The one place that names, sets and clears the session cookie. */
export function createSessionCookie(config: { cookieSecure: boolean }) {
  const cookie = createHostCookie('session', config);
  const { name } = cookie;

  return {
    name,
    read: (req: Request): string | undefined => cookie.read(req),
    set(res: Response, issued: { token: string; issuedAt: Date; expiresAt: Date }): void {
      cookie.set(res, issued.token, issued.expiresAt.getTime() - issued.issuedAt.getTime());
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
      cookie.clear(res);
    },
  };
}

export type SessionCookie = ReturnType<typeof createSessionCookie>;
