/**
 * Host side of Go's js/wasm ABI (GOOS=js GOARCH=wasm), written for running many Go
 * programs side by side in one thread.
 *
 * Differences from Go's stock glue that matter here:
 *  - `globalThis` as seen by Go (reference id 5) is a per-instance scope object, so the
 *    functions one program registers never collide with another's;
 *  - exit is terminal and contained: every timer the program scheduled is cleared, any
 *    later resume (a timer, a callback from JS) is a silent no-op instead of an uncaught
 *    throw that would take the whole worker down;
 *  - a wasm trap or a host exception escaping Go code ends only this instance;
 *  - both import-module names are served: `gojs` (Go >= 1.21) and `go` (Go 1.19).
 */

export type GoExitCause =
  /** Go called os.Exit / main returned (code 0) or the runtime aborted (code 2: panic, fatal error). */
  | { kind: 'exit'; code: number }
  /** The wasm code trapped or a host call threw through Go frames: state is unusable. */
  | { kind: 'trap'; error: Error }
  /** The host ended the instance on purpose (logout, shutdown). */
  | { kind: 'disposed' };

export interface GoHostOptions {
  /** Object Go sees as `globalThis`. */
  scope: object;
  /** Receives raw bytes Go writes to fd 1/2 through `runtime.wasmWrite` (print, panics). */
  write(fd: number, bytes: Uint8Array): void;
  /** Called exactly once when the instance ends, for any cause. */
  onExit(cause: GoExitCause): void;
  argv?: readonly string[];
  env?: Readonly<Record<string, string>>;
}

const NAN_HEAD = 0x7ff80000;
/** Go's linker puts global data at 4096 + 8192; argv/env must fit below it. */
const WASM_MIN_DATA_ADDR = 4096 + 8192;
const ARGV_START = 4096;

/**
 * Thrown out of an import when the instance ended while JS code it called was running
 * (a nested callback panicked, say): it unwinds the remaining Go frames instead of letting
 * them run on in a dead runtime.
 */
const UNWIND = new Error('Go instance exited; unwinding its stack');

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const timeOrigin = Date.now() - performance.now();

interface GoExports {
  mem: WebAssembly.Memory;
  run(argc: number, argv: number): void;
  resume(): void;
  getsp(): number;
}

/** Record Go reads through the `_pendingEvent` property of its host object (id 6). */
interface PendingEvent {
  id: number;
  this: unknown;
  args: IArguments;
  result?: unknown;
}

/**
 * One running Go program. Create, then `start()`; after that the program lives until it
 * exits on its own or `dispose()` is called.
 */
export class GoHost {
  #opts: GoHostOptions;
  #exports: GoExports | undefined;
  #mem!: DataView;
  #values: unknown[] = [];
  #refCounts: number[] = [];
  #ids = new Map<unknown, number>();
  #idPool: number[] = [];
  #timeouts = new Map<number, ReturnType<typeof setTimeout>>();
  #nextTimeoutId = 1;
  #exited = false;
  #depth = 0;
  /** The object Go calls `jsGo`: it reads `_pendingEvent` and calls `_makeFuncWrapper`. */
  readonly #goObject: { _pendingEvent: PendingEvent | null; _makeFuncWrapper(id: number): unknown };

  constructor(opts: GoHostOptions) {
    this.#opts = opts;
    const host = this;
    this.#goObject = {
      _pendingEvent: null,
      _makeFuncWrapper(id: number) {
        return function goFunc(this: unknown) {
          // eslint-disable-next-line prefer-rest-params -- Go indexes the arguments object itself
          const event: PendingEvent = { id, this: this, args: arguments };
          host.#goObject._pendingEvent = event;
          host.#resume();
          return event.result;
        };
      },
    };
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** Bytes of linear memory currently in use by this instance. */
  get memoryBytes(): number {
    return this.#exports?.mem.buffer.byteLength ?? 0;
  }

  /**
   * JavaScript values Go holds a reference to (diagnostics). Go lets go of them only when
   * its GC finalizes the js.Value, so between Go GCs they pile up with the calls made.
   */
  get heldValues(): number {
    return this.#ids.size;
  }

  /** Number of Go timers currently scheduled (diagnostics, tests). */
  get pendingTimers(): number {
    return this.#timeouts.size;
  }

