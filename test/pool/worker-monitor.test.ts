import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerMonitor, type MonitorCallbacks } from '../../src/pool/worker-monitor.ts';
import type { ControlReply, ControlRequest } from '../../src/pool/worker/protocol.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const monitors: WorkerMonitor[] = [];
afterEach(() => {
  for (const m of monitors.splice(0)) m.stop();
});

/** The worker's end of a control port, answering pings only while `answering`. */
function fakeWorker(cores: number): { port: MessagePort; state: { answering: boolean } } {
  const { port1, port2 } = new MessageChannel();
  const state = { answering: true };
  port2.on('message', (msg: ControlRequest) => {
    if (!state.answering) return;
    const reply: ControlReply = { type: 'pong', seq: msg.seq, cores, coreMemoryBytes: 0, coreHeldValues: 0, heapUsedBytes: 0 };
    port2.postMessage(reply);
  });
  return { port: port1, state };
}

function watch(cpu: { ms: number } | undefined, ceilingMs = 5000, cores = 0) {
  const w = fakeWorker(cores);
  const seen = { hangs: [] as Array<{ silentMs: number; ranMs: number | undefined }>, overloads: 0 };
  const callbacks: MonitorCallbacks = {
    onHang: (silentMs, ranMs) => seen.hangs.push({ silentMs, ranMs }),
    onOverloaded: () => seen.overloads++,
  };
  const m = new WorkerMonitor(
    1,
    w.port,
    { intervalMs: 20, hangThresholdMs: 200, hangAllowancePerCoreMs: 5, hangCeilingMs: ceilingMs, tid: cpu ? 1234 : undefined, readThreadCpuMs: () => cpu?.ms },
    callbacks,
  );
  monitors.push(m);
  return { ...w, seen };
}

describe('WorkerMonitor', () => {
  it('a silent worker that keeps running (a busy loop) is hung once it ran past the threshold', async () => {
    const cpu = { ms: 0 };
    const { state, seen } = watch(cpu);
    await sleep(100);
    state.answering = false;
    const spin = setInterval(() => (cpu.ms += 20), 20); // running all the time
    await sleep(600);
    clearInterval(spin);
    expect(seen.hangs).toHaveLength(1);
    expect(seen.hangs[0]!.ranMs).toBeGreaterThan(200);
    expect(seen.overloads).toBe(0);
  });

  it('a worker holding many cores may run longer without answering (a full GC of a big heap): 200 ms + 5 ms per core', async () => {
    const cpu = { ms: 0 };
    const { state, seen } = watch(cpu, 5000, 100); // 200 + 100 × 5 = 700 ms
    await sleep(100); // a pong tells how many cores it holds
    state.answering = false;
    const spin = setInterval(() => (cpu.ms += 20), 20);
    await sleep(500);
    expect(seen.hangs).toEqual([]);
    await sleep(500);
    clearInterval(spin);
    expect(seen.hangs).toHaveLength(1);
    expect(seen.hangs[0]!.ranMs).toBeGreaterThan(700);
  });

  it('a silent worker that barely runs (an overloaded machine) is kept, reported once, and healthy again when it answers', async () => {
    const cpu = { ms: 0 };
    const { state, seen } = watch(cpu);
    state.answering = false;
    const crawl = setInterval(() => (cpu.ms += 1), 20); // 5 % of a CPU
    await sleep(800);
    expect(seen.hangs).toEqual([]);
    expect(seen.overloads).toBe(1);
    state.answering = true;
    await sleep(100);
    state.answering = false;
    await sleep(400);
    clearInterval(crawl);
    expect(seen.hangs).toEqual([]);
    expect(seen.overloads).toBe(2); // one report per silence
  });

  it('past the ceiling a silent worker is hung however little it ran (blocked for ever)', async () => {
    const { state, seen } = watch({ ms: 0 }, 500);
    state.answering = false;
    await sleep(900);
    expect(seen.hangs).toHaveLength(1);
    expect(seen.hangs[0]).toMatchObject({ ranMs: 0 });
    expect(seen.hangs[0]!.silentMs).toBeGreaterThan(500);
  });

  it('without the thread CPU time (not Linux), silence alone decides', async () => {
    const { state, seen } = watch(undefined);
    state.answering = false;
    await sleep(500);
    expect(seen.hangs).toHaveLength(1);
    expect(seen.hangs[0]!.ranMs).toBeUndefined();
  });
});
