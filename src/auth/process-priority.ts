import { readdirSync } from 'node:fs';
import os from 'node:os';

/**
 * Gives this whole process the scheduling priority `nice` (19 = the lowest).
 *
 * On Linux a nice value belongs to a thread, and os.setPriority(pid) changes
 * only the thread whose id is `pid`: each thread already running (main, V8's
 * platform workers) is set one by one from /proc/self/task. Threads started
 * later, such as the libuv pool that runs argon2, inherit the value from the
 * thread that starts them. Elsewhere, setPriority covers the whole process.
 */
export function lowerOwnPriority(nice: number): void {
  let threadIds: number[];
  try {
    threadIds = readdirSync('/proc/self/task').map(Number);
  } catch {
    os.setPriority(nice);
    return;
  }
  for (const threadId of threadIds) {
    try {
      os.setPriority(threadId, nice);
    } catch (error) {
      // A thread that ended since the listing needs nothing.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}