  /**
   * Instantiate and run `main` until it first blocks (Go returns to the host when idle).
   * Resolves when `run` returns; the program keeps living on timers and callbacks.
   */
  async start(module: WebAssembly.Module, abi: 'gojs' | 'go'): Promise<void> {
    const instance = await WebAssembly.instantiate(module, {
      [abi]: this.#imports(),
    });
    const exports = instance.exports as unknown as GoExports;
    this.#exports = exports;
    this.#mem = new DataView(exports.mem.buffer);
    this.#values = [NaN, 0, null, true, false, this.#opts.scope, this.#goObject];
    this.#refCounts = this.#values.map(() => Infinity);
    this.#ids = new Map<unknown, number>(this.#values.slice(1).map((v, i) => [v, i + 1]));
    const { argc, argv } = this.#writeArgs();
    this.#enterGo(() => exports.run(argc, argv));
  }

  /** End the instance now (no Go code runs again). Idempotent. */
  dispose(): void {
    this.#finish({ kind: 'disposed' });
  }

  #finish(cause: GoExitCause): void {
    if (this.#exited) return;
    this.#exited = true;
    for (const t of this.#timeouts.values()) clearTimeout(t);
    this.#timeouts.clear();
    // Drop every JS value Go held, so a dead instance pins nothing (scope, sockets, promises).
    this.#values = [];
    this.#refCounts = [];
    this.#ids.clear();
    this.#idPool = [];
    this.#goObject._pendingEvent = null;
    this.#exports = undefined;
    this.#opts.onExit(cause);
  }

  /** Runs Go code, turning any exception out of it into the end of this instance only. */
  #enterGo(fn: () => void): void {
    if (this.#exited) return;
    this.#depth++;
    try {
      fn();
    } catch (err) {
      if (!this.#exited) this.#finish({ kind: 'trap', error: err instanceof Error ? err : new Error(String(err)) });
      // Nested entry (Go -> JS -> Go): the outer Go frames must unwind too, whether or not
      // the JS in between swallows this (a Promise executor would); see #afterJs.
      if (this.#depth > 1) throw UNWIND;
    } finally {
      this.#depth--;
    }
  }

  #resume(): void {
    const exports = this.#exports;
    if (this.#exited || !exports) return;
    this.#enterGo(() => exports.resume());
  }

  #writeArgs(): { argc: number; argv: number } {
    const argv = this.#opts.argv ?? ['js'];
    const env = this.#opts.env ?? {};
    let offset = ARGV_START;
    const bytes = new Uint8Array(this.#mem.buffer);
    const putString = (s: string): number => {
      const ptr = offset;
      const encoded = encoder.encode(`${s}\0`);
      bytes.set(encoded, offset);
      offset += encoded.length;
      offset += (8 - (offset % 8)) % 8;
      return ptr;
    };
    const pointers = [
      ...argv.map(putString),
      0,
      ...Object.keys(env)
        .sort()
        .map((k) => putString(`${k}=${env[k]}`)),
      0,
    ];
    const argvAddr = offset;
    for (const p of pointers) {
      this.#mem.setUint32(offset, p, true);
      this.#mem.setUint32(offset + 4, 0, true);
      offset += 8;
    }
    if (offset >= WASM_MIN_DATA_ADDR) throw new Error('Go program arguments and environment are too long');
    return { argc: argv.length, argv: argvAddr };
  }

  // ---- memory accessors (all addresses are unsigned 32-bit) ----

  #getInt64(addr: number): number {
    return this.#mem.getUint32(addr, true) + this.#mem.getInt32(addr + 4, true) * 4294967296;
  }

  #setInt64(addr: number, v: number): void {
    this.#mem.setUint32(addr, v, true);
    this.#mem.setUint32(addr + 4, Math.floor(v / 4294967296), true);
  }

  #loadSlice(addr: number): Uint8Array {
    return new Uint8Array(this.#mem.buffer, this.#getInt64(addr), this.#getInt64(addr + 8));
  }

  #loadString(addr: number): string {
    return decoder.decode(new Uint8Array(this.#mem.buffer, this.#getInt64(addr), this.#getInt64(addr + 8)));
  }

  #loadValue(addr: number): unknown {
    const f = this.#mem.getFloat64(addr, true);
    if (f === 0) return undefined;
    if (!Number.isNaN(f)) return f;
    return this.#values[this.#mem.getUint32(addr, true)];
  }

  #loadValues(addr: number): unknown[] {
    const base = this.#getInt64(addr);
    const len = this.#getInt64(addr + 8);
    const out = new Array<unknown>(len);
    for (let i = 0; i < len; i++) out[i] = this.#loadValue(base + i * 8);
    return out;
  }

