/**
 * CPU time of one thread of this process, so that the heartbeat can tell a worker that is
 * running without answering (a core in a busy loop: hung) from one that is not running at
 * all (the machine is overloaded and the scheduler gives it no CPU: only slow).
 *
 * Linux only: /proc/thread-self names the calling thread's id, /proc/self/task/<tid>/stat
 * holds its user and system time. Elsewhere both return undefined and the heartbeat falls
 * back to wall time.
 */
import { readFileSync, readlinkSync } from 'node:fs';

/** Clock ticks per second of /proc times (USER_HZ): 100 on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** The kernel's id of the calling thread (call it in the thread itself). */
export function ownThreadTid(): number | undefined {
  try {
    // "<pid>/task/<tid>"
    const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
    return Number.isSafeInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** Milliseconds of CPU (user + system) the thread `tid` of this process has used; undefined once it is gone. */
export function threadCpuMs(tid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseThreadStatCpuMs(stat);
}

/** utime and stime (fields 14 and 15) of a /proc stat line, in ms. */
export function parseThreadStatCpuMs(stat: string): number | undefined {
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}
