import type { Response } from 'express';
import { isDatabaseUnavailable } from '../db/database-errors';
import { HttpError } from '../errors';
import { isCsrfError } from './csrf';

/** What a person (or a client) is told about an error: the one mapping from thrown values. */
export interface ErrorAnswer {
  status: number;
  code: string;
  title: string;
  message: string;
  /** What the person can do about it. */
  advice: string;
  details: Record<string, unknown>;
  retryAfterSeconds?: number | undefined;
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

function answer(
  status: number,
  code: string,
  message: string,
  extra: { details?: Record<string, unknown>; retryAfterSeconds?: number | undefined } = {},
): ErrorAnswer {
  const { title, advice } = ADVICE[status] ?? (status >= 500 ? FALLBACK_5XX : FALLBACK_4XX);
  const details = extra.details ?? {};
  return {
    status,
    code,
    title,
    message,
    advice,
    details,
    retryAfterSeconds: extra.retryAfterSeconds,
  };
}

/**
 * Turns any thrown value into its answer. Our own errors carry theirs (see
 * HttpError); the rest are the libraries' errors we know by shape, and
 * anything else is a fault of ours: a 500 with a fixed message.
 */
export function describeError(error: unknown): ErrorAnswer {
  if (error instanceof HttpError) {
    return answer(error.status, error.code, error.message, {
      details: error.details,
      retryAfterSeconds: error.retryAfterSeconds,
    });
  }
  if (isDatabaseUnavailable(error)) {
    return { status: 503, code: 'database_unavailable', details: {}, ...DATABASE_UNAVAILABLE };
  }
  if (isCsrfError(error)) {
    return answer(403, 'csrf', 'This form has expired: reload the page and try again.');
  }
  const bodyError = error as { type?: unknown; status?: unknown };
  if (bodyError.type === 'entity.too.large' || bodyError.type === 'parameters.too.many') {
    return answer(413, 'too_large', 'That request was larger than this site accepts.');
  }
  if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) {
    // body-parser's own client errors: bad encoding, unparseable body, charset.
    return answer(bodyError.status, 'bad_request', 'The submitted data could not be read.');
  }
  // Fixed text: nothing of the error itself reaches the client.
  return answer(500, 'internal', 'Something went wrong on our side.');
}

/**
 * Sets an error's status and, when it has one, its Retry-After: for the error
 * handlers, and for a route that answers an expected refusal with its form.
 */
export function setErrorStatus(
  res: Response,
  error: { status: number; retryAfterSeconds?: number | undefined },
): void {
  res.status(error.status);
  if (error.retryAfterSeconds !== undefined) {
    res.set('Retry-After', String(error.retryAfterSeconds));
  }
}

/** The site's JSON error body, for clients that ask for JSON. */
export function toJsonError(answer: ErrorAnswer): { error: string; message: string } {
  return { error: answer.code, message: answer.message };
}
