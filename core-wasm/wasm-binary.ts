/**
 * Minimal WebAssembly binary inspection and rewriting.
 *
 * The official core is ~36 MB, and we inspect it on every startup, so this only
 * walks section headers and decodes the three sections we care about (import,
 * memory, export). Code and data sections are skipped by their declared size.
 */

/** Go >= 1.21 imports its host functions from module `gojs`; Go 1.19 used `go`. */
export type GoAbi = 'gojs' | 'go';

export interface WasmInfo {
  goAbi: GoAbi | undefined;
  /** Distinct import module names, in order of first appearance. */
  importModules: string[];
  /** Export names, in declaration order. */
  exports: string[];
  /**
   * The module-defined memory (index 0). Undefined when the module defines no
   * memory; an imported memory is not reported here because its limits are the
   * embedder's business, not the module's.
   */
  memory: { initialPages: number; maximumPages: number | undefined } | undefined;
}

export class WasmFormatError extends Error {
  override readonly name = 'WasmFormatError';
}

const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;
const SECTION_EXPORT = 7;
const HIGHEST_KNOWN_SECTION = 13;

/** 4 GiB of 64 KiB pages: the ceiling for a 32-bit memory. */
const MAX_PAGES_32 = 65536;

const LIMITS_HAS_MAX = 0x01;
const LIMITS_SHARED = 0x02;
const LIMITS_MEMORY64 = 0x04;

const HEADER_SIZE = 8;
const MAGIC = [0x00, 0x61, 0x73, 0x6d] as const;

interface SectionHeader {
  id: number;
  /** Offset of the section id byte. */
  start: number;
  /** Offset of the first content byte (after the size LEB). */
  contentStart: number;
  /** Offset one past the last content byte. */
  end: number;
}

interface Limits {
  flags: number;
  min: number;
  max: number | undefined;
}

