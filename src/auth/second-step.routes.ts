import { Router, type Request, type Response } from 'express';
import { TooManyAttemptsError } from '../abuse/rate-limit';
import { setErrorStatus } from '../http/error-answer';
import type { Flash } from '../http/flash';
import type { FieldErrors } from '../http/form-fields';
import { renderForm } from '../http/render-form';
import { requestOrigin } from '../http/request-origin';
import { nextOrPrivate, toSafeLocalPath } from '../http/safe-redirect';
import type { DeviceCookie } from '../http/device-cookie';
import type { CurrentUserMiddleware } from '../sessions/current-user';
import type { SessionCookie } from '../sessions/session-cookie';
import type { ChallengeCookie } from '../two-step/challenge-cookie';
import { readCodeField } from '../two-step/code-field';
import type { LoginChallenges } from '../two-step/login-challenges';
import { InvalidTwoStepCodeError, LoginChallengeExpiredError } from '../two-step/two-step.errors';
import type { AuthService } from './auth.service';

const PATH = '/login/two-step';

/** The login's second page: the code after the right password, for two-step accounts. */
export function createSecondStepRouter(deps: {
  auth: AuthService;
  challenges: LoginChallenges;
  challengeCookie: ChallengeCookie;
  cookie: SessionCookie;
  deviceCookie: DeviceCookie;
  currentUser: CurrentUserMiddleware;
  flash: Flash;
  clearCsrfSecret(res: Response): void;
}): Router {
  const router = Router();

  function render(
    req: Request,
    res: Response,
    view: { next: unknown; errors?: FieldErrors; formError?: string },
  ) {
    renderForm(req, res, 'pages/login-two-step', {
      title: 'Enter your code',
      next: toSafeLocalPath(view.next) ?? undefined,
      errors: view.errors,
      formError: view.formError,
    });
  }

  /** No live challenge from this browser: back to the password, saying why. */
  function renderExpired(req: Request, res: Response, next: unknown) {
    deps.challengeCookie.clear(res);
    const error = new LoginChallengeExpiredError();
    res.status(error.status);
    renderForm(req, res, 'pages/login', {
      title: 'Log in',
      email: '',
      next: toSafeLocalPath(next) ?? undefined,
      formError: error.message,
    });
  }

  router.get(PATH, deps.currentUser.optionalUser, async (req, res) => {
    if (res.locals.user) return res.redirect(303, nextOrPrivate(req.query.next));
    const userId = await deps.challenges.findUserId(deps.challengeCookie.read(req));
    if (userId === undefined) return renderExpired(req, res, req.query.next);
    render(req, res, { next: req.query.next });
  });

  router.post(PATH, async (req, res) => {
    const next: unknown = (req.body as Record<string, unknown> | undefined)?.next;
    const typed = readCodeField(req.body);
    if ('errors' in typed) {
      res.status(400);
      return render(req, res, { next, errors: typed.errors });
    }
    try {
      const issued = await deps.auth.completeSecondStep({
        challengeToken: deps.challengeCookie.read(req),
        code: typed.code,
        origin: requestOrigin(req),
        deviceToken: deps.deviceCookie.read(req),
      });
      deps.challengeCookie.clear(res);
      deps.cookie.set(res, issued);
      deps.deviceCookie.set(res, issued.deviceToken);
      deps.clearCsrfSecret(res);
      deps.flash.set(res, 'logged-in');
      res.redirect(303, nextOrPrivate(next));
    } catch (error) {
      if (error instanceof LoginChallengeExpiredError) return renderExpired(req, res, next);
      if (!(error instanceof InvalidTwoStepCodeError || error instanceof TooManyAttemptsError)) {
        throw error;
      }
      setErrorStatus(res, error);
      return render(req, res, { next, errors: { code: error.message } });
    }
  });

  return router;
}
