import { afterEach, describe, expect, it } from 'vitest';
import type { CoreInstance } from '../../core-wasm/core-instance.ts';
import type { CallResult } from '../../core-wasm/call-result.ts';
import { SYNC_FUNCTIONS, type SyncFunctionSpec } from '../../core-wasm/core-functions.ts';
import { captureLogger, sleep, startCore, TEST_SDK_CONFIG } from '../helpers/cores.ts';

const started: CoreInstance[] = [];
async function core(name: string, extra: Parameters<typeof startCore>[1] = {}, memoryLimitMiB = 256): Promise<CoreInstance> {
  const c = await startCore(name, extra, 'test', memoryLimitMiB);
  started.push(c);
  return c;
}
afterEach(() => {
  for (const c of started.splice(0)) c.dispose();
});

function value(r: CallResult): unknown {
  if (!r.ok) throw new Error(`call failed: ${r.error.kind}: ${r.error.message}`);
  return r.value;
}

async function login(c: CoreInstance, userID: string): Promise<void> {
  expect(value(await c.call('initSDK', 'op-init', [TEST_SDK_CONFIG]))).toEqual([true]);
  expect(value(await c.call('login', 'op-login', [userID, 'token']))).toBe('""');
}

describe('CoreInstance with the Go 1.19 test core', () => {
  it('starts, lists its API and reports the version it printed', async () => {
    const c = await core('alice/5');
    expect(c.functionNames()).toEqual(expect.arrayContaining(['initSDK', 'login', 'getLoginStatus', 'debugEcho']));
    expect(c.functionNames()).not.toContain('commonEventFunc');
    expect(c.functionNames()).not.toContain('setTimeout');
    expect(c.version).toBe('v1.0.0');
  });

  it('keeps every core in its own global scope', async () => {
    const a = await core('alice/5');
    const b = await core('bob/5');
    await login(a, 'alice');
    expect(value(await a.call('getLoginStatus', 'op', []))).toEqual([3]);
    expect(value(await b.call('getLoginStatus', 'op', []))).toEqual([-1001]);
    expect(JSON.parse(value(await a.call('getSelfUserInfo', 'op', [])) as string)).toMatchObject({ userID: 'alice' });
    // Nothing leaked onto the worker's real global object, and Node's own globals are intact.
    expect('initSDK' in globalThis).toBe(false);
    expect(typeof process.memoryUsage).toBe('function');
    expect(process.argv0).not.toBe('openim-core');
  });

  it('delivers the core events through commonEventFunc', async () => {
    const events: string[] = [];
    const c = await core('alice/5', { onEvent: (json) => events.push(json) });
    await login(c, 'alice');
    expect(value(await c.call('debugEmit', 'op', ['OnCustom', 'payload']))).toBe('""');
    const names = events.map((e) => (JSON.parse(e) as { event: string }).event);
    expect(names).toEqual(['OnConnecting', 'OnConnectSuccess', 'OnSyncServerStart', 'OnSyncServerFinish', 'OnCustom']);
  });

  it('refuses a function the core did not register and stays usable', async () => {
    const c = await core('alice/5');
    for (const fn of ['noSuchFunction', 'commonEventFunc', 'setTimeout', 'process', 'toString', '__proto__']) {
      const r = await c.call(fn, 'op', []);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.kind).toBe('unknown-function');
        expect(r.error.message).toContain('alice/5');
      }
    }
    expect(value(await c.call('debugEcho', 'op', ['still fine']))).toBe('"still fine"');
  });

  it('hands Go strings of any size and content: multi-byte text, 1 MB, a lone surrogate', async () => {
    const c = await core('alice/5');
    const big = 'é😀中'.repeat(100_000);
    expect(value(await c.call('debugEcho', 'op', [big]))).toBe(JSON.stringify(big));
    // Go reads the operationID as a string: its UTF-8 length must agree with what is written.
    expect(value(await c.call('debugEcho', 'op\ud800x\udfff', ['after']))).toBe('"after"');
    expect(value(await c.call('debugEcho', 'op', ['still fine']))).toBe('"still fine"');
  });

  it('rejects wrong arity or types for sync-style functions before the core sees them', async () => {
    const c = await core('alice/5');
    await login(c, 'alice');
    const bad: Array<[string, unknown[], RegExp]> = [
      ['createTextMessage', [], /createTextMessage takes 1 argument/],
      ['createTextMessage', [42], /argument 1 must be a string, got number/],
      ['createTextMessage', ['a', 'b'], /got 2/],
      ['initSDK', [], /initSDK takes 1 argument/],
      ['initSDK', [{ platformID: 5 }], /must be a string, got object/],
      ['getLoginStatus', ['extra'], /getLoginStatus takes 0 argument/],
    ];
    for (const [fn, args, message] of bad) {
      const r = await c.call(fn, 'op', args);
      expect(r.ok, `${fn}(${JSON.stringify(args)})`).toBe(false);
      if (!r.ok) {
        expect(r.error.kind).toBe('invalid-arguments');
        expect(r.error.message).toMatch(message);
      }
    }
    expect(c.exitInfo).toBeUndefined();
    const msg = JSON.parse((value(await c.call('createTextMessage', 'op', ['hello'])) as string[])[0]!) as {
      textElem: { content: string };
    };
    expect(msg.textElem.content).toBe('hello');
  });

  it("passes the core's own rejection through with its errCode", async () => {
    const c = await core('alice/5');
    const r = await c.call('login', 'op', ['alice', 'token']);
    expect(r).toMatchObject({ ok: false, error: { kind: 'core-error', errCode: 10006 } });
  });

  it('a panic ends only that core, rejects its calls in flight and clears its timers', async () => {
    const a = await core('alice/5');
    const b = await core('bob/5');
    await login(a, 'alice');
    const inFlight = a.call('debugPanic', 'op', []);
    const exit = await a.exited();
    expect(exit).toMatchObject({ reason: 'panic', code: 2 });
    expect(exit.message).toContain('alice/5');
    expect(exit.message).toContain('debugPanic: injected fault');
    const r = await inFlight;
    expect(r).toMatchObject({ ok: false, error: { kind: 'core-exited' } });
    if (!r.ok) expect(r.error.message).toMatch(/alice\/5.*code 2/);
    // The JS timer the core left behind (20 ms) must not fire into the dead instance.
    await sleep(60);
    expect(await a.call('debugEcho', 'op', ['x'])).toMatchObject({ ok: false, error: { kind: 'core-exited' } });
    expect(value(await b.call('debugEcho', 'op', ['bob lives']))).toBe('"bob lives"');
  });

  it('a missing argument to an async function is a clean rejection: the core lives on', async () => {
    const a = await core('alice/5');
    await login(a, 'alice');
    const r = await a.call('debugEcho', 'op', []);
    expect(r).toMatchObject({ ok: false, error: { kind: 'core-error', message: expect.stringContaining('missing argument 1') } });
    expect(a.exitInfo).toBeUndefined();
    expect(value(await a.call('debugEcho', 'op', ['alive']))).toBe('"alive"');
  });

  it('a missing argument that reaches a sync function kills only that core', async () => {
    // A core build whose sync function our table lacks: its arguments reach Go unchecked.
    const table = SYNC_FUNCTIONS as Record<string, SyncFunctionSpec>;
    const spec = table.createTextMessage as SyncFunctionSpec;
    const a = await core('alice/5');
    const b = await core('bob/5');
    await login(a, 'alice');
    await login(b, 'bob');
    delete table.createTextMessage;
    let r: CallResult;
    try {
      r = await a.call('createTextMessage', 'op', []);
    } finally {
      table.createTextMessage = spec;
    }
    expect(r).toMatchObject({ ok: false, error: { kind: 'core-exited' } });
    expect(await a.exited()).toMatchObject({ reason: 'panic' });
    expect(value(await b.call('getLoginStatus', 'op', []))).toEqual([3]);
    expect(b.exitInfo).toBeUndefined();
  });

  it('over-allocating under the memory cap ends that core with reason oom', async () => {
    const a = await core('alice/5', {}, 64);
    const b = await core('bob/5', {}, 64);
    const r = await a.call('debugAllocate', 'op', [1024]);
    expect(r).toMatchObject({ ok: false, error: { kind: 'core-exited' } });
    expect(a.exitInfo).toMatchObject({ reason: 'oom' });
    expect(value(await b.call('debugAllocate', 'op', [8]))).toBe('8');
  });

  it('counts the JavaScript values its Go code holds: they pile up with calls until Go collects them', async () => {
    const c = await core('held');
    await c.call('initSDK', 'op', [TEST_SDK_CONFIG]);
    const before = c.heldValues;
    for (let i = 0; i < 200; i++) await c.call('getLoginStatus', `op-${i}`, []);
    // Each call leaves its promise, callbacks and arguments with Go until its GC runs.
    expect(c.heldValues).toBeGreaterThan(before + 200);
    c.dispose();
    expect(c.heldValues).toBe(0);
  });

  it("passes gcPercent to the core as Go's GOGC: collecting more often, it holds fewer values", async () => {
    const peak = async (c: CoreInstance): Promise<number> => {
      await c.call('initSDK', 'op', [TEST_SDK_CONFIG]);
      let max = 0;
      for (let i = 0; i < 20_000; i++) {
        await c.call('getLoginStatus', 'op', []);
        max = Math.max(max, c.heldValues);
      }
      return max;
    };
    const eager = await peak(await core('gogc-10', { gcPercent: 10 }));
    const lazy = await peak(await core('gogc-400', { gcPercent: 400 }));
    expect(eager * 3).toBeLessThan(lazy);
  }, 30_000);

  it('dispose ends the core, fails later calls fast and is idempotent', async () => {
    const c = await core('alice/5');
    c.dispose();
    c.dispose();
    expect(c.exitInfo).toMatchObject({ reason: 'disposed' });
    expect(await c.call('getLoginStatus', 'op', [])).toMatchObject({ ok: false, error: { kind: 'core-exited' } });
  });

  it('sends the core output to pino with the bindings of its logger', async () => {
    const { logger, lines } = captureLogger();
    const c = await core('alice/5', { logger: logger.child({ userID: 'alice', platformID: 5 }) });
    await c.call('debugPanic', 'op', []);
    await c.exited();
    const banner = lines.find((l) => l.msg === 'openim-jssdk-server test core v1.0.0');
    expect(banner).toMatchObject({ userID: 'alice', platformID: 5, stream: 'stdout' });
    expect(lines.find((l) => String(l.msg).startsWith('panic: debugPanic'))).toMatchObject({ userID: 'alice', stream: 'stderr' });
  });
});