interface ModuleLayout {
  sections: SectionHeader[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Cursor over a byte range. Every read is bounds-checked against `end` so that a
 * lying length field yields a WasmFormatError rather than garbage or a RangeError.
 */
class Reader {
  pos: number;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly end: number,
    /** Describes the region in error messages, e.g. "section 7". */
    private readonly where: string,
  ) {
    this.pos = start;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  private truncated(): WasmFormatError {
    return new WasmFormatError(`truncated ${this.where} at byte ${this.pos}`);
  }

  u8(): number {
    if (this.pos >= this.end) throw this.truncated();
    // Bounds were checked just above, so the index is defined.
    return this.bytes[this.pos++]!;
  }

  u32(): number {
    return this.leb(32);
  }

  /** Unsigned LEB128 of at most `bits` bits (32 or 64); returned as a JS number. */
  leb(bits: 32 | 64): number {
    const start = this.pos;
    const maxBytes = Math.ceil(bits / 7);
    let result = 0;
    let scale = 1;
    for (let i = 0; i < maxBytes; i++) {
      const b = this.u8();
      // Multiplication instead of shifts: shifts are 32-bit signed in JS.
      result += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) {
        if (i === maxBytes - 1) {
          // The final byte may only carry the remaining high bits of the value.
          const usedBits = bits - 7 * (maxBytes - 1);
          if (b >> usedBits !== 0) {
            throw new WasmFormatError(`integer too large in ${this.where} at byte ${start}`);
          }
        }
        if (!Number.isSafeInteger(result)) {
          throw new WasmFormatError(`integer too large in ${this.where} at byte ${start}`);
        }
        return result;
      }
    }
    throw new WasmFormatError(`integer representation too long in ${this.where} at byte ${start}`);
  }

  skip(n: number): void {
    if (n > this.end - this.pos) {
      this.pos = this.end;
      throw this.truncated();
    }
    this.pos += n;
  }

  name(): string {
    const len = this.u32();
    const start = this.pos;
    this.skip(len);
    try {
      return utf8.decode(this.bytes.subarray(start, start + len));
    } catch {
      throw new WasmFormatError(`invalid UTF-8 name in ${this.where} at byte ${start}`);
    }
  }

  limits(): Limits {
    const at = this.pos;
    const flags = this.u8();
    if (flags & ~(LIMITS_HAS_MAX | LIMITS_SHARED | LIMITS_MEMORY64)) {
      throw new WasmFormatError(`invalid limits flags 0x${flags.toString(16)} in ${this.where} at byte ${at}`);
    }
    const bits = flags & LIMITS_MEMORY64 ? 64 : 32;
    const min = this.leb(bits);
    const max = flags & LIMITS_HAS_MAX ? this.leb(bits) : undefined;
    return { flags, min, max };
  }
}

function checkHeader(bytes: Uint8Array): void {
  if (bytes.length < 4 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new WasmFormatError('not a WebAssembly module: bad magic bytes');
  }
  if (bytes.length < HEADER_SIZE) {
    throw new WasmFormatError('truncated module header: no version field');
  }
  const version = new DataView(bytes.buffer, bytes.byteOffset + 4, 4).getUint32(0, true);
  if (version !== 1) {
    throw new WasmFormatError(`unsupported WebAssembly version ${version}`);
  }
}

function readLayout(bytes: Uint8Array): ModuleLayout {
  checkHeader(bytes);
  const sections: SectionHeader[] = [];
  const seen = new Set<number>();
  let pos = HEADER_SIZE;
  while (pos < bytes.length) {
    const start = pos;
    // The loop condition guarantees the id byte exists.
    const id = bytes[pos]!;
    if (id > HIGHEST_KNOWN_SECTION) {
      throw new WasmFormatError(`unknown section id ${id} at byte ${start}`);
    }
    const sizeReader = new Reader(bytes, pos + 1, bytes.length, `section ${id}`);
    const size = sizeReader.u32();
    const contentStart = sizeReader.pos;
    const end = contentStart + size;
    if (end > bytes.length) {
      throw new WasmFormatError(`truncated section ${id} at byte ${start}`);
    }
    // Custom sections (0) may repeat; any other repeat means a corrupt module,
    // and would make "the memory section" ambiguous for the rewrite.
    if (id !== 0) {
      if (seen.has(id)) throw new WasmFormatError(`duplicate section ${id} at byte ${start}`);
      seen.add(id);
    }
    sections.push({ id, start, contentStart, end });
    pos = end;
  }
  return { sections };
}

function sectionReader(bytes: Uint8Array, s: SectionHeader): Reader {
  return new Reader(bytes, s.contentStart, s.end, `section ${s.id}`);
}

function expectConsumed(r: Reader, s: SectionHeader): void {
  if (!r.atEnd) {
    throw new WasmFormatError(`section ${s.id} has ${s.end - r.pos} unexpected trailing bytes at byte ${r.pos}`);
  }
}

interface ImportScan {
  modules: string[];
  importedMemories: number;
}

function decodeImports(bytes: Uint8Array, s: SectionHeader): ImportScan {
  const r = sectionReader(bytes, s);
  const modules: string[] = [];
  let importedMemories = 0;
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    const module = r.name();
    r.name();
    const kindAt = r.pos;
    const kind = r.u8();
    switch (kind) {
      case 0x00: // function: type index
        r.u32();
        break;
      case 0x01: // table: reftype + limits
        r.u8();
        r.limits();
        break;
      case 0x02: // memory
        r.limits();
        importedMemories++;
        break;
      case 0x03: // global: valtype + mutability
        r.u8();
        r.u8();
        break;
      case 0x04: // tag (exception handling): attribute + type index
        r.u8();
        r.u32();
        break;
      default:
        throw new WasmFormatError(`unknown import kind 0x${kind.toString(16)} in section ${s.id} at byte ${kindAt}`);
    }
    if (!modules.includes(module)) modules.push(module);
  }
  expectConsumed(r, s);
  return { modules, importedMemories };
}

function decodeMemories(bytes: Uint8Array, s: SectionHeader): Limits[] {
  const r = sectionReader(bytes, s);
  const count = r.u32();
  const out: Limits[] = [];
  for (let i = 0; i < count; i++) out.push(r.limits());
  expectConsumed(r, s);
  return out;
}

