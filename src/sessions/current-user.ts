import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { SessionCookie } from './session-cookie';
import type { SessionsService } from './sessions.service';

export interface CurrentUserMiddleware {
  /** Sets res.locals.user when the session cookie is valid; never refuses. */
  optionalUser: RequestHandler;
  /** Like optionalUser, but sends anonymous visitors to the login page. */
  requireUser: RequestHandler;
}

/**
 * The one reader of the session cookie. A cookie that does not resolve to a
 * live session (tampered, expired, revoked, user disabled) is cleared and the
 * request goes on anonymous.
 */
export function createCurrentUser(deps: {
  sessions: SessionsService;
  cookie: SessionCookie;
}): CurrentUserMiddleware {
  const { sessions, cookie } = deps;

  async function loadUser(req: Request, res: Response): Promise<void> {
    if (res.locals.isUserLoaded) return;
    res.locals.isUserLoaded = true;
    const token = cookie.read(req);
    if (token === undefined) return;
    const result = await sessions.resumeSession(token, 'browser');
    if (!result) {
      cookie.clear(res);
      return;
    }
    res.locals.user = result.user;
    res.locals.session = result.session;
    if (result.renewed) cookie.set(res, result.renewed);
  }

  return {
    async optionalUser(req: Request, res: Response, next: NextFunction) {
      await loadUser(req, res);
      next();
    },
    async requireUser(req: Request, res: Response, next: NextFunction) {
      await loadUser(req, res);
      if (res.locals.user) return next();
      res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
    },
  };
}
