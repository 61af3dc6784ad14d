import { sql } from 'kysely';
import { Router } from 'express';
import type { DatabaseHandle } from '../db/database';
import { isSchemaCurrent } from '../db/migrate';

export function createHealthRouter(deps: { database: DatabaseHandle }): Router {
  const router = Router();
  const { database } = deps;

  /** Liveness for the container's HEALTHCHECK: the process answers and so does the database. */
  router.get('/healthz', async (_req, res) => {
    res.set('Cache-Control', 'no-store');
    try {
      await sql`select 1`.execute(database.db);
      res.json({ status: 'ok', database: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'unreachable' });
    }
  });

  /**
   * Readiness for a load balancer: the database answers and every migration
   * this code knows has been applied (an instance started with
   * MIGRATE_ON_START=false before `npm run db:migrate` is not ready).
   */
  router.get('/readyz', async (_req, res) => {
    res.set('Cache-Control', 'no-store');
    let isCurrent: boolean;
    try {
      isCurrent = await isSchemaCurrent(database);
    } catch {
      return res.status(503).json({ status: 'unavailable', database: 'unreachable' });
    }
    if (!isCurrent) {
      return res.status(503).json({ status: 'unavailable', database: 'migrations pending' });
    }
    res.json({ status: 'ready', database: 'ok', migrations: 'current' });
  });

  return router;
}
