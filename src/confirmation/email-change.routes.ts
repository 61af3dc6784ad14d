import { Router, type Request, type Response } from 'express';
import { TooManyAttemptsError } from '../abuse/rate-limit';
import { setErrorStatus } from '../http/error-answer';
import { describeFieldProblem, readTextField } from '../http/form-fields';
import { renderForm } from '../http/render-form';
import { requestOrigin } from '../http/request-origin';
import { describeMinutes } from '../mail/account-mail';
import type { RecentLoginGate } from '../reauth/recent-login';
import type { CurrentUserMiddleware } from '../sessions/current-user';
import type { AuthenticatedSession } from '../sessions/session';
import { isPlausibleEmail, MAX_EMAIL_LENGTH, normalizeEmail } from '../users/user';
import { SameEmailError, type ConfirmationService } from './confirmation.service';

const CHANGE_PATH = '/account/email';

function currentSession(res: Response): AuthenticatedSession {
  const { user, session } = res.locals;
  if (!user || !session) throw new Error('the e-mail change routes need requireUser');
  return { user, session };
}

/** "Change e-mail address": a sensitive change, so both the page and the post need sudo mode. */
export function createEmailChangeRouter(deps: {
  confirmations: ConfirmationService;
  currentUser: CurrentUserMiddleware;
  recentLogin: RecentLoginGate;
  tokenMinutes: number;
}): Router {
  const router = Router();
  const page = { title: 'Change your e-mail address' };
  router.use(CHANGE_PATH, deps.currentUser.requireUser, deps.recentLogin.require(CHANGE_PATH));

  function renderChangeForm(
    req: Request,
    res: Response,
    form: { email?: string; error?: string; formError?: string } = {},
  ) {
    renderForm(req, res, 'pages/email-change', {
      ...page,
      email: form.email ?? '',
      errors: form.error === undefined ? {} : { email: form.error },
      formError: form.formError,
    });
  }

  router.get(CHANGE_PATH, (req, res) => renderChangeForm(req, res));

  router.post(CHANGE_PATH, async (req, res) => {
    const field = readTextField(req.body, 'email');
    const email = 'value' in field ? normalizeEmail(field.value) : '';
    let error: string | undefined;
    if ('problem' in field) error = describeFieldProblem(field.problem, 'new e-mail address');
    else if (!isPlausibleEmail(email)) error = 'Enter an e-mail address like name@example.com.';
    if (error !== undefined) {
      res.status(400);
      return renderChangeForm(req, res, { email: email.slice(0, MAX_EMAIL_LENGTH), error });
    }
    try {
      await deps.confirmations.requestEmailChange(currentSession(res), email, requestOrigin(req));
    } catch (failure) {
      if (failure instanceof SameEmailError) {
        setErrorStatus(res, failure);
        return renderChangeForm(req, res, { email, error: failure.message });
      }
      if (!(failure instanceof TooManyAttemptsError)) throw failure;
      setErrorStatus(res, failure);
      return renderChangeForm(req, res, {
        email,
        formError: `Too many address changes. Wait ${Math.ceil(failure.retryAfterSeconds / 60)} minute(s), then try again.`,
      });
    }
    res.render('pages/email-change-sent', {
      title: 'Check your new inbox',
      email,
      validFor: describeMinutes(deps.tokenMinutes),
    });
  });

  return router;
}
