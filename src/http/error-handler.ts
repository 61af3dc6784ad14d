import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { describeDatabaseFault } from '../db/database-errors';
import { notFound } from '../errors';
import type { Logger } from '../logger';
import { describeError, setErrorStatus, toJsonError, type ErrorAnswer } from './error-answer';

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound());

/**
 * What every error answer starts with: the answer for the error, the server's
 * record of it when it is a fault (not a person's mistake), and the status
 * and Retry-After. The caller writes the body in its own format.
 */
export function startErrorAnswer(
  error: unknown,
  req: Request,
  res: Response,
  logger: Logger,
): ErrorAnswer {
  const answer = describeError(error);
  if (answer.code === 'database_unavailable') {
    // One line, no stack: the fault is the storage's or the network's, not
    // this code's, and the driver error's other fields may hold row values.
    logger.error(
      { reqId: req.id, path: req.path, dbError: describeDatabaseFault(error) },
      'database unavailable',
    );
  } else if (answer.status >= 500) {
    logger.error({ err: error, reqId: req.id, path: req.path }, 'unhandled error');
  }
  setErrorStatus(res, answer);
  return answer;
}

/** The site's error handler: the error page, or JSON or plain text when the client asks. */
export function createErrorHandler(deps: {
  logger: Logger;
  isProduction: boolean;
}): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const answer = startErrorAnswer(error, req, res, deps.logger);
    // Only a fault of ours has a stack worth showing, and only to its developer.
    const stack =
      !deps.isProduction && error instanceof Error && answer.status >= 500
        ? error.stack
        : undefined;
    res.format({
      html: () => res.render('errors/error', { ...answer, stack }),
      json: () => res.json(toJsonError(answer)),
      default: () => res.type('text/plain').send(`${answer.title}: ${answer.message}`),
    });
  };
}
