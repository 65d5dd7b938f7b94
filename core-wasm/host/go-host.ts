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
    // Go calls a wrapper with its own `this`, so the wrapper is a plain function; it hands the
    // event to this arrow, which has the host's `this`.
    const runEvent = (event: PendingEvent): unknown => {
      this.#goObject._pendingEvent = event;
      this.#resume();
      return event.result;
    };
    this.#goObject = {
      _pendingEvent: null,
      _makeFuncWrapper(id: number) {
        return function goFunc(this: unknown) {
          // eslint-disable-next-line prefer-rest-params -- Go indexes the arguments object itself
          return runEvent({ id, this: this, args: arguments });
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
    return {
      'runtime.wasmExit': (sp) => {
        this.#finish({ kind: 'exit', code: this.#mem.getInt32((sp >>> 0) + 8, true) });
      },
      'runtime.wasmWrite': (sp) => {
        sp >>>= 0;
        const fd = this.#getInt64(sp + 8);
        const p = this.#getInt64(sp + 16);
        const n = this.#mem.getInt32(sp + 24, true);
        // Copy: the view into linear memory is only valid until Go runs again.
        this.#opts.write(fd, new Uint8Array(this.#mem.buffer, p, n).slice());
      },
      'runtime.resetMemoryDataView': () => {
        if (this.#exports) this.#mem = new DataView(this.#exports.mem.buffer);
      },
      'runtime.nanotime1': (sp) => {
        this.#setInt64((sp >>> 0) + 8, (timeOrigin + performance.now()) * 1_000_000);
      },
      'runtime.walltime': (sp) => {
        sp >>>= 0;
        const msec = Date.now();
        this.#setInt64(sp + 8, msec / 1000);
        this.#mem.setInt32(sp + 16, (msec % 1000) * 1_000_000, true);
      },
      'runtime.scheduleTimeoutEvent': (sp) => {
        sp >>>= 0;
        const id = this.#nextTimeoutId++;
        const fire = (): void => {
          this.#resume();
          // Go occasionally has not registered the event yet when the timer fires; resuming
          // again lets it catch up (the stock glue does the same). Bounded so a dead or
          // confused instance cannot spin the thread.
          for (let i = 0; i < 8 && this.#timeouts.has(id) && !this.#exited; i++) this.#resume();
        };
        // Go 1.19 timers were seen firing up to 1 ms early; +1 keeps Go from rescheduling.
        this.#timeouts.set(id, setTimeout(fire, this.#getInt64(sp + 8) + 1));
        this.#mem.setInt32(sp + 16, id, true);
      },
      'runtime.clearTimeoutEvent': (sp) => {
        const id = this.#mem.getInt32((sp >>> 0) + 8, true);
        clearTimeout(this.#timeouts.get(id));
        this.#timeouts.delete(id);
      },
      'runtime.getRandomData': (sp) => {
        crypto.getRandomValues(this.#loadSlice((sp >>> 0) + 8));
      },
      'syscall/js.finalizeRef': (sp) => {
        const id = this.#mem.getUint32((sp >>> 0) + 8, true);
        const count = (this.#refCounts[id] ?? 0) - 1;
        this.#refCounts[id] = count;
        if (count === 0) {
          const v = this.#values[id];
          this.#values[id] = null;
          this.#ids.delete(v);
          this.#idPool.push(id);
        }
      },
      'syscall/js.stringVal': (sp) => {
        sp >>>= 0;
        this.#storeValue(sp + 24, this.#loadString(sp + 8));
      },
      'syscall/js.valueGet': (sp) => {
        sp >>>= 0;
        const result: unknown = Reflect.get(this.#loadValue(sp + 8) as object, this.#loadString(sp + 16));
        this.#storeValue(this.#afterJs() + 32, result);
      },
      'syscall/js.valueSet': (sp) => {
        sp >>>= 0;
        Reflect.set(this.#loadValue(sp + 8) as object, this.#loadString(sp + 16), this.#loadValue(sp + 32));
        this.#afterJs();
      },
      'syscall/js.valueDelete': (sp) => {
        sp >>>= 0;
        Reflect.deleteProperty(this.#loadValue(sp + 8) as object, this.#loadString(sp + 16));
        this.#afterJs();
      },
      'syscall/js.valueIndex': (sp) => {
        sp >>>= 0;
        const result: unknown = Reflect.get(this.#loadValue(sp + 8) as object, this.#getInt64(sp + 16));
        this.#storeValue(this.#afterJs() + 24, result);
      },
      'syscall/js.valueSetIndex': (sp) => {
        sp >>>= 0;
        Reflect.set(this.#loadValue(sp + 8) as object, this.#getInt64(sp + 16), this.#loadValue(sp + 24));
        this.#afterJs();
      },
      'syscall/js.valueCall': (sp) => {
        sp >>>= 0;
        const target = this.#loadValue(sp + 8) as object;
        const name = this.#loadString(sp + 16);
        const args = this.#loadValues(sp + 32);
        this.#storeOutcome(56, () => {
          const method = Reflect.get(target, name) as (...a: unknown[]) => unknown;
          return Reflect.apply(method, target, args);
        });
      },
      'syscall/js.valueInvoke': (sp) => {
        sp >>>= 0;
        const fn = this.#loadValue(sp + 8) as (...a: unknown[]) => unknown;
        const args = this.#loadValues(sp + 16);
        this.#storeOutcome(40, () => Reflect.apply(fn, undefined, args));
      },
      'syscall/js.valueNew': (sp) => {
        sp >>>= 0;
        const ctor = this.#loadValue(sp + 8) as new (...a: unknown[]) => unknown;
        const args = this.#loadValues(sp + 16);
        this.#storeOutcome(40, () => Reflect.construct(ctor, args));
      },
      'syscall/js.valueLength': (sp) => {
        sp >>>= 0;
        const length = Number.parseInt(String((this.#loadValue(sp + 8) as { length: unknown }).length), 10);
        this.#setInt64(this.#afterJs() + 16, length);
      },
      // Go asks for a string's UTF-8 length, makes a buffer, then asks for the bytes. The stock
      // glue encodes into a fresh Uint8Array in between; measuring here and encoding straight
      // into Go's buffer allocates nothing, which matters: with hundreds of cores' memories
      // in one thread every new ArrayBuffer is slow (a login made ≈ 11 ms of them at 200
      // cores per worker).
      'syscall/js.valuePrepareString': (sp) => {
        sp >>>= 0;
        const text = String(this.#loadValue(sp + 8));
        sp = this.#afterJs();
        this.#storeValue(sp + 16, text);
        this.#setInt64(sp + 24, Buffer.byteLength(text, 'utf8'));
      },
      'syscall/js.valueLoadString': (sp) => {
        sp >>>= 0;
        const target = this.#loadSlice(sp + 16);
        const { read, written } = encoder.encodeInto(this.#loadValue(sp + 8) as string, target);
        // Both sides replace a lone surrogate by U+FFFD, so the lengths agree; if a runtime
        // ever disagreed, Go must not read a half-filled buffer.
        if (written !== target.length) throw new Error(`valueLoadString: encoded ${written} bytes (${read} UTF-16 units) into a buffer of ${target.length}`);
      },
      'syscall/js.valueInstanceOf': (sp) => {
        sp >>>= 0;
        const v = this.#loadValue(sp + 8);
        const ctor = this.#loadValue(sp + 16) as abstract new (...a: never[]) => unknown;
        const isInstance = v instanceof ctor;
        this.#mem.setUint8(this.#afterJs() + 24, isInstance ? 1 : 0);
      },
      'syscall/js.copyBytesToGo': (sp) => {
        sp >>>= 0;
        this.#copyBytes(sp + 40, this.#loadSlice(sp + 8), this.#loadValue(sp + 32));
      },
      'syscall/js.copyBytesToJS': (sp) => {
        sp >>>= 0;
        this.#copyBytes(sp + 40, this.#loadValue(sp + 8), this.#loadSlice(sp + 16));
      },
      debug: (value) => {
        this.#opts.write(2, encoder.encode(`go debug: ${value}\n`));
      },
    };
  }
}
