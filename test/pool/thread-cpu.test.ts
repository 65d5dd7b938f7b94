import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { parseThreadStatCpuMs, threadCpuMs } from '../../src/pool/thread-cpu.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const threads: Worker[] = [];
afterEach(async () => {
  await Promise.all(threads.splice(0).map((t) => t.terminate()));
});

describe('thread CPU time', () => {
  it('parses utime + stime from a stat line whose name holds spaces and parentheses', () => {
    const line = '4242 (node (worker) x) R 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 12 0 99 0 0';
    expect(parseThreadStatCpuMs(line)).toBe(1750);
    expect(parseThreadStatCpuMs('garbage')).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')('tells a real thread that spins from one that is blocked', async () => {
    const source = `
      const { parentPort } = require('node:worker_threads');
      const { readlinkSync } = require('node:fs');
      parentPort.once('message', ({ mode, ms, lock }) => {
        parentPort.postMessage(Number(readlinkSync('/proc/thread-self').split('/').at(-1)));
        const until = Date.now() + ms;
        if (mode === 'spin') while (Date.now() < until) {}
        else Atomics.wait(new Int32Array(lock), 0, 0, ms);
      });`;
    const run = async (mode: 'spin' | 'block'): Promise<number> => {
      const t = new Worker(source, { eval: true });
      threads.push(t);
      const tid = new Promise<number>((r) => t.once('message', r));
      t.postMessage({ mode, ms: 600, lock: new SharedArrayBuffer(4) });
      const id = await tid;
      const before = threadCpuMs(id)!;
      await sleep(500);
      return threadCpuMs(id)! - before;
    };
    expect(await run('spin')).toBeGreaterThan(150); // most of 500 ms, even on a loaded machine
    expect(await run('block')).toBeLessThan(50);
  });
});
