import { randomInt } from 'node:crypto';
import type { Logger } from './logger';

export interface BackgroundTasks {
  /** Starts work the response does not wait for, a moment later; a failure is logged, never thrown. */
  run(label: string, task: () => Promise<void>): void;
  /**
   * Starts every task still waiting for its moment at once, and resolves once
   * every task has settled (shutdown, command-line tools, tests).
   */
  drain(): Promise<void>;
}

/** How long a task waits before it starts: a random time in [minMs, maxMs]. */
export interface BackgroundDelay {
  minMs: number;
  maxMs: number;
}

/**
 * Long after the answer, and the page's own follow-up requests, are done; spread over
 * most of a second, so that no request sent after it can count on meeting the work.
 */
export const BACKGROUND_DELAY: BackgroundDelay = Object.freeze({ minMs: 200, maxMs: 1000 });

/**
 * Work done after the answer is sent, such as e-mail. Work for an existing
 * account (a lookup, a row, the mail) must not tell that the account exists,
 * neither by lengthening the answer nor by slowing the request after it (the
 * next one on the same connection met the SMTP conversation: ~1 ms slower).
 * So a task does not start on the next turn of the event loop but after a
 * random delay: long enough that the answer is written even where it renders
 * asynchronously (development re-reads its templates, and a task started on
 * the next turn ran in the middle of that render: 9.5 ms against 6.1), and
 * random so that it lands on no request in particular (a fixed delay moved the
 * cost to whichever request came that much later). Tracked so that a graceful
 * shutdown runs the waiting tasks instead of dropping a reset link.
 */
export function createBackgroundTasks(
  logger: Logger,
  delay: BackgroundDelay = BACKGROUND_DELAY,
): BackgroundTasks {
  const waiting = new Map<NodeJS.Timeout, () => void>();
  const running = new Set<Promise<void>>();

  function start(label: string, task: () => Promise<void>): void {
    const settled = Promise.resolve()
      .then(task)
      .catch((error: unknown) => logger.error({ err: error, task: label }, `${label} failed`))
      .finally(() => running.delete(settled));
    running.add(settled);
  }

  return {
    run(label, task) {
      const begin = () => {
        waiting.delete(timer);
        start(label, task);
      };
      // Kept referenced: a process with nothing else to do still waits for it.
      const timer = setTimeout(begin, randomInt(delay.minMs, delay.maxMs + 1));
      waiting.set(timer, begin);
    },
    async drain() {
      // A task may queue another (a mail after a row): loop until nothing is left.
      while (waiting.size > 0 || running.size > 0) {
        for (const [timer, begin] of waiting) {
          clearTimeout(timer);
          begin();
        }
        await Promise.allSettled([...running]);
      }
    },
  };
}
