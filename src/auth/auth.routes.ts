import { Router, type Request, type Response } from 'express';
import type { Clock } from '../clock';
import type { CurrentUserMiddleware } from '../sessions/current-user';
import type { DeviceCookie } from '../http/device-cookie';
import { TooManyAttemptsError } from '../abuse/rate-limit';
import { setErrorStatus } from '../http/error-answer';
import type { FieldErrors } from '../http/form-fields';
import type { Flash } from '../http/flash';
import { renderForm } from '../http/render-form';
import { nextOrPrivate, toSafeLocalPath } from '../http/safe-redirect';
import { requestOrigin } from '../http/request-origin';
import type { SessionCookie } from '../sessions/session-cookie';
import type { SessionsService } from '../sessions/sessions.service';
import type { ResendTicket } from '../confirmation/resend-ticket';
import type { ChallengeCookie } from '../two-step/challenge-cookie';
import { TwoStepRequiredError } from '../two-step/two-step.errors';
import {
  AccountDisabledError,
  EmailUnconfirmedError,
  InvalidCredentialsError,
} from './auth.errors';
import type { AuthService } from './auth.service';
import { parseLoginForm } from './login-form';

export interface AuthRouterDeps {
  auth: AuthService;
  sessions: SessionsService;
  cookie: SessionCookie;
  deviceCookie: DeviceCookie;
  currentUser: CurrentUserMiddleware;
  /** Called at login so the signed-in browser gets a fresh CSRF secret. */
  clearCsrfSecret(res: Response): void;
  flash: Flash;
  /** Signs the "send the link again" offer shown after a right password to an unconfirmed account. */
  resendTicket: ResendTicket;
  challengeCookie: ChallengeCookie;
  clock: Clock;
}

type LoginRefusal =
  InvalidCredentialsError | AccountDisabledError | EmailUnconfirmedError | TooManyAttemptsError;

/** The refusals the login form shows inline; anything else goes to the error handler. */
function isLoginRefusal(error: unknown): error is LoginRefusal {
  return (
    error instanceof InvalidCredentialsError ||
    error instanceof AccountDisabledError ||
    error instanceof EmailUnconfirmedError ||
    error instanceof TooManyAttemptsError
  );
}

/** Requests a browser makes from our own pages, or typed in / bookmarked. */
function isSameOriginNavigation(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  return site === undefined || site === 'same-origin' || site === 'none';
}

export function createAuthRouter(deps: AuthRouterDeps): Router {
  const { auth, sessions, cookie, currentUser } = deps;
  const router = Router();

  function renderLogin(
    req: Request,
    res: Response,
    view: {
      email?: string;
      next?: unknown;
      errors?: FieldErrors;
      formError?: string;
      resendTicket?: string;
    },
  ) {
    renderForm(req, res, 'pages/login', {
      title: 'Log in',
      email: view.email ?? '',
      next: toSafeLocalPath(view.next) ?? undefined,
      errors: view.errors,
      formError: view.formError,
      resendTicket: view.resendTicket,
    });
  }

  async function logOut(req: Request, res: Response): Promise<void> {
    const { user, session } = res.locals;
    if (user && session) await sessions.terminateSession({ user, session }, requestOrigin(req));
    cookie.clear(res);
    if (user) deps.flash.set(res, 'logged-out');
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
      const issued = await auth.logIn({
        email: form.email,
        password: form.password,
        kind: 'browser',
        origin: requestOrigin(req),
        deviceToken: deps.deviceCookie.read(req),
      });
      cookie.set(res, issued);
      deps.deviceCookie.set(res, issued.deviceToken);
      deps.clearCsrfSecret(res);
      deps.flash.set(res, 'logged-in');
      res.redirect(303, nextOrPrivate(next));
    } catch (error) {
      if (error instanceof TwoStepRequiredError && error.challenge) {
        // The password was right; the session waits for the code, on a page of its own.
        deps.challengeCookie.set(res, error.challenge, deps.clock.now());
        const safeNext = toSafeLocalPath(next);
        const query = safeNext ? `?next=${encodeURIComponent(safeNext)}` : '';
        return res.redirect(303, `/login/two-step${query}`);
      }
      if (!isLoginRefusal(error)) throw error;
      setErrorStatus(res, error);
      const resendTicket =
        error instanceof EmailUnconfirmedError && error.userId !== null
          ? deps.resendTicket.issue(error.userId)
          : undefined;
      return renderLogin(req, res, {
        email: form.email,
        next,
        formError: error.message,
        resendTicket,
      });
    }
  });

  // The design asks for a plain "Log out" link. GET is only honoured from our
  // own pages: a cross-site request (an <img> or link elsewhere) gets a
  // confirmation page instead, so a foreign page cannot log people out.
  router.get('/logout', currentUser.optionalUser, async (req, res) => {
    if (!isSameOriginNavigation(req)) {
      return res.render('pages/logout-confirm', { title: 'Log out', csrfToken: req.csrfToken() });
    }
    await logOut(req, res);
  });

  router.post('/logout', currentUser.optionalUser, (req, res) => logOut(req, res));

  return router;
}
