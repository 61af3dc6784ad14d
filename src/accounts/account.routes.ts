import { Router, type Request, type Response } from 'express';
import { AccountDisabledError, InvalidCredentialsError } from '../auth/auth.errors';
import { MAX_PASSWORD_LENGTH } from '../auth/login-form';
import type { PasswordPolicy } from '../auth/password-policy';
import { badRequest } from '../errors';
import { AUTH_EVENT_LABELS } from '../events/auth-event';
import type { CurrentUserMiddleware } from '../sessions/current-user';
import { setErrorStatus } from '../http/error-answer';
import type { Flash } from '../http/flash';
import { describeFieldProblem, readTextField, type FieldErrors } from '../http/form-fields';
import { renderForm } from '../http/render-form';
import { requestOrigin } from '../http/request-origin';
import type { SessionCookie } from '../sessions/session-cookie';
import { summarizeUserAgent } from '../sessions/user-agent';
import type { AuthenticatedSession } from '../sessions/session';
import type { RecentLoginGate } from '../reauth/recent-login';
import type { TwoStepService } from '../two-step/two-step.service';
import type { AccountsService } from './accounts.service';
import { checkNewPassword } from './signup-form';

export interface AccountRouterDeps {
  accounts: AccountsService;
  cookie: SessionCookie;
  currentUser: CurrentUserMiddleware;
  flash: Flash;
  policy: PasswordPolicy;
  /** Sudo mode: the password and "log out everywhere" need a recent login. */
  recentLogin: RecentLoginGate;
  /** For the page's two-step section (its forms are the two-step router's). */
  twoStep: Pick<TwoStepService, 'describe'>;
}

/** The signed-in person's session, which requireUser guarantees on these routes. */
function currentSession(res: Response): AuthenticatedSession {
  const { user, session } = res.locals;
  if (!user || !session) throw new Error('account routes need requireUser');
  return { user, session };
}

export function createAccountRouter(deps: AccountRouterDeps): Router {
  const { accounts, cookie, flash } = deps;
  const router = Router();
  router.use('/account', deps.currentUser.requireUser);

  async function renderAccount(
    req: Request,
    res: Response,
    form: { errors?: FieldErrors; formError?: string } = {},
  ) {
    const current = currentSession(res);
    const { sessions, recentActivity } = await accounts.describeAccount(current.user.id);
    const twoStep = await deps.twoStep.describe(current.user.id);
    renderForm(req, res, 'pages/account', {
      title: 'Your account',
      ...form,
      minLength: deps.policy.minLength,
      twoStep,
      sessions: sessions.map((session) => ({
        ...session,
        browser: session.kind === 'api' ? 'API token' : summarizeUserAgent(session.userAgent),
        isCurrent: session.id === current.session.id,
      })),
      recentActivity: recentActivity.map((event) => ({
        ...event,
        label: AUTH_EVENT_LABELS[event.type],
        browser: summarizeUserAgent(event.userAgent),
      })),
    });
  }

  router.get('/account', (req, res) => renderAccount(req, res));

  const requireRecentLogin = deps.recentLogin.require('/account');

  router.post('/account/password', requireRecentLogin, async (req, res) => {
    const current = currentSession(res);
    const errors: FieldErrors = {};
    const currentPassword = readTextField(req.body, 'current_password');
    if ('problem' in currentPassword) {
      errors.current_password = describeFieldProblem(currentPassword.problem, 'current password');
    } else if (currentPassword.value.length > MAX_PASSWORD_LENGTH) {
      // Refused before any hashing, like every other password field.
      errors.current_password = 'Your current password is not right.';
    }
    const newPassword = checkNewPassword(
      req.body,
      { email: current.user.email },
      deps.policy,
      errors,
    );
    if (Object.keys(errors).length > 0 || 'problem' in currentPassword) {
      res.status(400);
      return renderAccount(req, res, { errors });
    }
    try {
      const issued = await accounts.changePassword(
        current,
        { currentPassword: currentPassword.value, newPassword },
        requestOrigin(req),
      );
      cookie.set(res, issued);
      flash.set(res, 'password-changed');
      res.redirect(303, '/account');
    } catch (error) {
      if (!(error instanceof InvalidCredentialsError || error instanceof AccountDisabledError))
        throw error;
      setErrorStatus(res, error);
      return renderAccount(req, res, {
        errors: { current_password: 'Your current password is not right.' },
      });
    }
  });

  router.post('/account/sessions/revoke', async (req, res) => {
    const current = currentSession(res);
    const sessionId = readTextField(req.body, 'session_id');
    if ('problem' in sessionId) throw badRequest('Choose a session to log out.');
    const isRevoked = await accounts.revokeSession(current, sessionId.value, requestOrigin(req));
    if (sessionId.value === current.session.id) {
      // Logging this browser's own session out is a normal logout.
      cookie.clear(res);
      flash.set(res, 'logged-out');
      return res.redirect(303, '/');
    }
    flash.set(res, isRevoked ? 'session-revoked' : 'session-not-found');
    res.redirect(303, '/account');
  });

  router.post('/account/sessions/revoke-others', async (req, res) => {
    await accounts.revokeSessions(currentSession(res), 'others', requestOrigin(req));
    flash.set(res, 'other-sessions-revoked');
    res.redirect(303, '/account');
  });

  router.post('/account/sessions/revoke-all', requireRecentLogin, async (req, res) => {
    await accounts.revokeSessions(currentSession(res), 'all', requestOrigin(req));
    cookie.clear(res);
    flash.set(res, 'all-sessions-revoked');
    res.redirect(303, '/');
  });

  return router;
}
