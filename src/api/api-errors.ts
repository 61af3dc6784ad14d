import type { ErrorRequestHandler } from 'express';
import { HttpError } from '../errors';
import { setErrorStatus, toJsonError } from '../http/error-answer';
import { startErrorAnswer } from '../http/error-handler';
import type { Logger } from '../logger';

/** RFC 6749 §5.2 and RFC 6750 §3.1 codes, which the API's routes throw as they are. */
const OAUTH_CODES = new Set(['invalid_request', 'unsupported_grant_type', 'invalid_token']);

interface OAuthAnswer {
  status: number;
  error: string;
  description: string;
  retryAfterSeconds: number | undefined;
}

/**
 * The RFC 6749 §5.2 answer for a refusal of ours, or undefined for what is
 * not a refusal (no such path, a body too large, the database away, a bug).
 * Credentials refused, for whatever reason (401, 403), are the grant being
 * invalid, which RFC 6749 answers with 400; being busy (503) is
 * temporarily_unavailable; a rate limit (429) keeps its own code.
 */
function toOAuthAnswer(error: unknown): OAuthAnswer | undefined {
  if (!(error instanceof HttpError)) return undefined;
  const answer = (status: number, code: string) => ({
    status,
    error: code,
    description: error.message,
    retryAfterSeconds: error.retryAfterSeconds,
  });
  if (OAUTH_CODES.has(error.code)) return answer(error.status, error.code);
  if (error.status === 401 || error.status === 403) return answer(400, 'invalid_grant');
  if (error.status === 503) return answer(503, 'temporarily_unavailable');
  if (error.status === 429) return answer(429, error.code);
  return undefined;
}

/**
 * The JSON API's error handler: every error of the API's paths is JSON,
 * whatever the Accept header says, since API clients (curl, SDKs) often send
 * none. Refusals take OAuth's shapes; the rest get the site's JSON error.
 */
export function createApiErrorHandler(deps: { logger: Logger }): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const oauth = toOAuthAnswer(error);
    if (!oauth) return res.json(toJsonError(startErrorAnswer(error, req, res, deps.logger)));
    setErrorStatus(res, oauth);
    // RFC 6750 §3: a refused bearer token comes with its challenge.
    if (oauth.status === 401) res.set('WWW-Authenticate', `Bearer error="${oauth.error}"`);
    res.json({ error: oauth.error, error_description: oauth.description });
  };
}
