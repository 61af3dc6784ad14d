import { Router } from 'express';
import type { AuthService } from '../auth/auth.service';
import { MAX_PASSWORD_LENGTH } from '../auth/login-form';
import { HttpError, notFound } from '../errors';
import { parseFormBody } from '../http/form-body';
import { readTextField } from '../http/form-fields';
import type { Logger } from '../logger';
import { MAX_CODE_LENGTH } from '../two-step/two-step.service';
import { MAX_EMAIL_LENGTH } from '../users/user';
import { requestOrigin } from '../http/request-origin';
import type { SessionsService } from '../sessions/sessions.service';
import { createApiErrorHandler } from './api-errors';
import { readBearerToken } from './bearer-token';
import { createApiCors } from './cors';

const API_PATHS = ['/token', '/users/me'];

/** RFC 6749 §5.2: the token request itself is malformed. */
const invalidRequest = (description: string) => new HttpError(400, 'invalid_request', description);

/**
 * The seeds' JSON API: OAuth2's password grant at /token and a bearer-protected
 * /users/me. No cookie is read or set here, so no CSRF token is needed.
 */
export function createApiRouter(deps: {
  auth: AuthService;
  sessions: SessionsService;
  corsOrigins: readonly string[];
  logger: Logger;
}): Router {
  const { auth, sessions } = deps;
  const router = Router();
  const cors = createApiCors(deps.corsOrigins);
  // router.all matches these exact paths (router.use would match /token/anything too).
  // The body is read here, not by the site's parser, so that its errors (413) are the API's.
  router.all(API_PATHS, parseFormBody, cors, (_req, res, next) => {
    // RFC 6749 §5.1: token answers must not be cached.
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    next();
  });

  router.post('/token', async (req, res) => {
    // grant_type is required by RFC 6749 §4.3.2, but the seeds' clients
    // (FastAPI's OAuth2PasswordRequestForm) may leave it out: absent is
    // tolerated, anything but one `password` is not.
    const grantType = readTextField(req.body, 'grant_type');
    if ('problem' in grantType && grantType.problem !== 'missing') {
      throw invalidRequest('Send one grant_type=password.');
    }
    if ('value' in grantType && grantType.value !== 'password') {
      throw new HttpError(400, 'unsupported_grant_type', 'Only grant_type=password is supported.');
    }
    const username = readTextField(req.body, 'username');
    const password = readTextField(req.body, 'password');
    if (
      !('value' in username) ||
      !('value' in password) ||
      username.value === '' ||
      password.value === ''
    ) {
      throw invalidRequest('Send username (your e-mail) and password, form-encoded.');
    }
    if (username.value.length > MAX_EMAIL_LENGTH) {
      throw invalidRequest(`An e-mail address has at most ${MAX_EMAIL_LENGTH} characters.`);
    }
    if (password.value.length > MAX_PASSWORD_LENGTH) {
      throw invalidRequest(`Passwords have at most ${MAX_PASSWORD_LENGTH} characters.`);
    }
    // Only two-step accounts need it; without it theirs is refused as invalid_grant.
    const otp = readTextField(req.body, 'otp');
    if ('problem' in otp && otp.problem !== 'missing') {
      throw invalidRequest('Send one otp (the 6-digit two-step code, or a recovery code).');
    }
    if ('value' in otp && otp.value.length > MAX_CODE_LENGTH) {
      throw invalidRequest(`An otp has at most ${MAX_CODE_LENGTH} characters.`);
    }
    // Refusals (wrong password or code, throttled, busy) are answered by the API's error handler.
    const issued = await auth.logIn({
      email: username.value,
      password: password.value,
      kind: 'api',
      origin: requestOrigin(req),
      ...('value' in otp && otp.value.trim() !== '' ? { otp: otp.value } : {}),
    });
    const expiresIn = Math.round((issued.expiresAt.getTime() - issued.issuedAt.getTime()) / 1000);
    res.json({ access_token: issued.token, token_type: 'bearer', expires_in: expiresIn });
  });

  router.get('/users/me', async (req, res) => {
    const token = readBearerToken(req);
    const result = token === undefined ? null : await sessions.resumeSession(token, 'api');
    if (!result) {
      throw new HttpError(
        401,
        'invalid_token',
        'Send a valid, unexpired access token from /token.',
      );
    }
    const { user } = result;
    res.json({
      id: user.id,
      email: user.email,
      full_name: user.fullName,
      is_active: user.isActive,
      created_at: user.createdAt.toISOString(),
    });
  });

  // Anything else at these paths (GET /token, POST /users/me) is a JSON 404.
  router.all(API_PATHS, () => {
    throw notFound();
  });
  router.use(createApiErrorHandler(deps));
  return router;
}
