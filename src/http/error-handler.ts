import type { ErrorRequestHandler, RequestHandler } from 'express';
import { RateLimitUnavailableError, TooManyAttemptsError } from '../abuse/rate-limit';
import { HashingBusyError } from '../auth/hashing-limiter';
import { describeDatabaseFault, isDatabaseUnavailable } from '../db/database-errors';
import { API_PATHS } from '../api/api.routes';
import { HttpError, notFound } from '../errors';
import type { Logger } from '../logger';
import { isCsrfError } from './csrf';

interface ErrorAnswer {
  status: number;
  code: string;
  title: string;
  message: string;
  /** What the person can do about it. */
  advice: string;
  details: Record<string, unknown>;
  retryAfterSeconds?: number;
}

const ADVICE: Record<number, { title: string; advice: string }> = {
  400: { title: 'That request could not be understood', advice: 'Check the form and try again.' },
  401: { title: 'Please log in', advice: 'Log in and try again.' },
  403: { title: 'Not allowed', advice: 'Go back, reload the page and try again.' },
  404: { title: 'Page not found', advice: 'Check the address, or start again from the home page.' },
  413: { title: 'Too much data', advice: 'Send less: forms here only need a few fields.' },
  415: { title: 'Unsupported format', advice: 'Submit the form from the page itself.' },
  429: { title: 'Too many attempts', advice: 'Wait a little, then try again.' },
  500: { title: 'Something went wrong', advice: 'Please try again in a moment.' },
  503: { title: 'Busy right now', advice: 'Please try again in a moment.' },
};

/**
 * The database is read-only, full, failing or out of reach: say so in words a
 * person understands, and when to come back. Such faults take minutes to fix,
 * so clients are asked to wait a minute rather than retry at once.
 */
const DATABASE_UNAVAILABLE = {
  title: 'Temporarily unavailable',
  message: "Gatehouse can't save or read data right now.",
  advice: 'Please try again in a few minutes.',
  retryAfterSeconds: 60,
};

const FALLBACK_4XX = {
  title: 'That request could not be handled',
  advice: 'Go back and try again.',
};
const FALLBACK_5XX = { title: 'Something went wrong', advice: 'Please try again in a moment.' };

/** Turns any thrown value into the answer a person (or a client) should see. */
function describe(error: unknown): ErrorAnswer {
  const make = (status: number, code: string, message: string, details = {}) => {
    const { title, advice } = ADVICE[status] ?? (status >= 500 ? FALLBACK_5XX : FALLBACK_4XX);
    return { status, code, title, message, advice, details };
  };
  if (error instanceof HttpError)
    return make(error.status, error.code, error.message, error.details);
  if (error instanceof TooManyAttemptsError) {
    return {
      ...make(429, 'too_many_attempts', error.message),
      retryAfterSeconds: error.retryAfterSeconds,
    };
  }
  if (error instanceof RateLimitUnavailableError) {
    return { ...make(503, 'busy', error.message), retryAfterSeconds: error.retryAfterSeconds };
  }
  if (error instanceof HashingBusyError) {
    return { ...make(503, 'busy', error.message), retryAfterSeconds: error.retryAfterSeconds };
  }
  if (isDatabaseUnavailable(error)) {
    return { status: 503, code: 'database_unavailable', details: {}, ...DATABASE_UNAVAILABLE };
  }
  if (isCsrfError(error)) {
    return make(403, 'csrf', 'This form has expired: reload the page and try again.');
  }
  const bodyError = error as { type?: unknown; status?: unknown };
  if (bodyError.type === 'entity.too.large' || bodyError.type === 'parameters.too.many') {
    return make(413, 'too_large', 'That request was larger than this site accepts.');
  }
  if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) {
    // body-parser's own client errors: bad encoding, unparseable body, charset.
    return make(bodyError.status, 'bad_request', 'The submitted data could not be read.');
  }
  return make(500, 'internal', 'Something went wrong on our side.');
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound());

export function createErrorHandler(deps: {
  logger: Logger;
  isProduction: boolean;
}): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const answer = describe(error);
    if (answer.code === 'database_unavailable') {
      // One line, no stack: the fault is the storage's or the network's, not
      // this code's, and the driver error's other fields may hold row values.
      deps.logger.error(
        { reqId: req.id, path: req.path, dbError: describeDatabaseFault(error) },
        'database unavailable',
      );
    } else if (answer.status >= 500) {
      deps.logger.error({ err: error, reqId: req.id, path: req.path }, 'unhandled error');
    }
    const stack =
      !deps.isProduction && error instanceof Error && answer.status >= 500
        ? error.stack
        : undefined;
    res.status(answer.status);
    if (answer.retryAfterSeconds !== undefined)
      res.set('Retry-After', String(answer.retryAfterSeconds));
    const json = () => res.json({ error: answer.code, message: answer.message });
    // An API client gets JSON even when it sends no Accept header (curl, SDKs).
    if (API_PATHS.includes(req.path)) return json();
    res.format({
      html: () => res.render('errors/error', { ...answer, stack }),
      json,
      default: () => res.type('text/plain').send(`${answer.title}: ${answer.message}`),
    });
  };
}
