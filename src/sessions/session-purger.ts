import type { Clock } from '../clock';
import type { Db } from '../db/database';
import type { Logger } from '../logger';
import { deleteEventsBefore } from '../events/auth-events.repository';
import { deleteStalePasswordResets } from '../password-reset/password-resets.repository';
import { deleteExpiredChallenges } from '../two-step/two-step.repository';
import { deleteExpiredSessions } from './sessions.repository';

const PURGE_INTERVAL_MS = 15 * 60_000;

/**
 * Deletes expired session rows, reset links expired for a day, and audit
 * events past their retention, now and every 15 minutes. Expired rows are
 * already refused where they are read; this keeps the tables (and the disk)
 * from growing without end.
 */
export function startSessionPurger(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  auditRetentionDays: number;
}): () => void {
  const purge = async () => {
    try {
      const count = await deleteExpiredSessions(deps.db, deps.clock.now());
      if (count > 0) deps.logger.info({ count }, 'purged expired sessions');
      const resets = await deleteStalePasswordResets(deps.db, deps.clock.now());
      if (resets > 0) deps.logger.info({ count: resets }, 'purged expired password reset links');
      const challenges = await deleteExpiredChallenges(deps.db, deps.clock.now());
      if (challenges > 0)
        deps.logger.info({ count: challenges }, 'purged expired login challenges');
      const cutoff = new Date(deps.clock.now().getTime() - deps.auditRetentionDays * 86_400_000);
      const events = await deleteEventsBefore(deps.db, cutoff);
      if (events > 0) deps.logger.info({ count: events }, 'purged audit events past retention');
    } catch (error) {
      deps.logger.warn({ err: error }, 'could not purge expired sessions');
    }
  };
  void purge();
  const timer = setInterval(() => void purge(), PURGE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
