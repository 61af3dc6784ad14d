import type { RequestHandler } from 'express';

/**
 * CORS for the JSON API only, for exactly the configured origins. Never with
 * credentials: the API authenticates with bearer tokens, not cookies.
 */
export function createApiCors(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    if (origin === undefined || !allowed.has(origin)) {
      return req.method === 'OPTIONS' ? res.status(204).end() : next();
    }
    res.set('Access-Control-Allow-Origin', origin);
    if (req.method !== 'OPTIONS') return next();
    res.set({
      'Access-Control-Allow-Methods': 'GET, POST',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type',
      'Access-Control-Max-Age': '600',
    });
    res.status(204).end();
  };
}
