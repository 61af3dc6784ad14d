import type { Request, Response } from 'express';
import { createHostCookie } from '../http/host-cookie';
import type { StartedChallenge } from './login-challenges';

/** The browser's half of a half-done login: HttpOnly, SameSite=Lax, gone after 5 minutes. */
export function createChallengeCookie(config: { cookieSecure: boolean }) {
  const cookie = createHostCookie('two_step', config);
  return {
    name: cookie.name,
    read: (req: Request): string | undefined => cookie.read(req),
    set(res: Response, challenge: StartedChallenge, now: Date): void {
      cookie.set(res, challenge.token, challenge.expiresAt.getTime() - now.getTime());
    },
    clear: (res: Response): void => cookie.clear(res),
  };
}

export type ChallengeCookie = ReturnType<typeof createChallengeCookie>;
