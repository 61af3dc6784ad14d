import { Router, type Request, type Response } from 'express';
import { TooManyAttemptsError } from '../abuse/rate-limit';
import type { Flash } from '../http/flash';
import { setErrorStatus } from '../http/error-answer';
import type { FieldErrors } from '../http/form-fields';
import { renderForm } from '../http/render-form';
import { requestOrigin } from '../http/request-origin';
import type { RecentLoginGate } from '../reauth/recent-login';
import type { CurrentUserMiddleware } from '../sessions/current-user';
import type { User } from '../users/user';
import { CODE_FIELD, readCodeField } from './code-field';
import { InvalidTwoStepCodeError } from './two-step.errors';
import type { TwoStepService } from './two-step.service';

const SETUP = '/account/two-step/setup';
const DISABLE = '/account/two-step/disable';

function signedInUser(res: Response): User {
  const { user } = res.locals;
  if (!user) throw new Error('the two-step routes need requireUser');
  return user;
}

/** The refusals these forms show inline: a wrong code, too many of them. */
function isCodeRefusal(error: unknown): error is InvalidTwoStepCodeError | TooManyAttemptsError {
  return error instanceof InvalidTwoStepCodeError || error instanceof TooManyAttemptsError;
}

/** The codes as a text file, for the download link: no route serves them again. */
function recoveryCodesFile(codes: readonly string[], email: string): string {
  const text = [
    `Gatehouse recovery codes for ${email}`,
    'Each code signs you in once when you cannot use your authenticator app.',
    '',
    ...codes,
    '',
  ].join('\n');
  return `data:text/plain;charset=utf-8;base64,${Buffer.from(text).toString('base64')}`;
}

/**
 * Turning two-step sign-in on and off from the account page. Every route is
 * behind sudo mode: a stolen session cookie alone can neither add an
 * authenticator of the thief's nor remove the owner's.
 */
export function createTwoStepRouter(deps: {
  twoStep: TwoStepService;
  currentUser: CurrentUserMiddleware;
  recentLogin: RecentLoginGate;
  flash: Flash;
}): Router {
  const { twoStep } = deps;
  const router = Router();
  router.use('/account/two-step', deps.currentUser.requireUser);

  async function renderSetup(req: Request, res: Response, errors: FieldErrors = {}) {
    const pending = await twoStep.findPendingSetup(signedInUser(res));
    if (!pending) return res.redirect(303, '/account');
    renderForm(req, res, 'pages/two-step-setup', {
      title: 'Turn on two-step sign-in',
      ...pending,
      codeField: CODE_FIELD,
      errors,
    });
  }

  function renderDisable(
    req: Request,
    res: Response,
    view: { errors?: FieldErrors; formError?: string } = {},
  ) {
    renderForm(req, res, 'pages/two-step-disable', { title: 'Turn off two-step sign-in', ...view });
  }

  function renderCodes(req: Request, res: Response, codes: string[], isNew: boolean) {
    const user = signedInUser(res);
    renderForm(req, res, 'pages/recovery-codes', {
      title: 'Your recovery codes',
      codes,
      isNew,
      downloadHref: recoveryCodesFile(codes, user.email),
    });
  }

  router.post('/account/two-step/setup', deps.recentLogin.require('/account'), async (req, res) => {
    await twoStep.beginSetup(signedInUser(res));
    res.redirect(303, SETUP);
  });

  router.get(SETUP, deps.recentLogin.require(), (req, res) => renderSetup(req, res));

  router.post('/account/two-step/enable', deps.recentLogin.require(SETUP), async (req, res) => {
    const typed = readCodeField(req.body);
    if ('errors' in typed) {
      res.status(400);
      return renderSetup(req, res, typed.errors);
    }
    try {
      const codes = await twoStep.enable(signedInUser(res), typed.code, requestOrigin(req));
      renderCodes(req, res, codes, true);
    } catch (error) {
      if (!isCodeRefusal(error)) throw error;
      setErrorStatus(res, error);
      const message =
        error instanceof InvalidTwoStepCodeError
          ? 'That code is not right. Enter the 6-digit code your app shows now for Gatehouse.'
          : error.message;
      return renderSetup(req, res, { [CODE_FIELD]: message });
    }
  });

  router.get(DISABLE, deps.recentLogin.require(), async (req, res) => {
    if (!(await twoStep.isOn(signedInUser(res).id))) return res.redirect(303, '/account');
    renderDisable(req, res);
  });

  router.post(DISABLE, deps.recentLogin.require(DISABLE), async (req, res) => {
    const typed = readCodeField(req.body);
    if ('errors' in typed) {
      res.status(400);
      return renderDisable(req, res, { errors: typed.errors });
    }
    const user = signedInUser(res);
    if (!(await twoStep.isOn(user.id))) return res.redirect(303, '/account');
    try {
      await twoStep.disable(user, typed.code, requestOrigin(req));
    } catch (error) {
      if (!isCodeRefusal(error)) throw error;
      setErrorStatus(res, error);
      return renderDisable(req, res, { errors: { [CODE_FIELD]: error.message } });
    }
    deps.flash.set(res, 'two-step-disabled');
    res.redirect(303, '/account');
  });

  router.post(
    '/account/two-step/recovery-codes',
    deps.recentLogin.require('/account'),
    async (req, res) => {
      const codes = await twoStep.regenerateRecoveryCodes(signedInUser(res), requestOrigin(req));
      renderCodes(req, res, codes, false);
    },
  );

  return router;
}
