import type { Clock } from '../clock';
import type { Db } from '../db/database';
import type { Logger } from '../logger';
import { deleteStalePasswordResets } from '../password-reset/password-resets.repository';
import { deleteExpiredSessions } from './sessions.repository';

const PURGE_INTERVAL_MS = 15 * 60_000;

/**
 * Deletes expired session rows (and reset links expired for a day) now and
 * every 15 minutes. Expired rows are already refused where they are read;
 * this only keeps the tables small.
 */
export function startSessionPurger(deps: { db: Db; clock: Clock; logger: Logger }): () => void {
  const purge = async () => {
    try {
      const count = await deleteExpiredSessions(deps.db, deps.clock.now());
      if (count > 0) deps.logger.info({ count }, 'purged expired sessions');
      const resets = await deleteStalePasswordResets(deps.db, deps.clock.now());
      if (resets > 0) deps.logger.info({ count: resets }, 'purged expired password reset links');
    } catch (error) {
      deps.logger.warn({ err: error }, 'could not purge expired sessions');
    }
  };
  void purge();
  const timer = setInterval(() => void purge(), PURGE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
