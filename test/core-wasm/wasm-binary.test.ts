import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { inspectWasm, WasmFormatError, withMemoryMaximum } from '../../core-wasm/wasm-binary.ts';
import { buildGoLikeModule, fixtureImports } from '../helpers/wasm-fixtures.ts';

interface FixtureExports {
  mem: WebAssembly.Memory;
  run: () => void;
}

async function instantiate(bytes: Uint8Array<ArrayBuffer>, importModule: string | null = 'gojs'): Promise<FixtureExports> {
  const module = await WebAssembly.compile(bytes);
  const instance = new WebAssembly.Instance(module, fixtureImports(importModule));
  // The fixture's export shape is known; WebAssembly.Exports is untyped.
  return instance.exports as unknown as FixtureExports;
}

function expectFormatError(fn: () => unknown, message: string | RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(WasmFormatError);
  if (typeof message === 'string') expect((caught as Error).message).toBe(message);
  else expect((caught as Error).message).toMatch(message);
}

/** Independent of the code under test: a plain header walk over a well-formed module. */
function findSection(bytes: Uint8Array, id: number): { start: number; end: number } {
  let i = 8;
  while (i < bytes.length) {
    const start = i;
    const sectionId = bytes[i++]!;
    let size = 0;
    let shift = 0;
    let b: number;
    do {
      b = bytes[i++]!;
      size += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    i += size;
    if (sectionId === id) return { start, end: i };
  }
  throw new Error(`fixture has no section ${id}`);
}

function officialWasmPath(): string {
  // The package's "exports" map hides package.json, but its CommonJS entry
  // point is resolvable and sits in lib/.
  const entry = createRequire(import.meta.url).resolve('@openim/wasm-client-sdk');
  return path.join(path.dirname(entry), '..', 'assets', 'openIM.wasm');
}

describe('fixture modules', () => {
  it('are valid WebAssembly', async () => {
    const exports = await instantiate(buildGoLikeModule());
    expect(exports.mem.buffer.byteLength).toBe(65536);
    expect(typeof exports.run).toBe('function');
  });
});

describe('inspectWasm', () => {
  it('reports imports, exports and memory of a gojs module', () => {
    const info = inspectWasm(buildGoLikeModule({ memory: { min: 3 } }));
    expect(info).toEqual({
      goAbi: 'gojs',
      importModules: ['gojs'],
      exports: ['run', 'resume', 'getsp', 'mem'],
      memory: { initialPages: 3, maximumPages: undefined },
    });
  });

  it('recognises the Go 1.19 ABI and a declared maximum', () => {
    const info = inspectWasm(buildGoLikeModule({ importModule: 'go', memory: { min: 2, max: 300 } }));
    expect(info.goAbi).toBe('go');
    expect(info.importModules).toEqual(['go']);
    expect(info.memory).toEqual({ initialPages: 2, maximumPages: 300 });
  });

  it('reports no Go ABI for other import modules, and no imports at all', () => {
    expect(inspectWasm(buildGoLikeModule({ importModule: 'env' })).goAbi).toBeUndefined();
    const bare = inspectWasm(buildGoLikeModule({ importModule: null, exports: ['start'] }));
    expect(bare.goAbi).toBeUndefined();
    expect(bare.importModules).toEqual([]);
    expect(bare.exports).toEqual(['start']);
  });

  it('does not report an imported memory as the module memory', () => {
    const info = inspectWasm(buildGoLikeModule({ memory: { min: 1, imported: true } }));
    expect(info.importModules).toEqual(['gojs', 'env']);
    expect(info.memory).toBeUndefined();
  });

  it('skips custom sections', () => {
    const info = inspectWasm(buildGoLikeModule({ customSectionBytes: 1000 }));
    expect(info.exports).toEqual(['run', 'resume', 'getsp', 'mem']);
  });

  it('rejects bad magic bytes', () => {
    expectFormatError(() => inspectWasm(new TextEncoder().encode('hello world')), 'not a WebAssembly module: bad magic bytes');
    expectFormatError(() => inspectWasm(new Uint8Array(0)), 'not a WebAssembly module: bad magic bytes');
  });

  it('rejects an unsupported version', () => {
    const bytes = buildGoLikeModule();
    bytes[4] = 2;
    expectFormatError(() => inspectWasm(bytes), 'unsupported WebAssembly version 2');
  });

  it('rejects a truncated module, naming the section and offset', () => {
    const bytes = buildGoLikeModule();
    // Cut inside the final (code, id 10) section's content.
    const cut = bytes.subarray(0, bytes.length - 3);
    const codeStart = findSection(bytes, 10).start;
    expectFormatError(() => inspectWasm(cut), `truncated section 10 at byte ${codeStart}`);
    expectFormatError(() => inspectWasm(bytes.subarray(0, 6)), 'truncated module header: no version field');
  });

  it('rejects a section whose content overruns its declared size', () => {
    const bytes = buildGoLikeModule({ memory: { min: 1 } });
    const memAt = findSection(bytes, 5).start;
    expect(bytes[memAt + 1]).toBe(3); // count, flags, min
    // Declare 2 memories in a section only big enough for one.
    bytes[memAt + 2] = 2;
    expectFormatError(() => inspectWasm(bytes), `truncated section 5 at byte ${memAt + 5}`);
  });

  it('inspects the official 36 MB core quickly', () => {
    const bytes = readFileSync(officialWasmPath());
    expect(bytes.length).toBeGreaterThan(30e6);
    const t0 = performance.now();
    const info = inspectWasm(bytes);
    const elapsed = performance.now() - t0;
    expect(info.goAbi).toBe('gojs');
    expect(info.exports).toEqual(expect.arrayContaining(['run', 'resume', 'getsp', 'mem']));
    expect(info.memory?.initialPages).toBeGreaterThan(0);
    // Generous bound: a full decode of the code section would take far longer.
    expect(elapsed).toBeLessThan(100);
  });
});

describe('withMemoryMaximum', () => {
  it('adds a maximum that the engine enforces', async () => {
    const original = buildGoLikeModule({ memory: { min: 2 } });
    const out = withMemoryMaximum(original, 5);
    expect(inspectWasm(out).memory).toEqual({ initialPages: 2, maximumPages: 5 });
    // The input is left alone.
    expect(inspectWasm(original).memory).toEqual({ initialPages: 2, maximumPages: undefined });

    const { mem } = await instantiate(out);
    expect(mem.buffer.byteLength).toBe(2 * 65536);
    expect(mem.grow(3)).toBe(2);
    expect(() => mem.grow(1)).toThrow(RangeError);
  });

  it('replaces an existing maximum, both lower and higher', async () => {
    const original = buildGoLikeModule({ memory: { min: 1, max: 10 } });

    const lower = withMemoryMaximum(original, 3);
    expect(inspectWasm(lower).memory).toEqual({ initialPages: 1, maximumPages: 3 });
    const lowerMem = (await instantiate(lower)).mem;
    expect(() => lowerMem.grow(3)).toThrow(RangeError);
    expect(lowerMem.grow(2)).toBe(1);

    const higher = withMemoryMaximum(original, 200);
    expect(inspectWasm(higher).memory).toEqual({ initialPages: 1, maximumPages: 200 });
    const higherMem = (await instantiate(higher)).mem;
    expect(higherMem.grow(150)).toBe(1); // beyond the old maximum of 10
    expect(() => higherMem.grow(50)).toThrow(RangeError);
  });

  it('copies every other byte unchanged', () => {
    const original = buildGoLikeModule({ memory: { min: 1 }, customSectionBytes: 300 });
    const { start: memAt, end: memEnd } = findSection(original, 5);
    const out = withMemoryMaximum(original, 65536);
    // New section: id, size, count, flags 0x01, min 1, max 65536 as a 3-byte LEB.
    expect([...out.subarray(memAt, memAt + 8)]).toEqual([5, 6, 1, 0x01, 1, 0x80, 0x80, 0x04]);
    expect(out.subarray(0, memAt)).toEqual(original.subarray(0, memAt));
    expect(out.subarray(memAt + 8)).toEqual(original.subarray(memEnd));
    expect(out.length).toBe(original.length + 3);
  });

  it('handles padded LEBs in the original memory section', async () => {
    const original = buildGoLikeModule({ memory: { min: 2 } });
    const { start: memAt, end: memEnd } = findSection(original, 5);
    // Linkers may emit fixed-width LEBs so they can patch sizes in place.
    const padded = Uint8Array.from([
      ...original.subarray(0, memAt),
      5,
      0x87,
      0x80,
      0x80,
      0x80,
      0x00, // size 7, padded to 5 bytes
      1,
      0x00,
      0x82,
      0x80,
      0x80,
      0x80,
      0x00, // count 1, flags 0, min 2 padded
      ...original.subarray(memEnd),
    ]);
    expect(inspectWasm(padded).memory).toEqual({ initialPages: 2, maximumPages: undefined });
    const out = withMemoryMaximum(padded, 4);
    expect(inspectWasm(out).memory).toEqual({ initialPages: 2, maximumPages: 4 });
    const { mem } = await instantiate(out);
    expect(() => mem.grow(3)).toThrow(RangeError);
  });

  it('declares the memory shared when asked, and grows it the same way', async () => {
    const original = buildGoLikeModule({ memory: { min: 2 } });
    const out = withMemoryMaximum(original, 6, { shared: true });
    const { start: memAt } = findSection(out, 5);
    // id, size, count, flags (shared | has max), min, max
    expect([...out.subarray(memAt, memAt + 6)]).toEqual([5, 4, 1, 0x03, 2, 6]);
    const { mem } = await instantiate(out);
    expect(mem.buffer).toBeInstanceOf(SharedArrayBuffer);
    new Uint8Array(mem.buffer)[100] = 7;
    expect(mem.grow(4)).toBe(2);
    // A grown shared memory hands out a new, longer buffer over the same bytes.
    expect(mem.buffer.byteLength).toBe(6 * 65536);
    expect(new Uint8Array(mem.buffer)[100]).toBe(7);
    expect(() => mem.grow(1)).toThrow(RangeError);

    const { mem: plain } = await instantiate(withMemoryMaximum(original, 6));
    expect(plain.buffer).toBeInstanceOf(ArrayBuffer);
  });

  it('keeps the exports and ABI intact', () => {
    const out = withMemoryMaximum(buildGoLikeModule({ importModule: 'go', memory: { min: 4 } }), 64);
    const info = inspectWasm(out);
    expect(info.goAbi).toBe('go');
    expect(info.exports).toEqual(['run', 'resume', 'getsp', 'mem']);
  });

  it('rejects a module without memory', () => {
    const bytes = buildGoLikeModule({ memory: null, exports: ['run'] });
    expectFormatError(() => withMemoryMaximum(bytes, 10), 'module has no memory section');
  });

  it('rejects an imported memory', () => {
    const bytes = buildGoLikeModule({ memory: { min: 1, imported: true } });
    expectFormatError(() => withMemoryMaximum(bytes, 10), /memory is imported/);
  });

  it('rejects a maximum below the initial size', () => {
    const bytes = buildGoLikeModule({ memory: { min: 8 } });
    expectFormatError(() => withMemoryMaximum(bytes, 7), 'memory maximum 7 pages is below the initial size of 8 pages');
  });

  it('rejects a maximum above 65536 pages', () => {
    const bytes = buildGoLikeModule();
    expectFormatError(() => withMemoryMaximum(bytes, 65537), /exceeds the 32-bit limit of 65536 pages/);
  });

  it('rejects malformed input with the same errors as inspectWasm', () => {
    expectFormatError(() => withMemoryMaximum(new Uint8Array([1, 2, 3, 4]), 10), 'not a WebAssembly module: bad magic bytes');
  });
});
