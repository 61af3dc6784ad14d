import type { RequestHandler } from 'express';

/**
 * cookie-parser decodes `j:`-prefixed values as JSON. Gatehouse only ever sets
 * plain strings, so any other value is forged: it becomes an empty string,
 * which each cookie's owner treats as invalid and replaces or clears.
 */
export const keepCookiesPlain: RequestHandler = (req, _res, next) => {
  const cookies = req.cookies as Record<string, unknown> | undefined;
  if (cookies) {
    for (const [name, value] of Object.entries(cookies)) {
      if (typeof value !== 'string') cookies[name] = '';
    }
  }
  next();
};
