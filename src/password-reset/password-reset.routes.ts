import { Router, type CookieOptions, type Request, type Response } from 'express';
import { TooManyAttemptsError } from '../abuse/rate-limit';
import { checkNewPassword } from '../accounts/signup-form';
import type { PasswordPolicy } from '../auth/password-policy';
import type { DeviceCookie } from '../http/device-cookie';
import { setErrorStatus } from '../http/error-answer';
import type { Flash } from '../http/flash';
import { describeFieldProblem, readTextField, type FieldErrors } from '../http/form-fields';
import { renderForm } from '../http/render-form';
import { requestOrigin } from '../http/request-origin';
import type { SessionCookie } from '../sessions/session-cookie';
import { isPlausibleEmail, normalizeEmail, type User } from '../users/user';
import { InvalidResetLinkError, type PasswordResetService } from './password-reset.service';
import { isWellFormedResetToken } from './reset-token';

export interface PasswordResetRouterDeps {
  resets: PasswordResetService;
  cookie: SessionCookie;
  deviceCookie: DeviceCookie;
  /** The reset logs the browser in: like /login, it gets a fresh CSRF secret. */
  clearCsrfSecret(res: Response): void;
  flash: Flash;
  policy: PasswordPolicy;
  cookieSecure: boolean;
  tokenMinutes: number;
}

const TOKEN_COOKIE = 'reset_token';
const RESET_PATH = '/password/reset';

/**
 * Reset pages hold a live token (in the address for one hop, then in a
 * cookie): no Referer may carry either to another site.
 */
function noReferrer(res: Response): void {
  res.set('Referrer-Policy', 'no-referrer');
}

export function createPasswordResetRouter(deps: PasswordResetRouterDeps): Router {
  const { resets, policy } = deps;
  const router = Router();
  const tokenCookie: CookieOptions = {
    httpOnly: true,
    // Lax, not Strict: the link is opened from a mail client, a cross-site navigation.
    sameSite: 'lax',
    secure: deps.cookieSecure,
    path: RESET_PATH,
  };
  const forgotPage = { title: 'Forgot your password?' };
  const resetPage = { title: 'Choose a new password', minLength: policy.minLength };

  function readToken(req: Request): string | undefined {
    const value: unknown = req.cookies?.[TOKEN_COOKIE];
    return typeof value === 'string' ? value : undefined;
  }

  /** The one answer for every link that cannot be used, with the way forward. */
  function renderInvalidLink(res: Response, failure = new InvalidResetLinkError()): void {
    res.clearCookie(TOKEN_COOKIE, tokenCookie);
    setErrorStatus(res, failure);
    res.render('pages/reset-link-invalid', { title: 'This link does not work' });
  }

  router.get('/password/forgot', (req, res) => {
    renderForm(req, res, 'pages/forgot-password', { ...forgotPage, email: '' });
  });

  router.post('/password/forgot', async (req, res) => {
    const field = readTextField(req.body, 'email');
    const email = 'value' in field ? normalizeEmail(field.value) : '';
    let error: string | undefined;
    if ('problem' in field) error = describeFieldProblem(field.problem, 'e-mail address');
    else if (!isPlausibleEmail(email)) error = 'Enter an e-mail address like name@example.com.';
    if (error !== undefined) {
      res.status(400);
      return renderForm(req, res, 'pages/forgot-password', {
        ...forgotPage,
        email: email.slice(0, 254),
        errors: { email: error },
      });
    }
    try {
      await resets.requestReset(email, requestOrigin(req), deps.deviceCookie.read(req));
    } catch (failure) {
      if (!(failure instanceof TooManyAttemptsError)) throw failure;
      setErrorStatus(res, failure);
      return renderForm(req, res, 'pages/forgot-password', {
        ...forgotPage,
        email,
        formError: `Too many reset requests. Wait ${Math.ceil(failure.retryAfterSeconds / 60)} minute(s), then try again.`,
      });
    }
    // The same page whether or not an account exists for the address.
    res.render('pages/forgot-password-sent', {
      title: 'Check your e-mail',
      email,
      minutes: deps.tokenMinutes,
    });
  });

  // The link from the e-mail: keep the token, then leave the address that holds it.
  router.get(`${RESET_PATH}/:token`, (req, res) => {
    noReferrer(res);
    const token = req.params.token;
    if (!isWellFormedResetToken(token)) return renderInvalidLink(res);
    res.cookie(TOKEN_COOKIE, token, { ...tokenCookie, maxAge: deps.tokenMinutes * 60_000 });
    res.redirect(303, RESET_PATH);
  });

  router.get(RESET_PATH, async (req, res) => {
    noReferrer(res);
    const token = readToken(req);
    const user = token === undefined ? null : await resets.findUserForLink(token);
    if (!user) return renderInvalidLink(res);
    renderResetForm(req, res, user);
  });

  function renderResetForm(req: Request, res: Response, user: User, errors: FieldErrors = {}) {
    renderForm(req, res, 'pages/reset-password', { ...resetPage, email: user.email, errors });
  }

  router.post(RESET_PATH, async (req, res) => {
    noReferrer(res);
    const token = readToken(req);
    const user = token === undefined ? null : await resets.findUserForLink(token);
    if (!user || token === undefined) return renderInvalidLink(res);
    const errors: FieldErrors = {};
    const password = checkNewPassword(req.body, { email: user.email }, policy, errors);
    if (Object.keys(errors).length > 0) {
      res.status(400);
      return renderResetForm(req, res, user, errors);
    }
    try {
      const issued = await resets.resetPassword(token, password, requestOrigin(req));
      res.clearCookie(TOKEN_COOKIE, tokenCookie);
      deps.cookie.set(res, issued);
      deps.clearCsrfSecret(res);
      deps.flash.set(res, 'password-reset');
      res.redirect(303, '/private');
    } catch (failure) {
      if (!(failure instanceof InvalidResetLinkError)) throw failure;
      renderInvalidLink(res, failure);
    }
  });

  return router;
}
