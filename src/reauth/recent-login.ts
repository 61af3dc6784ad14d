import type { RequestHandler } from 'express';
import type { Clock } from '../clock';
import type { Session } from '../sessions/session';

/** Where the re-authentication page sends the person back to by default. */
export const DEFAULT_REAUTH_RETURN = '/account';

export interface RecentLoginGate {
  /** True when the session's owner proved who they are within the window. */
  isRecent(session: Session): boolean;
  /**
   * Lets the request through only with a recent login; otherwise sends the
   * browser to /reauth and changes nothing. A GET comes back to itself; a
   * form post cannot be replayed, so it comes back to `returnTo` (the page
   * holding the form) to be submitted again.
   */
  require(returnTo?: string): RequestHandler;
}

/**
 * "Sudo mode", as in Phoenix's phx.gen.auth and GitHub: a stolen session
 * cookie alone cannot change the password, the e-mail or two-step settings,
 * or log the owner out everywhere. Must run after requireUser.
 */
export function createRecentLoginGate(deps: { clock: Clock; minutes: number }): RecentLoginGate {
  const windowMs = deps.minutes * 60_000;

  const isRecent = (session: Session) =>
    deps.clock.now().getTime() - session.authenticatedAt.getTime() <= windowMs;

  return {
    isRecent,
    require(returnTo = DEFAULT_REAUTH_RETURN) {
      return (req, res, next) => {
        const { session } = res.locals;
        if (!session) throw new Error('the recent-login gate needs requireUser before it');
        if (isRecent(session)) return next();
        const back = req.method === 'GET' ? req.originalUrl : returnTo;
        res.redirect(303, `/reauth?next=${encodeURIComponent(back)}`);
      };
    },
  };
}
