import { sql } from 'kysely';
import { Router } from 'express';
import type { Db } from '../db/database';

export function createHealthRouter(deps: { db: Db }): Router {
  const router = Router();

  router.get('/healthz', async (_req, res) => {
    res.set('Cache-Control', 'no-store');
    try {
      await sql`select 1`.execute(deps.db);
      res.json({ status: 'ok', database: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'unreachable' });
    }
  });

  return router;
}
