/**
 * Kernel samepage merging for the whole process (`--memory-merge`).
 *
 * Every core instance copies the same Go data segments (type data, pclntab, rodata) into its
 * own linear memory, and much of a logged-in core's heap is alike from core to core. Linux can
 * share such identical pages (KSM): since 6.4 a process opts every mapping of all its threads
 * in with one prctl(PR_SET_MEMORY_MERGE). Node has no binding for it, so a 40-line addon built
 * at install (native/memory-merge, like better-sqlite3's build) makes that one call: a general
 * FFI package would bring a large binary and a whole foreign-call surface for one syscall.
 *
 * The kernel's merging daemon (ksmd) is host-wide and off by default; without it the opt-in
 * costs nothing and saves nothing. `auto` opts in where it can and says once, clearly, how to
 * turn ksmd on; `on` refuses to start where merging cannot take effect; `off` does nothing.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export const MEMORY_MERGE_MODES = ['auto', 'on', 'off'] as const;
export type MemoryMergeMode = (typeof MEMORY_MERGE_MODES)[number];

/** The kernel's merging daemon: /sys/kernel/mm/ksm/run (0 stopped, 1 running, 2 unmerging). */
export const KSMD_RUN_FILE = '/sys/kernel/mm/ksm/run';

export interface MemoryMergeState {
  /** The process is opted in (its pages are candidates for merging). */
  optedIn: boolean;
  /** ksmd is running (merging actually happens); undefined where it cannot be read. */
  ksmdRunning: boolean | undefined;
  /** Why merging does not take effect, for the log and `--memory-merge on`; undefined when it does. */
  problem: string | undefined;
}

/** How to turn ksmd on, for the operator (it is a host setting no process can make for itself). */
export const KSMD_HOWTO =
  'turn on the kernel merging daemon on the host: `echo 1 > /sys/kernel/mm/ksm/run` as root (plain host; add it to the boot ' +
  'configuration to keep it), the same on each Kubernetes/Docker node (ksmd is host-wide: node setup or a privileged ' +
  'DaemonSet); a systemd unit can also opt its service in with MemoryKSM=yes (systemd ≥ 254), ksmd must still run';

interface MergeAddon {
  enable(): number;
  disable(): number;
  status(): number;
}

const ERRNO_EINVAL = 22;
const ERRNO_EPERM = 1;

function loadAddon(): MergeAddon | string {
  if (process.platform !== 'linux') return `page merging needs Linux (this is ${process.platform})`;
  const require = createRequire(import.meta.url);
  // From src/memory (tsx) or dist/src/memory (built): the addon is built under the package root.
  for (const rel of ['../../native/memory-merge/build/Release/memory_merge.node', '../../../native/memory-merge/build/Release/memory_merge.node']) {
    try {
      return require(rel) as MergeAddon;
    } catch {
      // Try the next layout.
    }
  }
  return 'the memory-merge addon is not built (npm ci builds it with node-gyp; see its output)';
}

export function ksmdRunning(): boolean | undefined {
  try {
    return readFileSync(KSMD_RUN_FILE, 'utf8').trim() === '1';
  } catch {
    return undefined;
  }
}

/** Opts the process in (unless `off`) and says whether merging takes effect. */
export function applyMemoryMerge(mode: MemoryMergeMode): MemoryMergeState {
  if (mode === 'off') return { optedIn: false, ksmdRunning: ksmdRunning(), problem: 'turned off (--memory-merge off)' };
  const addon = loadAddon();
  if (typeof addon === 'string') return { optedIn: false, ksmdRunning: ksmdRunning(), problem: addon };
  const errno = addon.enable();
  if (errno !== 0) {
    const why =
      errno === ERRNO_EINVAL
        ? 'the kernel does not know PR_SET_MEMORY_MERGE (it needs Linux 6.4 or later)'
        : errno === ERRNO_EPERM
          ? 'the kernel did not allow PR_SET_MEMORY_MERGE (a seccomp profile or missing CAP_SYS_RESOURCE)'
          : `prctl(PR_SET_MEMORY_MERGE) failed with errno ${errno}`;
    return { optedIn: false, ksmdRunning: ksmdRunning(), problem: why };
  }
  const running = ksmdRunning();
  if (running === false) return { optedIn: true, ksmdRunning: false, problem: `ksmd is off, so nothing is merged: ${KSMD_HOWTO}` };
  if (running === undefined) return { optedIn: true, ksmdRunning: undefined, problem: `${KSMD_RUN_FILE} cannot be read (no KSM in this kernel?)` };
  return { optedIn: true, ksmdRunning: true, problem: undefined };
}

/**
 * Turns the process's opt-in on or off again (off unmerges its pages). For measurements that
 * compare both in one process; the server itself only opts in, at start.
 */
export function setProcessMerge(on: boolean): string | undefined {
  const addon = loadAddon();
  if (typeof addon === 'string') return addon;
  const errno = on ? addon.enable() : addon.disable();
  return errno === 0 ? undefined : `prctl(PR_SET_MEMORY_MERGE, ${on ? 1 : 0}) failed with errno ${errno}`;
}
