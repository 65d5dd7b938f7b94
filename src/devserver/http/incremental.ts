/** Turns a version-log plan into the incremental answer shape of docs/im-server.md#version-sync. */
import { planIncremental, type IncrementalPlan, type VersionLog } from '../store/version-log.ts';
import type { Fields } from './fields.ts';

export interface IncrementalAnswer<T> {
  version: number;
  versionID: string;
  full: boolean;
  delete: string[];
  insert: T[];
  update: T[];
}

/**
 * @param find the current items for the changed IDs (those that no longer exist are skipped,
 *   as the real lookups skip them).
 */
export function incrementalAnswer<T>(log: VersionLog, req: Fields, find: (ids: readonly string[]) => T[]): IncrementalAnswer<T> {
  return answerFromPlan(planIncremental(log, req.string('versionID'), req.int('version')), find);
}

export function answerFromPlan<T>(plan: IncrementalPlan, find: (ids: readonly string[]) => T[]): IncrementalAnswer<T> {
  return {
    version: plan.version,
    versionID: plan.versionID,
    full: plan.full,
    delete: [...plan.delete],
    insert: plan.insert.length > 0 ? find(plan.insert) : [],
    update: plan.update.length > 0 ? find(plan.update) : [],
  };
}

/** The answer of the `get_full_*_ids` endpoints; `idHash` is never matched, so the IDs always come. */
export function fullIDsAnswer<K extends string>(
  log: VersionLog,
  key: K,
  ids: readonly string[],
): { version: number; versionID: string; equal: boolean } & Record<K, string[]> {
  log.markRead();
  return { version: log.version, versionID: log.id, equal: false, [key]: [...ids] } as { version: number; versionID: string; equal: boolean } & Record<K, string[]>;
}
