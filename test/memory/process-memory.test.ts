import { describe, expect, it } from 'vitest';
import {
  availableMemoryBytes,
  parseKsmStat,
  parseSmapsRollup,
  readKsmStat,
  readProcessMemory,
  usedFromCounters,
  usedMemoryBytes,
} from '../../src/memory/process-memory.ts';
import { applyMemoryMerge } from '../../src/memory/memory-merge.ts';

const ROLLUP = `55f0a0000000-7ffe7b5fd000 ---p 00000000 00:00 0                          [rollup]
Rss:              190544 kB
Pss:               98765 kB
Pss_Dirty:         80000 kB
Shared_Clean:       4096 kB
`;
const KSM = 'ksm_rmap_items 1200\nksm_zero_pages 3\nksm_merging_pages 900\nksm_process_profit 3555328\nksm_merge_any: yes\nksm_mergeable: yes\n';

describe('process memory', () => {
  it('parses smaps_rollup and ksm_stat', () => {
    expect(parseSmapsRollup(ROLLUP)).toEqual({ rssBytes: 190544 * 1024, pssBytes: 98765 * 1024 });
    expect(parseKsmStat(KSM)).toEqual({ mergingPages: 900, profitBytes: 3555328, mergeAny: true });
    expect(parseSmapsRollup(undefined)).toBeUndefined();
    expect(parseKsmStat('nothing here')).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')('reads this process: PSS at most RSS, machine memory known', async () => {
    const m = await readProcessMemory();
    expect(m!.pssBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(m!.pssBytes).toBeLessThanOrEqual(m!.rssBytes);
    expect(availableMemoryBytes()).toBeGreaterThan(2 ** 30);
  });

  it('used memory: RSS less merged pages, plus the KSM pages they point to (at most the host has)', () => {
    const page = 4096;
    expect(usedFromCounters({ residentPages: 1000, pageBytes: page, mergingPages: 0, hostSharedPages: 50 })).toBe(1000 * page);
    // 900 of ours merged into 40 KSM pages (the host has 50 in all): 100 + 40 pages held.
    expect(usedFromCounters({ residentPages: 1000, pageBytes: page, mergingPages: 900, hostSharedPages: 40 })).toBe(140 * page);
    // Another process's KSM pages are not ours to count, and never more than one per merged page.
    expect(usedFromCounters({ residentPages: 1000, pageBytes: page, mergingPages: 10, hostSharedPages: 5000 })).toBe(1000 * page);
    expect(usedFromCounters({ residentPages: 1000, pageBytes: page, mergingPages: 10, hostSharedPages: undefined })).toBe(1000 * page);
  });

  it.runIf(process.platform === 'linux')('reads this process cheaply: used memory is at least PSS and about RSS without merging', async () => {
    const used = usedMemoryBytes()!;
    const m = (await readProcessMemory())!;
    const ksm = await readKsmStat();
    expect(used).toBeGreaterThanOrEqual(m.pssBytes);
    if ((ksm?.mergingPages ?? 0) === 0) expect(Math.abs(used - m.rssBytes)).toBeLessThan(m.rssBytes * 0.05);
    else expect(used).toBeLessThanOrEqual(m.rssBytes);
  });

  it.runIf(process.platform === 'linux')('opting in shows in ksm_stat (merge_any), whatever ksmd does', async () => {
    const state = applyMemoryMerge('auto');
    const ksm = await readKsmStat();
    if (ksm === undefined) {
      // A kernel without ksm_stat cannot have taken the prctl either.
      expect(state.optedIn).toBe(false);
      return;
    }
    expect(ksm.mergeAny).toBe(state.optedIn);
    if (state.optedIn && state.ksmdRunning === false) expect(state.problem).toMatch(/ksmd is off.*echo 1 > \/sys\/kernel\/mm\/ksm\/run/);
    expect(applyMemoryMerge('off')).toMatchObject({ optedIn: false, problem: 'turned off (--memory-merge off)' });
  });
});
