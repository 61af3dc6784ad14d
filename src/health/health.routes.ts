import { Router } from 'express';
import type { DatabaseHandle } from '../db/database';
import { isSchemaCurrent } from '../db/migrate';
import { findUnwritableSqliteFile } from '../db/sqlite-writable';
import type { Logger } from '../logger';

export function createHealthRouter(deps: { database: DatabaseHandle; logger: Logger }): Router {
  const router = Router();
  const { database, logger } = deps;
  /** The file last logged as unwritable: one line per fault, however often /readyz is asked. */
  let reportedFile: string | undefined;

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
   *
   * SQLite's files are checked first, and without touching SQLite: once its
   * -shm is immutable, the query below would end the process with SIGBUS.
   * Which file it is goes to the log, not to whoever asks: /readyz is public.
   */
  router.get('/readyz', async (_req, res) => {
    res.set('Cache-Control', 'no-store');
    const unwritable = database.sqliteFile
      ? findUnwritableSqliteFile(database.sqliteFile)
      : undefined;
    if (unwritable) {
      if (reportedFile !== unwritable.path) {
        reportedFile = unwritable.path;
        logger.error({ file: unwritable.path }, `readyz: SQLite cannot write ${unwritable.path}`);
      }
      return res.status(503).json({ status: 'unavailable', database: 'not writable' });
    }
    reportedFile = undefined;
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
