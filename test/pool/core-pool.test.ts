import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CorePool, type CoreLost } from '../../src/pool/core-pool.ts';
import type { CoreHandle } from '../../src/pool/worker/core-handle.ts';
import { CoreCallError } from '../../core-wasm/call-result.ts';
import { silentLogger, sleep, TEST_SDK_CONFIG, until } from '../helpers/cores.ts';

const pools: CorePool[] = [];
async function pool(config: Parameters<typeof CorePool.start>[0] = {}): Promise<CorePool> {
  const p = await CorePool.start({ core: 'test', workers: 1, logger: silentLogger, logLevel: 'silent', ...config });
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function lostEvents(p: CorePool): CoreLost[] {
  const lost: CoreLost[] = [];
  p.on('coreLost', (l) => lost.push(l));
  return lost;
}

async function startCores(p: CorePool, n: number, prefix = 'u'): Promise<CoreHandle[]> {
  const out: CoreHandle[] = [];
  for (let i = 0; i < n; i++) out.push(await p.startCore({ userID: `${prefix}${i}`, platformID: 5 }));
  return out;
}

describe('CorePool with the test core', () => {
  it('reports the build it loaded', async () => {
    const p = await pool();
    expect(p.build).toMatchObject({ kind: 'test', goAbi: 'go', reportedVersion: 'v1.0.0', memoryLimitMiB: 256 });
    expect(p.build.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(p.build.functions).toEqual(expect.arrayContaining(['login', 'debugHang']));
  });

  it('calls a core over its own port and brings its events back', async () => {
    const p = await pool();
    const events: string[] = [];
    const s = await p.startCore({ userID: 'alice', platformID: 5, onEvent: (j) => events.push(j) });
    expect(await s.call('initSDK', 'op', [TEST_SDK_CONFIG])).toEqual([true]);
    expect(await s.call('login', 'op', ['alice', 'tok'])).toBe('""');
    const msg = (await s.call('createTextMessage', 'op', ['hi'])) as string[];
    await s.call('sendMessageNotOss', 'op', [msg[0], 'bob', '', '{}', false]);
    await until(() => events.some((e) => e.includes('OnRecvNewMessage')));
    expect(events.map((e) => (JSON.parse(e) as { event: string }).event)).toContain('OnConnectSuccess');
  });

  it('places each new core on the worker with the fewest cores, up to coresPerWorker', async () => {
    const p = await pool({ workers: 2, coresPerWorker: 3 });
    const all = await startCores(p, 6);
    const perWorker = new Map<number, number>();
    for (const s of all) perWorker.set(s.workerId, (perWorker.get(s.workerId) ?? 0) + 1);
    expect([...perWorker.values()]).toEqual([3, 3]);
    await expect(p.startCore({ userID: 'one-too-many', platformID: 5 })).rejects.toMatchObject({ kind: 'pool-full' });
    await all[0]!.dispose();
    const again = await p.startCore({ userID: 'fits-again', platformID: 5 });
    expect(again.workerId).toBe(all[0]!.workerId);
  });

  it('admits cores by memory: past the budget a start waits, then is refused pool-full naming the budget', async () => {
    const { usedMemoryBytes } = await import('../../src/memory/process-memory.ts');
    const used = usedMemoryBytes()!;
    // Room for about two test cores (≈ 2 MiB each before merging, counted 1.25 × their start memory).
    const p = await pool({ memoryBudgetBytes: used + 200 * 2 ** 20, coreStartTimeoutMs: 1000 });
    const startCost = Math.ceil(p.build.startMemoryMiB * 1.25) * 2 ** 20;
    expect(p.memoryAdmission?.budgetBytes).toBe(used + 200 * 2 ** 20);
    const tight = await pool({ memoryBudgetBytes: used + startCost - 2 ** 20, coreStartTimeoutMs: 1000 });
    const t0 = Date.now();
    const err = await tight.startCore({ userID: 'no-room', platformID: 5 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'pool-full' });
    expect(String((err as Error).message)).toMatch(
      /cannot start core no-room\/5: no memory for another core within 1000 ms \(no start let in meanwhile\): \d+ MiB in use .* budget \(--memory-budget\)/,
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(tight.memoryAdmission?.waiting).toBe(0);
    // With room, starts go through.
    await startCores(p, 2, 'roomy');
  });

  it('creating many cores at once never overfills a worker', async () => {
    const p = await pool({ workers: 2, coresPerWorker: 4 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => p.startCore({ userID: `c${i}`, platformID: 5 })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(8);
    expect(p.workers().map((w) => w.residentCores)).toEqual([4, 4]);
  });

  it('a panic in one core of 20 in one worker ends only that core', async () => {
    const p = await pool({ workers: 1, coresPerWorker: 20 });
    const lost = lostEvents(p);
    const all = await startCores(p, 20);
    const workerId = all[0]!.workerId;
    const [victim, ...others] = all as [CoreHandle, ...CoreHandle[]];
    const inFlight = victim.call('debugPanic', 'op', []);
    await expect(inFlight).rejects.toMatchObject({ kind: 'core-exited', message: expect.stringContaining('u0/5') });
    await until(() => lost.length === 1);
    expect(lost[0]).toMatchObject({ userID: 'u0', reason: 'panic', workerId });
    await expect(victim.call('debugEcho', 'op', ['x'])).rejects.toBeInstanceOf(CoreCallError);
    // Past the timer the dead core left behind: the worker and the 19 others are fine.
    await sleep(60);
    const answers = await Promise.all(others.map((s, i) => s.call('debugEcho', 'op', [`n${i}`])));
    expect(answers).toEqual(others.map((_, i) => `"n${i}"`));
    expect(p.workers().map((w) => w.id)).toEqual([workerId]);
    expect(p.workers()[0]!.residentCores).toBe(19);
  });

  it('a hung core gets its worker replaced; its neighbours are reported lost; the main thread keeps running (no timer gap of 250 ms)', async () => {
    const p = await pool({ workers: 2, coresPerWorker: 10, heartbeatIntervalMs: 100, hangThresholdMs: 500 });
    const lost = lostEvents(p);
    const all = await startCores(p, 6);
    const hung = all[0]!;
    const neighbours = all.filter((s) => s.workerId === hung.workerId);
    const elsewhere = all.filter((s) => s.workerId !== hung.workerId);
    // The main thread's timers keep firing while the worker hangs: the longest gap between
    // two 20 ms ticks stays far below the hang (a loose bound for a shared 2-CPU machine).
    let lastTick = performance.now();
    let longestGapMs = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGapMs = Math.max(longestGapMs, now - lastTick);
      lastTick = now;
    }, 20);
    const started = performance.now();
    const hangCall = hung.call('debugHang', 'op', []);
    await expect(hangCall).rejects.toMatchObject({ kind: 'core-lost' });
    const detectedMs = performance.now() - started;
    clearInterval(ticker);
    // Hung = ran 500 ms of CPU without answering: on a quiet machine ≈ 500 ms + a beat or two,
    // later when other processes take the CPUs (the spinning thread gets a share of them).
    expect(detectedMs).toBeLessThan(4000);
    expect(lost[0]!.message).toMatch(/no heartbeat for \d+ ms \(running (\d+) ms of it\)/);
    expect(Number(/running (\d+) ms/.exec(lost[0]!.message)![1])).toBeGreaterThan(500);
    expect(longestGapMs).toBeLessThan(250);
    expect(lost.map((l) => l.coreId).sort()).toEqual(neighbours.map((s) => s.id).sort());
    expect(lost.every((l) => l.reason === 'hang')).toBe(true);
    // The other worker's cores never noticed.
    for (const s of elsewhere) expect(await s.call('getLoginStatus', 'op', [])).toEqual([-1001]);
    // A fresh worker replaces the hung one and takes new cores.
    await until(() => p.workers().length === 2 && !p.workers().some((w) => w.id === hung.workerId));
    const fresh = await p.startCore({ userID: 'after', platformID: 5 });
    expect(fresh.workerId).not.toBe(hung.workerId);
    expect(await fresh.call('debugEcho', 'op', ['ok'])).toBe('"ok"');
  });

  it('a busy main thread does not get a healthy worker declared hung', async () => {
    const p = await pool({ workers: 1, heartbeatIntervalMs: 50, hangThresholdMs: 300 });
    const lost = lostEvents(p);
    const [a] = await startCores(p, 1);
    const blockUntil = Date.now() + 1000;
    while (Date.now() < blockUntil) {
      // The main thread is stuck (a big GC, a sync burst): the worker answered pings meanwhile.
    }
    await sleep(400);
    expect(lost).toEqual([]);
    expect(await a!.call('debugEcho', 'op', ['ok'])).toBe('"ok"');
  });

  it('cores lost with a hung worker are re-created even when the survivors are full', async () => {
    const p = await pool({ workers: 2, coresPerWorker: 2, heartbeatIntervalMs: 100, hangThresholdMs: 500 });
    const all = await startCores(p, 4);
    const lost = lostEvents(p);
    const hung = all[0]!;
    void hung.call('debugHang', 'op', []).catch(() => {});
    await until(() => lost.length === 2);
    // The survivor is full; the replacement worker brings the room back.
    const again = await Promise.all(lost.map((l) => p.startCore({ userID: l.userID, platformID: l.platformID })));
    expect(again.every((s) => s.workerId !== hung.workerId)).toBe(true);
    expect(await Promise.all(again.map((s) => s.call('debugEcho', 'op', ['back'])))).toEqual(['"back"', '"back"']);
  });

  it('cores lost with a worker are spread over the survivor and the replacement, not piled onto the survivor', async () => {
    const p = await pool({ workers: 2, coresPerWorker: 50 });
    const all = await startCores(p, 12);
    const lost = lostEvents(p);
    const gone = all[0]!.workerId;
    const survivor = all.find((s) => s.workerId !== gone)!.workerId;
    // Re-created from inside the loss reports, as the gateway does.
    const again: Array<Promise<CoreHandle>> = [];
    p.on('coreLost', (l) => again.push(p.startCore({ userID: l.userID, platformID: l.platformID })));
    expect(p.restartWorker(gone)).toBe(true);
    expect(lost).toHaveLength(6);
    const recreated = await Promise.all(again);
    const onSurvivor = recreated.filter((s) => s.workerId === survivor).length;
    const onReplacement = recreated.filter((s) => s.workerId !== survivor && s.workerId !== gone).length;
    expect(onSurvivor + onReplacement).toBe(6);
    // Even shares: 6 already on the survivor, so the 6 lost ones all belong on the replacement.
    expect(onReplacement).toBe(6);
    expect(
      p
        .workers()
        .map((w) => w.residentCores)
        .sort(),
    ).toEqual([6, 6]);
    expect(await Promise.all(recreated.map((s) => s.call('debugEcho', 'op', ['back'])))).toEqual(Array(6).fill('"back"'));
  });

  it('debugAllocate(1024) under a 256 MiB cap ends only that core, reason oom', async () => {
    const p = await pool({ workers: 1, coreMemoryLimitMiB: 256 });
    const lost = lostEvents(p);
    const [a, b] = (await startCores(p, 2)) as [CoreHandle, CoreHandle];
    await expect(a.call('debugAllocate', 'op', [1024])).rejects.toMatchObject({ kind: 'core-exited' });
    await until(() => lost.length === 1);
    expect(lost[0]).toMatchObject({ userID: 'u0', reason: 'oom' });
    expect(await b.call('debugAllocate', 'op', [16])).toBe('16');
  });

  it('restartWorker reports its cores lost with reason exit', async () => {
    const p = await pool({ workers: 1 });
    const lost = lostEvents(p);
    const [a] = await startCores(p, 1);
    expect(p.restartWorker(a!.workerId)).toBe(true);
    expect(lost).toMatchObject([{ userID: 'u0', reason: 'exit' }]);
    await expect(a!.call('debugEcho', 'op', ['x'])).rejects.toMatchObject({ kind: 'core-lost' });
    await until(() => p.workers().length === 1 && p.workers()[0]!.id !== a!.workerId);
  });

  it('dispose frees the core in its worker and is not reported as lost', async () => {
    const p = await pool({ workers: 1 });
    const lost = lostEvents(p);
    const [a, b] = (await startCores(p, 2)) as [CoreHandle, CoreHandle];
    await a.dispose();
    await expect(a.call('debugEcho', 'op', ['x'])).rejects.toMatchObject({ kind: 'core-exited' });
    expect(p.coreCount).toBe(1);
    await until(() => p.workers()[0]!.cores === 1);
    expect(await b.call('debugEcho', 'op', ['y'])).toBe('"y"');
    expect(lost).toEqual([]);
  });

  it('rejects invalid pool options with the option named', async () => {
    await expect(CorePool.start({ core: 'test', workers: 0, logger: silentLogger })).rejects.toThrow(/workers must be an integer/);
    await expect(CorePool.start({ core: 'test', heartbeatIntervalMs: 500, hangThresholdMs: 400, logger: silentLogger })).rejects.toThrow(/hangThresholdMs/);
  });
});

describe('CorePool start-up with an unusable core file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'core-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['missing', () => Promise.resolve(join(dir, 'nope.wasm')), /nope\.wasm.*(not found|no such|does not exist)/i],
    [
      'not wasm',
      async () => {
        const f = join(dir, 'text.wasm');
        await writeFile(f, 'hello, not wasm');
        return f;
      },
      /text\.wasm.*not a WebAssembly module/i,
    ],
    [
      'not a Go program',
      async () => {
        const f = join(dir, 'plain.wasm');
        // The smallest valid module: magic + version, no imports at all.
        await writeFile(f, Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
        return f;
      },
      /plain\.wasm.*not a Go/i,
    ],
  ])('%s → one clear error naming the file', async (_label, makeFile, message) => {
    const file = await makeFile();
    const err = await CorePool.start({ core: file, logger: silentLogger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message.split('\n')).toHaveLength(1);
  });
});
