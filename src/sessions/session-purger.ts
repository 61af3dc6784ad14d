import type { Clock } from '../clock';
import type { Db } from '../db/database';
import type { Logger } from '../logger';
import { deleteExpiredSessions } from './sessions.repository';

const PURGE_INTERVAL_MS = 15 * 60_000;

/**
 * Deletes expired session rows now and every 15 minutes. Expired rows are
 * already refused by the per-request check; this only keeps the table small.
 */
export function startSessionPurger(deps: { db: Db; clock: Clock; logger: Logger }): () => void {
  const purge = async () => {
    try {
      const count = await deleteExpiredSessions(deps.db, deps.clock.now());
      if (count > 0) deps.logger.info({ count }, 'purged expired sessions');
    } catch (error) {
      deps.logger.warn({ err: error }, 'could not purge expired sessions');
    }
  };
  void purge();
  const timer = setInterval(() => void purge(), PURGE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
