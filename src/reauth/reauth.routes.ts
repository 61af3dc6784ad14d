import { Router, type Request, type Response } from 'express';
import { TooManyAttemptsError } from '../abuse/rate-limit';
import { AccountDisabledError, InvalidCredentialsError } from '../auth/auth.errors';
import { MAX_PASSWORD_LENGTH } from '../auth/login-form';
import { setErrorStatus } from '../http/error-answer';
import { describeFieldProblem, readTextField, type FieldErrors } from '../http/form-fields';
import { renderForm } from '../http/render-form';
import { requestOrigin } from '../http/request-origin';
import { toSafeLocalPath } from '../http/safe-redirect';
import type { CurrentUserMiddleware } from '../sessions/current-user';
import type { AuthenticatedSession } from '../sessions/session';
import type { ReauthService } from './reauth.service';
import { DEFAULT_REAUTH_RETURN } from './recent-login';

const WRONG_PASSWORD = 'That password is not right. Enter the password you log in with.';

function currentSession(res: Response): AuthenticatedSession {
  const { user, session } = res.locals;
  if (!user || !session) throw new Error('the reauth routes need requireUser');
  return { user, session };
}

/** GET/POST /reauth: "confirm it's you" before a sensitive change. */
export function createReauthRouter(deps: {
  reauth: ReauthService;
  currentUser: CurrentUserMiddleware;
}): Router {
  const router = Router();
  router.use('/reauth', deps.currentUser.requireUser);

  function render(
    req: Request,
    res: Response,
    view: { next: unknown; errors?: FieldErrors; formError?: string },
  ) {
    renderForm(req, res, 'pages/reauth', {
      title: 'Confirm it is you',
      next: toSafeLocalPath(view.next) ?? DEFAULT_REAUTH_RETURN,
      email: currentSession(res).user.email,
      errors: view.errors,
      formError: view.formError,
    });
  }

  router.get('/reauth', (req, res) => render(req, res, { next: req.query.next }));

  router.post('/reauth', async (req, res) => {
    const next: unknown = (req.body as Record<string, unknown> | undefined)?.next;
    const password = readTextField(req.body, 'password');
    if ('problem' in password || password.value === '') {
      res.status(400);
      const problem = 'problem' in password ? password.problem : 'missing';
      return render(req, res, {
        next,
        errors: { password: describeFieldProblem(problem, 'password') },
      });
    }
    if (password.value.length > MAX_PASSWORD_LENGTH) {
      // Refused before any hashing, like every other password field.
      res.status(401);
      return render(req, res, { next, errors: { password: WRONG_PASSWORD } });
    }
    try {
      await deps.reauth.confirmWithPassword(
        currentSession(res),
        password.value,
        requestOrigin(req),
      );
    } catch (error) {
      if (error instanceof InvalidCredentialsError) {
        setErrorStatus(res, error);
        return render(req, res, { next, errors: { password: WRONG_PASSWORD } });
      }
      if (error instanceof TooManyAttemptsError || error instanceof AccountDisabledError) {
        setErrorStatus(res, error);
        return render(req, res, { next, formError: error.message });
      }
      throw error;
    }
    res.redirect(303, toSafeLocalPath(next) ?? DEFAULT_REAUTH_RETURN);
  });

  return router;
}