function decodeExports(bytes: Uint8Array, s: SectionHeader): string[] {
  const r = sectionReader(bytes, s);
  const count = r.u32();
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    out.push(r.name());
    r.u8();
    r.u32();
  }
  expectConsumed(r, s);
  return out;
}

export function inspectWasm(bytes: Uint8Array): WasmInfo {
  const { sections } = readLayout(bytes);
  let importModules: string[] = [];
  let exports: string[] = [];
  let memory: WasmInfo['memory'];
  for (const s of sections) {
    if (s.id === SECTION_IMPORT) {
      importModules = decodeImports(bytes, s).modules;
    } else if (s.id === SECTION_MEMORY) {
      const first = decodeMemories(bytes, s)[0];
      if (first) memory = { initialPages: first.min, maximumPages: first.max };
    } else if (s.id === SECTION_EXPORT) {
      exports = decodeExports(bytes, s);
    }
  }
  // A module importing from both is not something Go produces; prefer the
  // current ABI so that the newer host is picked.
  const goAbi: GoAbi | undefined = importModules.includes('gojs') ? 'gojs' : importModules.includes('go') ? 'go' : undefined;
  return { goAbi, importModules, exports, memory };
}

/** Unsigned LEB128, as every size and count in the binary format is written. */
export function encodeU32(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

export interface MemoryRewrite {
  /**
   * Declare the memory shared. Nothing changes for code that runs in one thread (a Go js/wasm
   * program has no atomics); what changes is V8's bookkeeping: a shared memory is left out of
   * the isolate's external-memory accounting (docs/runtime.md#many-cores-in-one-worker).
   * A module's own shared bit is always kept.
   */
  shared?: boolean;
}

/**
 * Returns a copy of the module whose single module-defined memory declares
 * `maximumPages` as its maximum. V8 reserves address space according to the
 * maximum, and `memory.grow` past it fails, which is how per-core memory caps
 * are enforced.
 */
export function withMemoryMaximum(bytes: Uint8Array, maximumPages: number, rewrite: MemoryRewrite = {}): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(maximumPages) || maximumPages < 0) {
    throw new WasmFormatError(`memory maximum must be a non-negative integer number of pages, got ${maximumPages}`);
  }
  if (maximumPages > MAX_PAGES_32) {
    throw new WasmFormatError(`memory maximum ${maximumPages} pages exceeds the 32-bit limit of ${MAX_PAGES_32} pages`);
  }
  const { sections } = readLayout(bytes);
  const importSection = sections.find((s) => s.id === SECTION_IMPORT);
  if (importSection && decodeImports(bytes, importSection).importedMemories > 0) {
    throw new WasmFormatError('memory is imported, so its maximum is set by the host, not the module');
  }
  const memSection = sections.find((s) => s.id === SECTION_MEMORY);
  if (!memSection) throw new WasmFormatError('module has no memory section');
  const memories = decodeMemories(bytes, memSection);
  if (memories.length !== 1) {
    throw new WasmFormatError(`expected exactly one memory, the memory section declares ${memories.length}`);
  }
  const mem = memories[0]!;
  if (mem.flags & LIMITS_MEMORY64) {
    throw new WasmFormatError('64-bit memories are not supported');
  }
  if (maximumPages < mem.min) {
    throw new WasmFormatError(`memory maximum ${maximumPages} pages is below the initial size of ${mem.min} pages`);
  }

  // Keep the shared bit: dropping it would change the memory's type and
  // break any atomics in the code.
  const flags = (rewrite.shared === true ? LIMITS_SHARED : mem.flags & LIMITS_SHARED) | LIMITS_HAS_MAX;
  const content = [...encodeU32(1), flags, ...encodeU32(mem.min), ...encodeU32(maximumPages)];
  const header = [SECTION_MEMORY, ...encodeU32(content.length)];

  const before = bytes.subarray(0, memSection.start);
  const after = bytes.subarray(memSection.end);
  const out = new Uint8Array(before.length + header.length + content.length + after.length);
  out.set(before, 0);
  out.set(header, before.length);
  out.set(content, before.length + header.length);
  out.set(after, before.length + header.length + content.length);
  return out;
}
