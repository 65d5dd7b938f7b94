import { once } from 'node:events';
import { createServer } from 'node:net';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { CORE_MEMORY_MIN_BYTES, procFigures, wasmMemories } from '../../../scripts/lib/proc-figures.ts';

const PAGE = 64 * 1024;

describe('procFigures', () => {
  if (process.platform !== 'linux') {
    it('reports every figure as n/a without /proc', () => {
      expect(Object.values(procFigures('self')).every((v) => v === undefined)).toBe(true);
    });
    return;
  }

  it('counts a new core-sized linear memory, and a small one only among all memories', () => {
    const before = procFigures('self');
    const small = new WebAssembly.Memory({ initial: 2 });
    const afterSmall = procFigures('self');
    const big = new WebAssembly.Memory({ initial: CORE_MEMORY_MIN_BYTES / PAGE });
    new Uint8Array(big.buffer).fill(1, 0, 2 ** 20); // 1 MiB touched: resident
    const afterBig = procFigures('self');
    expect(afterSmall.wasmMemories).toBe((before.wasmMemories as number) + 1);
    expect(afterSmall.coreMemories).toBe(before.coreMemories);
    expect(afterBig.wasmMemories).toBe((before.wasmMemories as number) + 2);
    expect(afterBig.coreMemories).toBe((before.coreMemories as number) + 1);
    expect(afterBig.wasmResidentBytes as number).toBeGreaterThanOrEqual((afterSmall.wasmResidentBytes as number) + 2 ** 20);
    expect(small.buffer.byteLength + big.buffer.byteLength).toBeGreaterThan(0); // both alive until here
  });

  it('counts a listening socket among open fds and sockets, and a worker among threads', async () => {
    const before = procFigures('self');
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const withServer = procFigures('self');
    server.close();
    await once(server, 'close');
    expect(withServer.fds).toBe((before.fds as number) + 1);
    expect(withServer.sockets).toBe((before.sockets as number) + 1);

    const threadsBefore = procFigures('self').threads as number;
    const worker = new Worker('require("node:worker_threads").parentPort.postMessage("up"); setInterval(() => {}, 1000);', { eval: true });
    try {
      await once(worker, 'message');
      expect(procFigures('self').threads).toBeGreaterThanOrEqual(threadsBefore + 1);
    } finally {
      await worker.terminate();
    }
  });
});

describe('wasmMemories', () => {
  it('finds an accessible mapping right before a ≥ 4 GiB guard, and nothing else', () => {
    const smaps = [
      '7f0000000000-7f0001000000 rw-p 00000000 00:00 0', // 16 MiB body
      'Rss:                2048 kB',
      '7f0001000000-7f0281000000 ---p 00000000 00:00 0', // 10 GiB guard
      'Rss:                   0 kB',
      '7f0300000000-7f0300030000 rw-p 00000000 00:00 0', // 192 KiB body
      'Rss:                  88 kB',
      '7f0300030000-7f0500000000 ---p 00000000 00:00 0', // ≈ 8 GiB guard
      'Rss:                   0 kB',
      '7f0600000000-7f0601000000 rw-p 00000000 00:00 0', // 16 MiB, small guard: not wasm
      'Rss:                 100 kB',
      '7f0601000000-7f0601100000 ---p 00000000 00:00 0',
    ].join('\n');
    expect(wasmMemories(smaps)).toEqual({ count: 2, coreSized: 1, residentBytes: (2048 + 88) * 1024 });
    expect(wasmMemories(undefined)).toBeUndefined();
  });
});
