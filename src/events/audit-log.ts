import type { Clock } from '../clock';
import type { Db } from '../db/database';
import type { Logger } from '../logger';
import type { AuthEventType, RequestOrigin } from './auth-event';
import { recordAuthEvent } from './auth-events.repository';

/**
 * The audit trail: each security event becomes an `auth_events` row (which the
 * account page shows) and one log line (which monitoring reads), with the
 * user id and IP only: never a password, token or cookie.
 */
export function createAuditLog(deps: { db: Db; clock: Clock; logger: Logger }) {
  /** `executor` may be a transaction, so the row commits with the change it records. */
  return async function record(
    userId: number | null,
    type: AuthEventType,
    origin: RequestOrigin,
    executor: Db = deps.db,
  ): Promise<void> {
    await recordAuthEvent(executor, { userId, type, origin, now: deps.clock.now() });
    deps.logger.info({ audit: type, userId, ip: origin.ip }, `audit: ${type}`);
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
