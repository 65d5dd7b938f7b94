/**
 * The process's memory as operators need it, in one record for `/metrics` and
 * `GET /admin/memory`: real memory (PSS) next to RSS, what page merging saves, and where
 * admission stands against the budget.
 */
import type { MemoryAdmission } from './memory-admission.ts';
import type { MemoryMergeState } from './memory-merge.ts';
import { ksmdRunning } from './memory-merge.ts';
import { readKsmStat, readProcessMemory, usedMemoryBytes, type ProcessMemory } from './process-memory.ts';

/**
 * Reading PSS walks every page table of the process: ≈ 100 ms of CPU at 200 cores, linear in
 * cores. Scrapes and admin calls share one reading at most this old.
 */
export const PSS_MAX_AGE_MS = 30_000;
let pssReading: { at: number; value: Promise<ProcessMemory | undefined> } | undefined;

function recentProcessMemory(): { value: Promise<ProcessMemory | undefined>; ageMs: number } {
  const now = Date.now();
  if (!pssReading || now - pssReading.at > PSS_MAX_AGE_MS) pssReading = { at: now, value: readProcessMemory() };
  return { value: pssReading.value, ageMs: now - pssReading.at };
}

export interface MemoryReport {
  rssBytes: number | null;
  /** Proportional set size: what the process really costs (shared pages divided among sharers). */
  pssBytes: number | null;
  /** How old the RSS/PSS reading is (at most PSS_MAX_AGE_MS). */
  pssAgeMs: number;
  /** What admission compares with the budget: RSS less merged pages (O(1) to read, current). */
  usedBytes: number | null;
  /** Pages of this process merged with identical ones, and the bytes that saves (net). */
  ksmMergingPages: number | null;
  ksmProfitBytes: number | null;
  mergeOptedIn: boolean;
  ksmdRunning: boolean | null;
  /** Why merging does not take effect, or null. */
  mergeProblem: string | null;
  budgetBytes: number | null;
  /** Bytes admitted for cores still starting (not yet in PSS). */
  reservedBytes: number;
  /** Core starts waiting for memory. */
  startsWaiting: number;
  cores: number;
  /** PSS per core (the process's fixed cost included), or null without cores. */
  pssPerCoreBytes: number | null;
}

export async function memoryReport(merge: MemoryMergeState, admission: MemoryAdmission | undefined, cores: number): Promise<MemoryReport> {
  const recent = recentProcessMemory();
  const [memory, ksm] = await Promise.all([recent.value, readKsmStat()]);
  const pss = memory?.pssBytes ?? null;
  return {
    rssBytes: memory?.rssBytes ?? null,
    pssBytes: pss,
    pssAgeMs: recent.ageMs,
    usedBytes: usedMemoryBytes() ?? null,
    ksmMergingPages: ksm?.mergingPages ?? null,
    ksmProfitBytes: ksm?.profitBytes ?? null,
    mergeOptedIn: merge.optedIn,
    ksmdRunning: ksmdRunning() ?? null,
    mergeProblem: merge.problem ?? null,
    budgetBytes: admission?.budgetBytes ?? null,
    reservedBytes: admission?.reservedBytes ?? 0,
    startsWaiting: admission?.waiting ?? 0,
    cores,
    pssPerCoreBytes: pss !== null && cores > 0 ? Math.round(pss / cores) : null,
  };
}
