import { Router, type Response } from 'express';
import type { PasswordPolicy } from '../auth/password-policy';
import type { CurrentUserMiddleware } from '../sessions/current-user';
import { setErrorStatus } from '../http/error-answer';
import type { Flash } from '../http/flash';
import { renderForm } from '../http/render-form';
import { requestOrigin } from '../http/request-origin';
import type { SessionCookie } from '../sessions/session-cookie';
import type { ConfirmationService } from '../confirmation/confirmation.service';
import { describeMinutes } from '../mail/account-mail';
import { EmailTakenError } from '../users/user';
import type { AccountsService } from './accounts.service';
import { parseSignupForm } from './signup-form';

export function createSignupRouter(deps: {
  accounts: AccountsService;
  cookie: SessionCookie;
  currentUser: CurrentUserMiddleware;
  /** Signing up logs the person in: like /login, it gives the browser a fresh CSRF secret. */
  clearCsrfSecret(res: Response): void;
  flash: Flash;
  policy: PasswordPolicy;
  /**
   * CONFIRMATION=required: sign-up mails a link (or, for a registered
   * address, a notice) and answers the same page either way.
   */
  confirmation?: { confirmations: ConfirmationService; tokenMinutes: number };
}): Router {
  const router = Router();
  const page = { title: 'Sign up', minLength: deps.policy.minLength };

  router.get('/signup', deps.currentUser.optionalUser, (req, res) => {
    if (res.locals.user) return res.redirect(303, '/private');
    renderForm(req, res, 'pages/signup', { ...page, email: '', fullName: '' });
  });

  router.post('/signup', async (req, res) => {
    const form = parseSignupForm(req.body, deps.policy);
    if (!form.isValid) {
      res.status(400);
      return renderForm(req, res, 'pages/signup', { ...page, ...form });
    }
    if (deps.confirmation) {
      await deps.confirmation.confirmations.signUp(form, requestOrigin(req));
      return res.render('pages/check-inbox', {
        title: 'Check your inbox',
        email: form.email,
        validFor: describeMinutes(deps.confirmation.tokenMinutes),
      });
    }
    try {
      const issued = await deps.accounts.signUp(form, requestOrigin(req));
      deps.cookie.set(res, issued);
      deps.clearCsrfSecret(res);
      deps.flash.set(res, 'signed-up');
      res.redirect(303, '/private');
    } catch (error) {
      if (!(error instanceof EmailTakenError)) throw error;
      setErrorStatus(res, error);
      renderForm(req, res, 'pages/signup', {
        ...page,
        email: form.email,
        fullName: form.fullName,
        errors: { email: 'An account with this e-mail address already exists: log in instead.' },
      });
    }
  });

  return router;
}
