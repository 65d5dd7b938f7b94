/**
 * What this process really costs in memory, as the kernel counts it.
 *
 * RSS counts a page once in every mapping that maps it, so a page shared by a thousand cores
 * (merged by KSM) counts a thousand times. PSS (proportional set size) divides each shared
 * page among its sharers: the honest figure for "how many more sessions fit". Read from
 * /proc/self/smaps_rollup (one line per figure, summed over every mapping by the kernel), plus
 * the process's KSM counters from /proc/self/ksm_stat (Linux ≥ 6.1).
 *
 * PSS is exact but not cheap: the kernel walks the page tables of every mapping, ≈ 100 ms of
 * CPU at 200 cores and linear in cores after that. What admission polls is `usedMemoryBytes()`
 * instead: O(1) counters (RSS, the process's merged pages, the host's KSM pages), an upper
 * bound of the memory the process holds on its own.
 *
 * Every reader returns undefined where the file is missing (not Linux, old kernel, no /proc).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export interface ProcessMemory {
  /** Resident set size (shared pages counted in every mapping). */
  rssBytes: number;
  /** Proportional set size (shared pages divided among their sharers). */
  pssBytes: number;
}

export interface KsmStat {
  /** Pages of this process currently merged with identical ones. */
  mergingPages: number;
  /** Bytes KSM saves this process, net of its own bookkeeping (may be negative). */
  profitBytes: number;
  /** Whether the whole process is opted in (prctl PR_SET_MEMORY_MERGE). */
  mergeAny: boolean;
}

/** Reads /proc/<pid>/smaps_rollup without blocking the event loop (the kernel walks every mapping). */
export async function readProcessMemory(pid: number | 'self' = 'self'): Promise<ProcessMemory | undefined> {
  return parseSmapsRollup(await readOrUndefinedAsync(`/proc/${pid}/smaps_rollup`));
}

export async function readKsmStat(pid: number | 'self' = 'self'): Promise<KsmStat | undefined> {
  return parseKsmStat(await readOrUndefinedAsync(`/proc/${pid}/ksm_stat`));
}

/**
 * Memory the process holds, from O(1) kernel counters (no page-table walk): RSS, less every
 * page of ours that KSM merged, plus the KSM pages those point to — at most the host's
 * `pages_shared`, and at most one per merged page of ours. Shared library pages count fully,
 * so the figure is a little above PSS, never below what the process alone holds: a budget
 * judged by it errs on the safe side. Undefined without /proc.
 */
export function usedMemoryBytes(): number | undefined {
  const residentPages = readResidentPages();
  if (residentPages === undefined) return undefined;
  const mergingPages = parseKsmStat(readOrUndefined('/proc/self/ksm_stat'))?.mergingPages ?? 0;
  const hostShared = Number(readOrUndefined('/sys/kernel/mm/ksm/pages_shared')?.trim() ?? NaN);
  return usedFromCounters({
    residentPages,
    pageBytes: pageSizeBytes(),
    mergingPages,
    hostSharedPages: Number.isSafeInteger(hostShared) ? hostShared : undefined,
  });
}

/** The arithmetic of `usedMemoryBytes`, apart from where the counters come from. */
export function usedFromCounters(c: { residentPages: number; pageBytes: number; mergingPages: number; hostSharedPages: number | undefined }): number {
  const ksmPages = Math.min(c.hostSharedPages ?? c.mergingPages, c.mergingPages);
  return (c.residentPages - c.mergingPages + ksmPages) * c.pageBytes;
}

/** Resident pages of this process (/proc/self/statm, second field). */
function readResidentPages(): number | undefined {
  const field = readOrUndefined('/proc/self/statm')?.split(' ')[1];
  const n = Number(field);
  return field !== undefined && Number.isSafeInteger(n) ? n : undefined;
}

let pageSize: number | undefined;

/**
 * The kernel's page size. Node does not expose getpagesize(); RSS in bytes (from Node) over
 * resident pages (from statm) gives it, rounded to a power of two (the two reads are a few
 * microseconds apart), once.
 */
function pageSizeBytes(): number {
  if (pageSize !== undefined) return pageSize;
  const pages = readResidentPages();
  const ratio = pages ? process.memoryUsage.rss() / pages : 4096;
  pageSize = 2 ** Math.round(Math.log2(ratio));
  return pageSize;
}

export function parseSmapsRollup(text: string | undefined): ProcessMemory | undefined {
  if (text === undefined) return undefined;
  const rss = kibField(text, 'Rss');
  const pss = kibField(text, 'Pss');
  return rss === undefined || pss === undefined ? undefined : { rssBytes: rss, pssBytes: pss };
}

export function parseKsmStat(text: string | undefined): KsmStat | undefined {
  if (text === undefined) return undefined;
  const merging = numberField(text, 'ksm_merging_pages');
  if (merging === undefined) return undefined;
  return {
    mergingPages: merging,
    profitBytes: numberField(text, 'ksm_process_profit') ?? 0,
    mergeAny: /^ksm_merge_any:\s*yes$/m.test(text),
  };
}

/**
 * Memory this process may use on this machine: the smaller of the machine's RAM and the
 * limit of the cgroup it runs in (a container's memory limit), in bytes.
 */
export function availableMemoryBytes(): number | undefined {
  const total = kibField(readOrUndefined('/proc/meminfo') ?? '', 'MemTotal');
  const cgroup = cgroupLimitBytes();
  if (total === undefined) return cgroup;
  return cgroup === undefined ? total : Math.min(total, cgroup);
}

function cgroupLimitBytes(): number | undefined {
  // cgroup v2: this process's group, then its limit ("max" when none).
  const line = readOrUndefined('/proc/self/cgroup')
    ?.split('\n')
    .find((l) => l.startsWith('0::'));
  if (line === undefined) return undefined;
  const max = readOrUndefined(`/sys/fs/cgroup${line.slice(3).trim()}/memory.max`)?.trim();
  if (max === undefined || max === 'max') return undefined;
  const n = Number(max);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

async function readOrUndefinedAsync(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A "Name:   123 kB" line, in bytes. */
function kibField(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** A "name value" line. */
function numberField(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}\\s+(-?\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}
