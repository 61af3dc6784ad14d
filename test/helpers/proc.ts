import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Linux's view of processes (/proc): which children a process has, and how nice each thread is. */

/** The ids of the threads of process `pid`. */
export function threadIds(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map(Number);
}

/** The direct children of `pid`, whichever of its threads started them. */
export function childPids(pid: number): number[] {
  return threadIds(pid).flatMap((tid) => {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      return text === '' ? [] : text.split(' ').map(Number);
    } catch {
      return []; // the thread ended since the listing
    }
  });
}

/** The command line of `pid`, its arguments joined by spaces; '' once it is gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** The environment `pid` was started with, as NAME=value strings. */
export function environment(pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
}

/**
 * The nice value of one thread: field 19 of /proc/<pid>/task/<tid>/stat. The
 * second field (the name, in parentheses) may hold spaces and ')', so fields
 * are counted from the last ')'.
 */
export function threadNice(pid: number, tid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  const fromState = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fromState[19 - 3]);
}

/** Linux's SCHED_IDLE, as field 41 (policy) of a thread's stat shows it. */
export const SCHED_IDLE = 5;

/** The scheduling policy of one thread: field 41 of its stat (0 = SCHED_OTHER). */
export function threadPolicy(pid: number, tid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[41 - 3]);
}

/** Whether util-linux's chrt is here, through which the hashing worker asks for SCHED_IDLE. */
export function hasChrt(): boolean {
  return ['/usr/bin/chrt', '/bin/chrt'].some((candidate) => existsSync(candidate));
}

/** Every thread's nice value, by thread id. */
export function threadNices(pid: number): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of threadIds(pid)) {
    try {
      nices.set(tid, threadNice(pid, tid));
    } catch {
      // the thread ended since the listing
    }
  }
  return nices;
}

/** False once the process has exited and been reaped (a zombie counts as gone too). */
export function isAlive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
