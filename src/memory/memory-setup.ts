/**
 * The process's memory settings at start: page merging as `--memory-merge` asks (refused,
 * or logged, when it cannot take effect) and the byte budget new cores are admitted against.
 */
import type { Logger } from 'pino';
import type { ServerOptions } from '../config/options.ts';
import { applyMemoryMerge, type MemoryMergeState } from './memory-merge.ts';
import { availableMemoryBytes } from './process-memory.ts';

/** Share of the machine's (or cgroup's) memory the cores may fill when --memory-budget is 0. */
const DEFAULT_MEMORY_BUDGET_SHARE = 0.75;

/** The budget in bytes: the flag's MiB, or a share of what the machine allows; undefined where unknown. */
export function memoryBudgetBytes(flagMiB: number): number | undefined {
  if (flagMiB > 0) return flagMiB * 2 ** 20;
  const available = availableMemoryBytes();
  return available === undefined ? undefined : Math.floor(available * DEFAULT_MEMORY_BUDGET_SHARE);
}

/** Opts the process into page merging; throws when `--memory-merge on` cannot take effect. */
export function setUpMemoryMerge(mode: ServerOptions['memoryMerge'], logger: Logger): MemoryMergeState {
  const memoryMerge = applyMemoryMerge(mode);
  if (memoryMerge.problem !== undefined) {
    if (mode === 'on') throw new Error(`--memory-merge on cannot take effect: ${memoryMerge.problem}`);
    if (mode === 'auto') logger.warn({ optedIn: memoryMerge.optedIn, ksmdRunning: memoryMerge.ksmdRunning }, `page merging off: ${memoryMerge.problem}`);
  } else {
    logger.info('page merging on: identical memory pages of the cores are shared (KSM)');
  }
  return memoryMerge;
}
