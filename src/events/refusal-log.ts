import { clientKeyForIp } from '../abuse/client-key';
import type { BackgroundTasks } from '../background-tasks';
import type { Clock } from '../clock';
import type { Db } from '../db/database';
import type { Logger } from '../logger';
import type { AuthEventType, RequestOrigin } from './auth-event';
import { addToEventCount, recordAuthEvent } from './auth-events.repository';

/** One row per (event, account, client) per window: 20,000 refusals in it are one row. */
const WINDOW_MS = 15 * 60_000;
/** Windows remembered at once; a forgotten one simply starts a new row. */
const MAX_OPEN_WINDOWS = 10_000;
/** Later refusals reach the row's count in one write per window at most this often. */
const COUNT_WRITE_DELAY_MS = 1000;

interface OpenWindow {
  endsAt: number;
  rowId: Promise<number>;
  unwritten: number;
  isWriteScheduled: boolean;
}

/**
 * The audit trail for refused attempts (a throttled login), which a flood can
 * produce thousands of times a second. The first refusal of a window inserts
 * a row (and logs a line); later ones only add to its count, written in the
 * background at most once a second. So the table and the log grow with the
 * number of attacking clients, not of requests, and a refusal costs no write.
 */
export function createRefusalLog(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  background: BackgroundTasks;
}) {
  const open = new Map<string, OpenWindow>();

  async function writeCount(window: OpenWindow): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, COUNT_WRITE_DELAY_MS));
    window.isWriteScheduled = false;
    const by = window.unwritten;
    window.unwritten = 0;
    if (by > 0) await addToEventCount(deps.db, await window.rowId, by);
  }

  function startWindow(
    key: string,
    userId: number | null,
    type: AuthEventType,
    origin: RequestOrigin,
  ): OpenWindow {
    const now = deps.clock.now();
    const window: OpenWindow = {
      endsAt: now.getTime() + WINDOW_MS,
      rowId: recordAuthEvent(deps.db, { userId, type, origin, now }),
      unwritten: 0,
      isWriteScheduled: false,
    };
    open.set(key, window);
    if (open.size > MAX_OPEN_WINDOWS) {
      const oldest = open.keys().next();
      if (!oldest.done) open.delete(oldest.value);
    }
    deps.logger.info({ audit: type, userId, ip: origin.ip }, `audit: ${type}`);
    return window;
  }

  return async function recordRefusal(
    userId: number | null,
    type: AuthEventType,
    origin: RequestOrigin,
  ): Promise<void> {
    const key = `${type}|${userId ?? ''}|${clientKeyForIp(origin.ip)}`;
    const current = open.get(key);
    if (!current || current.endsAt <= deps.clock.now().getTime()) {
      const window = startWindow(key, userId, type, origin);
      // A failed insert must not poison the window for its whole length.
      await window.rowId.catch((error: unknown) => {
        open.delete(key);
        throw error;
      });
      return;
    }
    current.unwritten += 1;
    if (current.isWriteScheduled) return;
    current.isWriteScheduled = true;
    deps.background.run(`${type} count`, () => writeCount(current));
  };
}

export type RefusalLog = ReturnType<typeof createRefusalLog>;
