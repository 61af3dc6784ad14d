import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';

/** util-linux's chrt, where Debian (and the node:22-slim image) puts it. */
const CHRT_PATHS = ['/usr/bin/chrt', '/bin/chrt'];

/**
 * Gives every thread of this process nice 19, the lowest nice priority.
 *
 * On Linux a nice value belongs to a thread, and os.setPriority(pid) changes
 * only the thread whose id is `pid`: each thread already running (main, V8's
 * platform workers) is set one by one from /proc/self/task. Threads started
 * later, such as the libuv pool that runs argon2, inherit the value from the
 * thread that starts them. Elsewhere, setPriority covers the whole process.
 */
function setNice19(): void {
  let threadIds: number[];
  try {
    threadIds = readdirSync('/proc/self/task').map(Number);
  } catch {
    os.setPriority(19);
    return;
  }
  for (const threadId of threadIds) {
    try {
      os.setPriority(threadId, 19);
    } catch (error) {
      // A thread that ended since the listing needs nothing.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

/**
 * Puts every thread of this process under SCHED_IDLE (Linux, with chrt;
 * Node has no call for it). Measured (issue 15): nice 19 still lets a running
 * hash delay a page by a scheduler slice each time the event loop wakes;
 * SCHED_IDLE gives the core back at once. New threads inherit the policy.
 */
function setSchedIdle(): boolean {
  const chrt = CHRT_PATHS.find((candidate) => existsSync(candidate));
  if (process.platform !== 'linux' || !chrt) return false;
  const result = spawnSync(chrt, ['--idle', '--all-tasks', '--pid', '0', String(process.pid)], {
    stdio: 'ignore',
    timeout: 5000,
  });
  return result.status === 0;
}

/**
 * Makes this process run only on CPU time that normal processes leave:
 * SCHED_IDLE where possible, and nice 19 in any case (the fallback, and what
 * `ps` and `top` show).
 */
export function lowerOwnPriority(): 'idle' | 'nice 19' {
  setNice19();
  return setSchedIdle() ? 'idle' : 'nice 19';
}
