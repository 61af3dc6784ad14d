import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger';
import { redactUrl } from './redact-url';

/**
 * One log line per request, when it ends: its id (also sent as X-Request-Id),
 * method, path (never the query), status, time taken and, once known, the
 * user's id: never a token or a cookie.
 *
 * Built for a line on every request: one plain object (pino-http made two or
 * three child loggers per request), one 'close' listener (emitted once a
 * response has finished or its connection has gone), and a child logger
 * without the redaction pass. The line holds only the fields named above, so
 * redaction could never find anything in it, and it tripled the cost of
 * writing the line.
 */
export function createRequestLog(logger: Logger): RequestHandler {
  const requestLogger = logger.child({}, { redact: [] });

  return (req, res, next) => {
    const id = randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    const startedAt = Date.now();
    const url = redactUrl(req.url);
    let failure: Error | undefined;

    // Kept, not once: a second 'error' with no listener would crash the process.
    res.on('error', (error: Error) => {
      failure ??= error;
    });
    res.once('close', () => {
      const userId = res.locals.user?.id;
      const line = {
        req: { id, method: req.method, url },
        ...(userId === undefined ? {} : { userId }),
        res: { statusCode: res.headersSent ? res.statusCode : null },
        responseTime: Date.now() - startedAt,
      };
      if (failure || res.statusCode >= 500) {
        const error = failure ?? new Error(`failed with status code ${res.statusCode}`);
        // A bare copy: with no redaction pass, the error's own properties
        // (which could hold anything) must not reach the line.
        const err = new Error(error.message);
        err.name = error.name;
        err.stack = error.stack;
        requestLogger.info({ ...line, err }, 'request errored');
        return;
      }
      const isComplete = !req.readableAborted && res.writableFinished;
      requestLogger.info(line, isComplete ? 'request completed' : 'request aborted');
    });
    next();
  };
}
