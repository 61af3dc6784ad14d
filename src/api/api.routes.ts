import { Router, type Response } from 'express';
import { RateLimitUnavailableError, TooManyAttemptsError } from '../abuse/rate-limit';
import { AccountDisabledError, InvalidCredentialsError } from '../auth/auth.errors';
import { HashingBusyError } from '../auth/hashing-limiter';
import type { AuthService } from '../auth/auth.service';
import { MAX_PASSWORD_LENGTH } from '../auth/login-form';
import { readTextField } from '../http/form-fields';
import { MAX_EMAIL_LENGTH } from '../users/user';
import { requestOrigin } from '../http/request-origin';
import type { SessionsService } from '../sessions/sessions.service';
import { readBearerToken } from './bearer-token';
import { createApiCors } from './cors';

/** The JSON API's paths: their errors are JSON whatever the Accept header says. */
export const API_PATHS: readonly string[] = ['/token', '/users/me'];

/** RFC 6749 §5.2 error answer. */
function oauthError(res: Response, status: number, error: string, description?: string) {
  res.status(status).json(description ? { error, error_description: description } : { error });
}

/**
 * The seeds' JSON API: OAuth2's password grant at /token and a bearer-protected
 * /users/me. No cookie is read or set here, so no CSRF token is needed.
 */
export function createApiRouter(deps: {
  auth: AuthService;
  sessions: SessionsService;
  corsOrigins: readonly string[];
}): Router {
  const { auth, sessions } = deps;
  const router = Router();
  const cors = createApiCors(deps.corsOrigins);
  // router.all matches these exact paths (router.use would match /token/anything too).
  router.all([...API_PATHS], cors, (_req, res, next) => {
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
      return oauthError(res, 400, 'invalid_request', 'Send one grant_type=password.');
    }
    if ('value' in grantType && grantType.value !== 'password') {
      return oauthError(
        res,
        400,
        'unsupported_grant_type',
        'Only grant_type=password is supported.',
      );
    }
    const username = readTextField(req.body, 'username');
    const password = readTextField(req.body, 'password');
    if (
      !('value' in username) ||
      !('value' in password) ||
      username.value === '' ||
      password.value === ''
    ) {
      return oauthError(
        res,
        400,
        'invalid_request',
        'Send username (your e-mail) and password, form-encoded.',
      );
    }
    if (username.value.length > MAX_EMAIL_LENGTH) {
      return oauthError(
        res,
        400,
        'invalid_request',
        `An e-mail address has at most ${MAX_EMAIL_LENGTH} characters.`,
      );
    }
    if (password.value.length > MAX_PASSWORD_LENGTH) {
      return oauthError(
        res,
        400,
        'invalid_request',
        `Passwords have at most ${MAX_PASSWORD_LENGTH} characters.`,
      );
    }
    try {
      const issued = await auth.logIn({
        email: username.value,
        password: password.value,
        kind: 'api',
        origin: requestOrigin(req),
      });
      const expiresIn = Math.round((issued.expiresAt.getTime() - issued.issuedAt.getTime()) / 1000);
      res.json({ access_token: issued.token, token_type: 'bearer', expires_in: expiresIn });
    } catch (error) {
      if (error instanceof InvalidCredentialsError || error instanceof AccountDisabledError) {
        return oauthError(res, 400, 'invalid_grant', error.message);
      }
      if (
        error instanceof TooManyAttemptsError ||
        error instanceof HashingBusyError ||
        error instanceof RateLimitUnavailableError
      ) {
        res.set('Retry-After', String(error.retryAfterSeconds));
        return error instanceof TooManyAttemptsError
          ? oauthError(res, 429, 'too_many_attempts', error.message)
          : oauthError(res, 503, 'temporarily_unavailable', error.message);
      }
      throw error;
    }
  });

  router.get('/users/me', async (req, res) => {
    const token = readBearerToken(req);
    const result = token === undefined ? null : await sessions.resumeSession(token, 'api');
    if (!result) {
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      return oauthError(
        res,
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

  return router;
}
