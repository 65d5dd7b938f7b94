import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CorePool } from '../../../src/pool/core-pool.ts';
import { EndedCoreReclaimer, fullGc } from '../../../src/pool/worker/ended-core-reclaimer.ts';
import { silentLogger, until } from '../../helpers/cores.ts';

describe('EndedCoreReclaimer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function fakeClock(): { reclaimer: EndedCoreReclaimer; collected: number[] } {
    vi.useFakeTimers();
    const collected: number[] = [];
    const reclaimer = new EndedCoreReclaimer(
      () => collected.push(Date.now()),
      { quietMs: 1000, minIntervalMs: 5000 },
      () => Date.now(),
    );
    return { reclaimer, collected };
  }

  it('collects once, quietMs after a wave of ended cores', () => {
    const { reclaimer, collected } = fakeClock();
    const t0 = Date.now();
    for (let i = 0; i < 50; i++) reclaimer.coreEnded();
    vi.advanceTimersByTime(999);
    expect(collected).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(collected).toEqual([t0 + 1000]);
    vi.advanceTimersByTime(60_000);
    expect(collected).toHaveLength(1);
  });

  it('collects at most once per minIntervalMs while cores keep ending', () => {
    const { reclaimer, collected } = fakeClock();
    const t0 = Date.now();
    // One core ends every 100 ms for 12 s.
    for (let i = 0; i < 120; i++) {
      reclaimer.coreEnded();
      vi.advanceTimersByTime(100);
    }
    vi.advanceTimersByTime(10_000);
    expect(collected.map((t) => t - t0)).toEqual([1000, 6000, 11_000, 16_000]);
  });
});

describe('fullGc', () => {
  it('collects garbage without --expose-gc', async () => {
    expect(typeof globalThis.gc).toBe('undefined');
    const collect = fullGc();
    const ref = new WeakRef({ big: new Array<number>(1000).fill(1) });
    // A WeakRef's target lives at least until the current job ends.
    await new Promise((r) => setImmediate(r));
    collect();
    expect(ref.deref()).toBeUndefined();
  });
});

const rssBytes = (): number => Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * 4096;

describe('a worker of the real pool', () => {
  it('gives ended official cores’ memory back within seconds', async () => {
    const pool = await CorePool.start({ core: 'official', workers: 1, coresPerWorker: 10, logger: silentLogger, logLevel: 'silent' });
    try {
      const before = rssBytes();
      const cores = [];
      for (let i = 0; i < 8; i++) cores.push(await pool.startCore({ userID: `ended${i}`, platformID: 5 }));
      const held = rssBytes() - before;
      // Each official core touches well over 10 MB of its own memory when it starts.
      expect(held).toBeGreaterThan(8 * 10 * 2 ** 20);
      await Promise.all(cores.map((c) => c.dispose()));
      // Shared memories are invisible to V8's external-memory accounting: without the
      // worker's own GC this memory stays held until something else makes the worker collect.
      await until(() => rssBytes() - before < held * 0.3, 10_000);
    } finally {
      await pool.close();
    }
  }, 60_000);
});
