import { Router, type CookieOptions, type Request, type Response } from 'express';
import { setErrorStatus } from '../http/error-answer';
import type { Flash } from '../http/flash';
import { renderForm } from '../http/render-form';
import { requestOrigin } from '../http/request-origin';
import type { SessionCookie } from '../sessions/session-cookie';
import { describeMinutes } from '../mail/account-mail';
import { isWellFormedResetToken } from '../password-reset/reset-token';
import { InvalidConfirmationLinkError, type ConfirmationService } from './confirmation.service';

export interface ConfirmationRouterDeps {
  confirmations: ConfirmationService;
  cookie: SessionCookie;
  /** Confirming a sign-up logs the browser in: like /login, it gets a fresh CSRF secret. */
  clearCsrfSecret(res: Response): void;
  flash: Flash;
  cookieSecure: boolean;
  tokenMinutes: number;
}

const TOKEN_COOKIE = 'confirm_token';
const CONFIRM_PATH = '/confirm';

/** Pages holding a live token (in the address for one hop, then a cookie) send no Referer. */
function noReferrer(res: Response): void {
  res.set('Referrer-Policy', 'no-referrer');
}

/**
 * The link from a confirmation mail, as the reset link works: the token moves
 * from the address into a cookie at once, and a page with a button does the
 * confirming, so a mail scanner that fetches every link uses nothing up.
 */
export function createConfirmationRouter(deps: ConfirmationRouterDeps): Router {
  const { confirmations } = deps;
  const router = Router();
  const tokenCookie: CookieOptions = {
    httpOnly: true,
    // Lax: the link is opened from a mail client, a cross-site navigation.
    sameSite: 'lax',
    secure: deps.cookieSecure,
    path: CONFIRM_PATH,
  };

  function readToken(req: Request): string | undefined {
    const value: unknown = req.cookies?.[TOKEN_COOKIE];
    return typeof value === 'string' ? value : undefined;
  }

  function renderInvalidLink(res: Response, failure = new InvalidConfirmationLinkError()): void {
    res.clearCookie(TOKEN_COOKIE, tokenCookie);
    setErrorStatus(res, failure);
    res.render('pages/confirm-link-invalid', { title: 'This link does not work' });
  }

  router.get(`${CONFIRM_PATH}/:token`, (req, res) => {
    noReferrer(res);
    const token = req.params.token;
    if (!isWellFormedResetToken(token)) return renderInvalidLink(res);
    res.cookie(TOKEN_COOKIE, token, {
      ...tokenCookie,
      maxAge: deps.tokenMinutes * 60_000,
    });
    res.redirect(303, CONFIRM_PATH);
  });

  router.get(CONFIRM_PATH, async (req, res) => {
    noReferrer(res);
    const token = readToken(req);
    if (token === undefined) return renderInvalidLink(res);
    try {
      const link = await confirmations.previewLink(token);
      renderForm(req, res, 'pages/confirm', {
        title:
          link.purpose === 'signup' ? 'Confirm your e-mail address' : 'Confirm your new address',
        email: link.email,
        isSignup: link.purpose === 'signup',
      });
    } catch (failure) {
      if (!(failure instanceof InvalidConfirmationLinkError)) throw failure;
      renderInvalidLink(res, failure);
    }
  });

  router.post(CONFIRM_PATH, async (req, res) => {
    noReferrer(res);
    const token = readToken(req);
    if (token === undefined) return renderInvalidLink(res);
    try {
      const confirmed = await confirmations.confirm(token, requestOrigin(req));
      res.clearCookie(TOKEN_COOKIE, tokenCookie);
      if (confirmed.purpose === 'change') {
        deps.flash.set(res, 'email-changed');
        return res.redirect(303, '/account');
      }
      deps.cookie.set(res, confirmed.issued);
      deps.clearCsrfSecret(res);
      deps.flash.set(res, 'email-confirmed');
      res.redirect(303, '/private');
    } catch (failure) {
      if (!(failure instanceof InvalidConfirmationLinkError)) throw failure;
      renderInvalidLink(res, failure);
    }
  });

  router.post(`${CONFIRM_PATH}/resend`, (req, res) => {
    const ticket: unknown = (req.body as Record<string, unknown> | undefined)?.ticket;
    if (!confirmations.resend(ticket, requestOrigin(req))) {
      res.status(400);
      return res.render('pages/confirm-resend-expired', { title: 'Log in again' });
    }
    res.render('pages/check-inbox', {
      title: 'Check your inbox',
      isResend: true,
      validFor: describeMinutes(deps.tokenMinutes),
    });
  });

  return router;
}
