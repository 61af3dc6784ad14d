import csurf from 'csurf';
import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../config';
import { createHostCookie } from './host-cookie';

export const CSRF_FIELD = '_csrf';

/**
 * csurf in cookie mode (there is no server-side session to keep its secret
 * in): the secret lives in an HttpOnly cookie and each form carries a token
 * derived from it. Only the form body is read, so a token in the query string
 * (which leaks through logs and Referer) does not count.
 */
export function createCsrfProtection(config: Pick<Config, 'cookieSecure'>) {
  const cookie = createHostCookie('csrf', config);
  const middleware: RequestHandler = csurf({
    cookie: { key: cookie.name, ...cookie.options },
    value: (req: Request) => {
      const body: unknown = req.body;
      if (typeof body !== 'object' || body === null) return '';
      const token: unknown = (body as Record<string, unknown>)[CSRF_FIELD];
      return typeof token === 'string' ? token : '';
    },
  });
  return {
    middleware,
    /** Drops the secret, so the next form gets a fresh one (done at login). */
    clearSecret(res: Response): void {
      cookie.clear(res);
    },
  };
}

export function isCsrfError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === 'EBADCSRFTOKEN'
  );
}
