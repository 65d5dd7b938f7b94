/**
 * Go `encoding/gob` primitives (docs/im-server.md#frames): unsigned and zig-zag signed integers, and
 * length-prefixed byte strings. Values are bigints so that 64-bit fields survive.
 */

export class GobError extends Error {
  constructor(message: string) {
    super(`gob: ${message}`);
    this.name = 'GobError';
  }
}

const MAX_UINT64 = (1n << 64n) - 1n;

export function toUnsignedWire(n: bigint): bigint {
  if (n < 0n || n > MAX_UINT64) throw new RangeError(`${n} does not fit a gob uint`);
  return n;
}

/** Signed → the unsigned form gob writes: v<<1 for v ≥ 0, (~v<<1)|1 otherwise. */
export function zigzag(v: bigint): bigint {
  return v < 0n ? (~v << 1n) | 1n : v << 1n;
}

export function unzigzag(u: bigint): bigint {
  return (u & 1n) === 1n ? ~(u >> 1n) : u >> 1n;
}

export class GobWriter {
  #chunks: number[] = [];

  uint(value: bigint | number): this {
    const n = toUnsignedWire(BigInt(value));
    if (n < 128n) {
      this.#chunks.push(Number(n));
      return this;
    }
    const bytes: number[] = [];
    for (let v = n; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
    // The count byte holds -len as an 8-bit value.
    this.#chunks.push(256 - bytes.length, ...bytes);
    return this;
  }

  int(value: bigint | number): this {
    return this.uint(zigzag(BigInt(value)));
  }

  bytes(value: Uint8Array): this {
    this.uint(value.length);
    for (const b of value) this.#chunks.push(b);
    return this;
  }

  string(value: string): this {
    return this.bytes(new TextEncoder().encode(value));
  }

  raw(value: Uint8Array): this {
    for (const b of value) this.#chunks.push(b);
    return this;
  }

  get length(): number {
    return this.#chunks.length;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#chunks);
  }
}

export class GobReader {
  readonly #buf: Uint8Array;
  #pos: number;
  readonly #end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#pos = start;
    this.#end = end;
  }

  get remaining(): number {
    return this.#end - this.#pos;
  }

  get position(): number {
    return this.#pos;
  }

  byte(): number {
    if (this.#pos >= this.#end) throw new GobError('unexpected end of data');
    return this.#buf[this.#pos++] as number;
  }

  uint(): bigint {
    const first = this.byte();
    if (first < 128) return BigInt(first);
    const count = 256 - first;
    if (count > 8) throw new GobError('encoded unsigned integer out of range');
    let n = 0n;
    for (let i = 0; i < count; i++) n = (n << 8n) | BigInt(this.byte());
    return n;
  }

  int(): bigint {
    return unzigzag(this.uint());
  }

  /** A uint that must be a usable length or count. */
  length(what: string): number {
    const n = this.uint();
    if (n > BigInt(this.remaining)) throw new GobError(`${what} ${n} exceeds the ${this.remaining} bytes left`);
    return Number(n);
  }

  bytes(): Uint8Array {
    const n = this.length('byte length');
    const out = this.#buf.slice(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  string(): string {
    return new TextDecoder().decode(this.bytes());
  }

  /** A sub-reader over the next n bytes, which this reader then skips. */
  take(n: number): GobReader {
    if (n > this.remaining) throw new GobError(`message of ${n} bytes exceeds the ${this.remaining} bytes left`);
    const sub = new GobReader(this.#buf, this.#pos, this.#pos + n);
    this.#pos += n;
    return sub;
  }
}
