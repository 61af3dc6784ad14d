import path from 'node:path';
import express, { type Express } from 'express';
import { publicDir } from '../paths';

/**
 * Static files only under their own paths, so dynamic pages never cost a
 * file-system lookup first. Added to the app itself, not a router, so the
 * other requests pass no extra layer.
 */
export function serveStaticFiles(app: Express, options: { isProduction: boolean }): void {
  const staticOptions = { index: false, maxAge: options.isProduction ? '1h' : 0 };
  app.use('/css', express.static(path.join(publicDir, 'css'), staticOptions));
  app.get('/favicon.svg', (_req, res) =>
    res.sendFile(path.join(publicDir, 'favicon.svg'), staticOptions),
  );
}
