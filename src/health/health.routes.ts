import { Router } from 'express';
import type { DatabaseHandle } from '../db/database';
import { isSchemaCurrent } from '../db/migrate';

export function createHealthRouter(deps: { database: DatabaseHandle }): Router {
  const router = Router();
  const { database } = deps;

  /**
   * Liveness for the container's HEALTHCHECK: the process is up and answers.
   * It deliberately ignores the database: restarting the app does not bring
   * a lost database back, so an outage must not make the orchestrator
   * restart every instance (that is what /readyz is for: take it out of the
   * load balancer instead).
   */
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
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
