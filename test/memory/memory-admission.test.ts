import { describe, expect, it } from 'vitest';
import { MemoryAdmission, MemoryFullError } from '../../src/memory/memory-admission.ts';

const MiB = 2 ** 20;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Admission over a used-memory figure the test sets, like ksmd shrinking it. */
function admission(budgetMiB: number, maxWaitMs = 2000) {
  const memory = { used: 100 * MiB, reads: 0 };
  const a = new MemoryAdmission({
    budgetBytes: budgetMiB * MiB,
    startCostBytes: 30 * MiB,
    maxWaitMs,
    sampleEveryMs: 20,
    readUsedBytes: () => {
      memory.reads++;
      return Promise.resolve(memory.used);
    },
  });
  return { a, memory };
}

describe('MemoryAdmission', () => {
  it('lets starts in while used memory plus the starts under way fit the budget', async () => {
    const { a } = admission(180);
    const first = await a.admit(); // 100 + 30 ≤ 180
    const second = await a.admit(); // 100 + 30 + 30 ≤ 180
    expect(a.reservedBytes).toBe(60 * MiB);
    let third = false;
    const waiting = a.admit().then(() => (third = true)); // 100 + 60 + 30 > 180
    await sleep(100);
    expect(third).toBe(false);
    expect(a.waiting).toBe(1);
    first.done();
    second.done();
    a.close();
    await expect(waiting).rejects.toThrow(/shutting down/);
    expect(third).toBe(false);
  });

  it('paces a storm by how fast merging brings used memory down', async () => {
    const { a, memory } = admission(200, 5000);
    const admitted: number[] = [];
    const starts = Array.from({ length: 6 }, (_, i) =>
      a.admit().then((t) => {
        admitted.push(i);
        memory.used += 30 * MiB; // the core is running, unmerged
        t.done();
      }),
    );
    await sleep(150);
    expect(admitted).toEqual([0, 1, 2]); // 100 → 190 MiB: the fourth would not fit
    memory.used -= 60 * MiB; // ksmd merged two cores' worth
    await sleep(150);
    expect(admitted).toEqual([0, 1, 2, 3, 4]);
    memory.used -= 30 * MiB;
    await Promise.all(starts);
    expect(admitted).toEqual([0, 1, 2, 3, 4, 5]);
    // A finished start's reservation goes once a reading taken after it (which includes it) arrives.
    await sleep(60);
    expect(a.reservedBytes).toBe(0);
    a.close();
  });

  it('refuses a start that found no room in time, naming the budget', async () => {
    const { a, memory } = admission(150, 200);
    memory.used = 140 * MiB;
    await expect(a.admit()).rejects.toThrow(MemoryFullError);
    await expect(a.admit()).rejects.toThrow(
      /no memory for another core within 200 ms \(no start let in meanwhile\): 140 MiB in use and 0 MiB of cores starting, of a 150 MiB budget \(--memory-budget\)/,
    );
    expect(a.waiting).toBe(0);
    a.close();
  });

  it('a queue that keeps moving is never refused, however long the last start waits; a stall refuses only who waited through it', async () => {
    const { a, memory } = admission(160, 300);
    memory.used = 130 * MiB; // room for one start at a time
    const outcomes: string[] = [];
    const running: Array<{ done(): void }> = [];
    const starts = Array.from({ length: 5 }, (_, i) =>
      a.admit().then(
        (t) => {
          outcomes.push(`in ${i}`);
          running.push(t);
        },
        () => outcomes.push(`refused ${i}`),
      ),
    );
    // One start finishes (and is merged) every 200 ms: the fifth waits ≈ 800 ms, far past maxWaitMs.
    for (let k = 0; k < 4; k++) {
      await sleep(200);
      running.shift()?.done();
    }
    await Promise.all(starts);
    expect(outcomes).toEqual(['in 0', 'in 1', 'in 2', 'in 3', 'in 4']);
    running.shift()?.done();
    await sleep(60);
    // Now memory stops going down: a start waits, and is refused once 300 ms passed with nobody let in.
    memory.used = 150 * MiB;
    const t0 = Date.now();
    await expect(a.admit()).rejects.toThrow(MemoryFullError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    a.close();
  });

  it('admits everything where memory cannot be read (the counts still cap)', async () => {
    const a = new MemoryAdmission({ budgetBytes: MiB, startCostBytes: 30 * MiB, maxWaitMs: 100, readUsedBytes: () => Promise.resolve(undefined) });
    await a.admit();
    await a.admit();
    a.close();
  });

  it('close() refuses the starts still waiting', async () => {
    const { a, memory } = admission(100);
    memory.used = 100 * MiB;
    const waiting = a.admit();
    await sleep(30);
    a.close();
    await expect(waiting).rejects.toThrow(/shutting down/);
  });
});
