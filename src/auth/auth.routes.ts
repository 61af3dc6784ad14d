import { Router, type Request, type Response } from 'express';
import type { CurrentUserMiddleware } from '../http/current-user';
import { toErrorSummary, type FieldErrors } from '../http/form-fields';
import { nextOrPrivate, toSafeLocalPath } from '../http/safe-redirect';
import type { SessionCookie } from '../http/session-cookie';
import { AccountDisabledError, InvalidCredentialsError } from './auth.errors';
import type { AuthService } from './auth.service';
import { parseLoginForm } from './login-form';

export interface AuthRouterDeps {
  auth: AuthService;
  cookie: SessionCookie;
  currentUser: CurrentUserMiddleware;
  /** Cleared at login so the signed-in browser gets a fresh CSRF secret. */
  csrfCookieName: string;
  csrfCookieSecure: boolean;
}

/** Requests a browser makes from our own pages, or typed in / bookmarked. */
function isSameOriginNavigation(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  return site === undefined || site === 'same-origin' || site === 'none';
}

export function createAuthRouter(deps: AuthRouterDeps): Router {
  const { auth, cookie, currentUser } = deps;
  const router = Router();

  function renderLogin(
    req: Request,
    res: Response,
    view: { email?: string; next?: unknown; errors?: FieldErrors; formError?: string },
  ) {
    const errors = view.errors ?? {};
    res.render('pages/login', {
      title: 'Log in',
      csrfToken: req.csrfToken(),
      email: view.email ?? '',
      next: toSafeLocalPath(view.next) ?? undefined,
      errors,
      errorSummary: toErrorSummary(errors),
      formError: view.formError,
    });
  }

  async function logOut(res: Response): Promise<void> {
    if (res.locals.session) await auth.endSession(res.locals.session.id);
    cookie.clear(res);
    res.redirect(303, '/');
  }

  router.get('/login', currentUser.optionalUser, (req, res) => {
    if (res.locals.user) return res.redirect(303, nextOrPrivate(req.query.next));
    renderLogin(req, res, { next: req.query.next });
  });

  router.post('/login', async (req, res) => {
    const form = parseLoginForm(req.body);
    const next: unknown = (req.body as Record<string, unknown> | undefined)?.next;
    if (!form.isValid) {
      res.status(400);
      return renderLogin(req, res, { email: form.email, next, errors: form.errors });
    }
    try {
      const issued = await auth.startSession({
        email: form.email,
        password: form.password,
        kind: 'browser',
        userAgent: req.get('user-agent') ?? null,
        ip: req.ip ?? null,
      });
      cookie.set(res, issued);
      res.clearCookie(deps.csrfCookieName, {
        httpOnly: true,
        sameSite: 'lax',
        secure: deps.csrfCookieSecure,
        path: '/',
      });
      res.redirect(303, nextOrPrivate(next));
    } catch (error) {
      if (error instanceof InvalidCredentialsError || error instanceof AccountDisabledError) {
        res.status(error instanceof InvalidCredentialsError ? 401 : 403);
        return renderLogin(req, res, { email: form.email, next, formError: error.message });
      }
      throw error;
    }
  });

  // The design asks for a plain "Log out" link. GET is only honoured from our
  // own pages: a cross-site request (an <img> or link elsewhere) gets a
  // confirmation page instead, so a foreign page cannot log people out.
  router.get('/logout', currentUser.optionalUser, async (req, res) => {
    if (!isSameOriginNavigation(req)) {
      return res.render('pages/logout-confirm', { title: 'Log out', csrfToken: req.csrfToken() });
    }
    await logOut(res);
  });

  router.post('/logout', currentUser.optionalUser, (_req, res) => logOut(res));

  return router;
}
