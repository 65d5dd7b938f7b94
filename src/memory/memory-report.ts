/**
 * The process's memory as operators need it, in one record for `/metrics` and
 * `GET /admin/memory`: real memory (PSS) next to RSS, what page merging saves, and where
 * admission stands against the budget.
 */
import type { MemoryAdmission } from './memory-admission.ts';
import type { MemoryMergeState } from './memory-merge.ts';
import { ksmdRunning } from './memory-merge.ts';
import { readKsmStat, readProcessMemory } from './process-memory.ts';

export interface MemoryReport {
  rssBytes: number | null;
  /** Proportional set size: what the process really costs (shared pages divided among sharers). */
  pssBytes: number | null;
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
  const [memory, ksm] = await Promise.all([readProcessMemory(), readKsmStat()]);
  const pss = memory?.pssBytes ?? null;
  return {
    rssBytes: memory?.rssBytes ?? null,
    pssBytes: pss,
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