  #storeValue(addr: number, v: unknown): void {
    if (typeof v === 'number' && v !== 0) {
      if (Number.isNaN(v)) {
        this.#mem.setUint32(addr + 4, NAN_HEAD, true);
        this.#mem.setUint32(addr, 0, true);
      } else {
        this.#mem.setFloat64(addr, v, true);
      }
      return;
    }
    if (v === undefined) {
      this.#mem.setFloat64(addr, 0, true);
      return;
    }
    let id = this.#ids.get(v);
    if (id === undefined) {
      id = this.#idPool.pop() ?? this.#values.length;
      this.#values[id] = v;
      this.#refCounts[id] = 0;
      this.#ids.set(v, id);
    }
    this.#refCounts[id] = (this.#refCounts[id] ?? 0) + 1;
    let typeFlag = 0;
    switch (typeof v) {
      case 'object':
        if (v !== null) typeFlag = 1;
        break;
      case 'string':
        typeFlag = 2;
        break;
      case 'symbol':
        typeFlag = 3;
        break;
      case 'function':
        typeFlag = 4;
        break;
    }
    this.#mem.setUint32(addr + 4, NAN_HEAD | typeFlag, true);
    this.#mem.setUint32(addr, id, true);
  }

  /**
   * Called after any JS that may have re-entered Go. If that ended the instance, unwind;
   * otherwise return the current SP, which moves when Go switches stacks meanwhile.
   */
  #afterJs(): number {
    if (this.#exited || !this.#exports) throw UNWIND;
    return this.#exports.getsp() >>> 0;
  }

  /**
   * Stores a call's outcome at `resultOffset` (value) and `resultOffset + 8` (ok flag) past
   * the possibly moved SP.
   */
  #storeOutcome(resultOffset: number, run: () => unknown): void {
    let value: unknown;
    let ok = 1;
    try {
      value = run();
    } catch (err) {
      value = err;
      ok = 0;
    }
    const sp = this.#afterJs();
    this.#storeValue(sp + resultOffset, value);
    this.#mem.setUint8(sp + resultOffset + 8, ok);
  }

  /** Copies as much as fits; writes the count at `resultAddr` and the ok flag 8 bytes after. */
  #copyBytes(resultAddr: number, dst: unknown, src: unknown): void {
    const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array || v instanceof Uint8ClampedArray;
    if (!isBytes(dst) || !isBytes(src)) {
      this.#mem.setUint8(resultAddr + 8, 0);
      return;
    }
    const part = src.subarray(0, dst.length);
    dst.set(part);
    this.#setInt64(resultAddr, part.length);
    this.#mem.setUint8(resultAddr + 8, 1);
  }

  #imports(): Record<string, (sp: number) => void> {
    const h = this;
    return {
      'runtime.wasmExit': (sp) => {
        h.#finish({ kind: 'exit', code: h.#mem.getInt32((sp >>> 0) + 8, true) });
      },
      'runtime.wasmWrite': (sp) => {
        sp >>>= 0;
        const fd = h.#getInt64(sp + 8);
        const p = h.#getInt64(sp + 16);
        const n = h.#mem.getInt32(sp + 24, true);
        // Copy: the view into linear memory is only valid until Go runs again.
        h.#opts.write(fd, new Uint8Array(h.#mem.buffer, p, n).slice());
      },
      'runtime.resetMemoryDataView': () => {
        if (h.#exports) h.#mem = new DataView(h.#exports.mem.buffer);
      },
      'runtime.nanotime1': (sp) => {
        h.#setInt64((sp >>> 0) + 8, (timeOrigin + performance.now()) * 1_000_000);
      },
      'runtime.walltime': (sp) => {
        sp >>>= 0;
        const msec = Date.now();
        h.#setInt64(sp + 8, msec / 1000);
        h.#mem.setInt32(sp + 16, (msec % 1000) * 1_000_000, true);
      },
      'runtime.scheduleTimeoutEvent': (sp) => {
        sp >>>= 0;
        const id = h.#nextTimeoutId++;
        const fire = (): void => {
          h.#resume();
          // Go occasionally has not registered the event yet when the timer fires; resuming
          // again lets it catch up (the stock glue does the same). Bounded so a dead or
          // confused instance cannot spin the thread.
          for (let i = 0; i < 8 && h.#timeouts.has(id) && !h.#exited; i++) h.#resume();
        };
        // Go 1.19 timers were seen firing up to 1 ms early; +1 keeps Go from rescheduling.
        h.#timeouts.set(id, setTimeout(fire, h.#getInt64(sp + 8) + 1));
        h.#mem.setInt32(sp + 16, id, true);
      },
      'runtime.clearTimeoutEvent': (sp) => {
        const id = h.#mem.getInt32((sp >>> 0) + 8, true);
        clearTimeout(h.#timeouts.get(id));
        h.#timeouts.delete(id);
      },
      'runtime.getRandomData': (sp) => {
        crypto.getRandomValues(h.#loadSlice((sp >>> 0) + 8));
      },
      'syscall/js.finalizeRef': (sp) => {
        const id = h.#mem.getUint32((sp >>> 0) + 8, true);
        const count = (h.#refCounts[id] ?? 0) - 1;
        h.#refCounts[id] = count;
        if (count === 0) {
          const v = h.#values[id];
          h.#values[id] = null;
          h.#ids.delete(v);
          h.#idPool.push(id);
        }
      },
      'syscall/js.stringVal': (sp) => {
        sp >>>= 0;
        h.#storeValue(sp + 24, h.#loadString(sp + 8));
      },
      'syscall/js.valueGet': (sp) => {
        sp >>>= 0;
        const result = Reflect.get(h.#loadValue(sp + 8) as object, h.#loadString(sp + 16));
        h.#storeValue(h.#afterJs() + 32, result);
      },
      'syscall/js.valueSet': (sp) => {
        sp >>>= 0;
        Reflect.set(h.#loadValue(sp + 8) as object, h.#loadString(sp + 16), h.#loadValue(sp + 32));
        h.#afterJs();
      },
      'syscall/js.valueDelete': (sp) => {
        sp >>>= 0;
        Reflect.deleteProperty(h.#loadValue(sp + 8) as object, h.#loadString(sp + 16));
        h.#afterJs();
      },
      'syscall/js.valueIndex': (sp) => {
        sp >>>= 0;
        const result = Reflect.get(h.#loadValue(sp + 8) as object, h.#getInt64(sp + 16));
        h.#storeValue(h.#afterJs() + 24, result);
      },
      'syscall/js.valueSetIndex': (sp) => {
        sp >>>= 0;
        Reflect.set(h.#loadValue(sp + 8) as object, h.#getInt64(sp + 16), h.#loadValue(sp + 24));
        h.#afterJs();
      },
      'syscall/js.valueCall': (sp) => {
        sp >>>= 0;
        const target = h.#loadValue(sp + 8) as object;
        const name = h.#loadString(sp + 16);
        const args = h.#loadValues(sp + 32);
        h.#storeOutcome(56, () => {
          const method = Reflect.get(target, name) as (...a: unknown[]) => unknown;
          return Reflect.apply(method, target, args);
        });
      },
      'syscall/js.valueInvoke': (sp) => {
        sp >>>= 0;
        const fn = h.#loadValue(sp + 8) as (...a: unknown[]) => unknown;
        const args = h.#loadValues(sp + 16);
        h.#storeOutcome(40, () => Reflect.apply(fn, undefined, args));
      },
      'syscall/js.valueNew': (sp) => {
        sp >>>= 0;
        const ctor = h.#loadValue(sp + 8) as new (...a: unknown[]) => unknown;
        const args = h.#loadValues(sp + 16);
        h.#storeOutcome(40, () => Reflect.construct(ctor, args));
      },
      'syscall/js.valueLength': (sp) => {
        sp >>>= 0;
        const length = Number.parseInt(String((h.#loadValue(sp + 8) as { length: unknown }).length), 10);
        h.#setInt64(h.#afterJs() + 16, length);
      },
      'syscall/js.valuePrepareString': (sp) => {
        sp >>>= 0;
        const bytes = encoder.encode(String(h.#loadValue(sp + 8)));
        sp = h.#afterJs();
        h.#storeValue(sp + 16, bytes);
        h.#setInt64(sp + 24, bytes.length);
      },
      'syscall/js.valueLoadString': (sp) => {
        sp >>>= 0;
        h.#loadSlice(sp + 16).set(h.#loadValue(sp + 8) as Uint8Array);
      },
      'syscall/js.valueInstanceOf': (sp) => {
        sp >>>= 0;
        const v = h.#loadValue(sp + 8);
        const ctor = h.#loadValue(sp + 16) as abstract new (...a: never[]) => unknown;
        const isInstance = v instanceof ctor;
        h.#mem.setUint8(h.#afterJs() + 24, isInstance ? 1 : 0);
      },
      'syscall/js.copyBytesToGo': (sp) => {
        sp >>>= 0;
        h.#copyBytes(sp + 40, h.#loadSlice(sp + 8), h.#loadValue(sp + 32));
      },
      'syscall/js.copyBytesToJS': (sp) => {
        sp >>>= 0;
        h.#copyBytes(sp + 40, h.#loadValue(sp + 8), h.#loadSlice(sp + 16));
      },
      debug: (value) => {
        h.#opts.write(2, encoder.encode(`go debug: ${value}\n`));
      },
    };
  }
}
