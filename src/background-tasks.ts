import type { Logger } from './logger';

export interface BackgroundTasks {
  /** Starts work the response does not wait for; a failure is logged, never thrown. */
  run(label: string, task: () => Promise<void>): void;
  /** Resolves once every task started so far has settled (shutdown, tests). */
  drain(): Promise<void>;
}

/**
 * Work done after the answer is sent, such as e-mail. Tracked so that a
 * graceful shutdown can wait for it instead of dropping a reset link.
 */
export function createBackgroundTasks(logger: Logger): BackgroundTasks {
  const pending = new Set<Promise<void>>();
  return {
    run(label, task) {
      // Started on the next turn of the event loop, so the answer that queued
      // it is written first: work for an existing account (a lookup, a row,
      // the mail) must not lengthen the reply and tell that the account exists.
      const running = new Promise<void>((resolve) => setImmediate(resolve))
        .then(task)
        .catch((error: unknown) => logger.error({ err: error, task: label }, `${label} failed`))
        .finally(() => pending.delete(running));
      pending.add(running);
    },
    async drain() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
