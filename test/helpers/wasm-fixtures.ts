/**
 * Hand-assembled WebAssembly modules shaped like a Go js/wasm program (host
 * imports, one memory, exports run/resume/getsp/mem) but tiny, so tests of the
 * binary tooling do not depend on a Go toolchain.
 */
import { encodeU32 } from '../../core-wasm/wasm-binary.ts';

export interface FixtureMemory {
  min: number;
  max?: number;
  /** Import the memory from `env.mem` instead of defining it. */
  imported?: boolean;
}

export interface FixtureOptions {
  /** Module name of the single function import; null for no imports. Default 'gojs'. */
  importModule?: string | null;
  /** null for no memory at all. Default { min: 1 }. */
  memory?: FixtureMemory | null;
  /** Default run, resume, getsp, mem. `mem` exports memory 0; every other name a function. */
  exports?: readonly string[];
  /** Bytes of a custom section placed right after the memory (or function) section. */
  customSectionBytes?: number;
}

export const GO_EXPORTS = ['run', 'resume', 'getsp', 'mem'] as const;
export const FIXTURE_IMPORT_FIELD = 'debug';

const u32 = encodeU32;

function name(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...u32(b.length), ...b];
}

function limits(m: FixtureMemory): number[] {
  return m.max === undefined ? [0x00, ...u32(m.min)] : [0x01, ...u32(m.min), ...u32(m.max)];
}

function section(id: number, content: number[]): number[] {
  return [id, ...u32(content.length), ...content];
}

function vec(items: number[][]): number[] {
  return [...u32(items.length), ...items.flat()];
}

export function buildGoLikeModule(opts: FixtureOptions = {}): Uint8Array<ArrayBuffer> {
  const importModule = opts.importModule === undefined ? 'gojs' : opts.importModule;
  const memory = opts.memory === undefined ? { min: 1 } : opts.memory;
  const exportNames = opts.exports ?? GO_EXPORTS;
  const funcExports = exportNames.filter((n) => n !== 'mem');

  const bytes: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  // Type 0: () -> ()
  bytes.push(...section(1, vec([[0x60, 0x00, 0x00]])));

  const imports: number[][] = [];
  if (importModule !== null) imports.push([...name(importModule), ...name(FIXTURE_IMPORT_FIELD), 0x00, 0x00]);
  if (memory?.imported) imports.push([...name('env'), ...name('mem'), 0x02, ...limits(memory)]);
  if (imports.length > 0) bytes.push(...section(2, vec(imports)));

  const importedFuncs = importModule !== null ? 1 : 0;
  bytes.push(...section(3, vec(funcExports.map(() => [0x00]))));

  if (memory && !memory.imported) bytes.push(...section(5, vec([limits(memory)])));

  if (opts.customSectionBytes !== undefined) {
    const payload = [...name('padding'), ...new Array<number>(opts.customSectionBytes).fill(0xab)];
    bytes.push(...section(0, payload));
  }

  const exportEntries = exportNames.map((n) => (n === 'mem' ? [...name(n), 0x02, 0x00] : [...name(n), 0x00, ...u32(importedFuncs + funcExports.indexOf(n))]));
  bytes.push(...section(7, vec(exportEntries)));

  // Each body: size 2, no locals, `end`.
  bytes.push(...section(10, vec(funcExports.map(() => [0x02, 0x00, 0x0b]))));
  return Uint8Array.from(bytes);
}

/** Imports satisfying any fixture built by buildGoLikeModule. */
export function fixtureImports(importModule: string | null = 'gojs', memory?: WebAssembly.Memory): WebAssembly.Imports {
  const imports: WebAssembly.Imports = {};
  if (importModule !== null) imports[importModule] = { [FIXTURE_IMPORT_FIELD]: () => {} };
  if (memory) imports['env'] = { mem: memory };
  return imports;
}
