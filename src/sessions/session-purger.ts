import type { Clock } from '../clock';
import type { Db } from '../db/database';
import type { Logger } from '../logger';
import { deleteEventsBefore } from '../events/auth-events.repository';
import {
  deleteAbandonedSignups,
  deleteStaleConfirmations,
} from '../confirmation/email-confirmations.repository';
import { deleteStalePasswordResets } from '../password-reset/password-resets.repository';
import { deleteExpiredChallenges } from '../two-step/two-step.repository';
import { deleteExpiredSessions } from './sessions.repository';

const PURGE_INTERVAL_MS = 15 * 60_000;

/**
 * Deletes expired session rows, reset and confirmation links expired for a
 * day, sign-ups never confirmed, and audit events past their retention, now and every 15 minutes. Expired rows are
 * already refused where they are read; this keeps the tables (and the disk)
 * from growing without end.
 */
export function startSessionPurger(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  auditRetentionDays: number;
  /** How long confirmation links work: abandoned sign-ups are deleted a day after. */
  confirmTokenMinutes: number;
}): () => void {
  const purge = async () => {
    try {
      const { db } = deps;
      const now = deps.clock.now();
      const count = await deleteExpiredSessions(db, now);
      if (count > 0) deps.logger.info({ count }, 'purged expired sessions');
      const resets = await deleteStalePasswordResets(db, now);
      if (resets > 0) deps.logger.info({ count: resets }, 'purged expired password reset links');
      const abandoned = await deleteAbandonedSignups(db, now, deps.confirmTokenMinutes);
      if (abandoned > 0) deps.logger.info({ count: abandoned }, 'purged sign-ups never confirmed');
      const links = await deleteStaleConfirmations(db, now);
      if (links > 0) deps.logger.info({ count: links }, 'purged expired confirmation links');
      const challenges = await deleteExpiredChallenges(db, now);
      if (challenges > 0)
        deps.logger.info({ count: challenges }, 'purged expired login challenges');
      const cutoff = new Date(now.getTime() - deps.auditRetentionDays * 86_400_000);
      const events = await deleteEventsBefore(db, cutoff);
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
