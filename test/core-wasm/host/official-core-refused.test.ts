/**
 * An IM server that refuses connections must not take the core's thread with it.
 *
 * The core's WebSocket library (github.com/coder/websocket, ws_js.go) answers every
 * 'error' event with `close(1011)` and then waits, inside that event's callback, for the
 * 'close' event — unless close() threw, which a browser's does for any code other than
 * 1000 or 3000–4999. With `ws`'s quiet close() the wait could never end: the callback
 * never returned to JavaScript, so the 'close' event was never delivered and the thread
 * spun forever. `CoreWebSocket.close()` now throws as a browser does.
 *
 * The core runs in a worker thread so that, should it take its thread again, this test
 * fails (calls time out, ticks stop) instead of freezing the test runner with it.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket as WsWebSocket } from 'ws';
import type { CallResult } from '../../../core-wasm/call-result.ts';
import { createCoreScope } from '../../../core-wasm/host/core-scope.ts';
import { sleep, TEST_SDK_CONFIG, until } from '../../helpers/cores.ts';
import { tempDir } from '../storage/helpers.ts';
import type { FromWorker, ToWorker } from './helpers/refused-core-worker.ts';

function value(r: CallResult): unknown {
  if (!r.ok) throw new Error(`call failed: ${r.error.kind}: ${r.error.message}`);
  return r.value;
}

/** What `fn` threw, or `undefined` if it returned. */
function thrown(fn: () => void): unknown {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('CoreWebSocket.close() as a browser has it', () => {
  it('throws InvalidAccessError for 1011 inside the error event of a refused dial, and the close event still follows', async () => {
    const { scope, teardown } = createCoreScope({ output: () => {} });
    const Ws = scope.WebSocket as typeof WebSocket;
    const ws = new Ws('ws://127.0.0.1:1');
    const seen: string[] = [];
    // What coder/websocket's OnError handler does: close(StatusInternalError, ...).
    ws.addEventListener('error', () => {
      const err = thrown(() => ws.close(1011, 'something went wrong'));
      seen.push(`error:${(err as DOMException | undefined)?.name}`);
    });
    ws.addEventListener('close', (e) => seen.push(`close:${e.code}`));
    await until(() => seen.length === 2);
    expect(seen).toEqual(['error:InvalidAccessError', 'close:1006']);
    expect(ws.readyState).toBe(3);
    teardown();
  });

  it('throws for codes and reasons a browser rejects, but still closes the socket', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const { scope, teardown } = createCoreScope({ output: () => {} });
    const Ws = scope.WebSocket as typeof WebSocket;

    const open = async () => {
      const peer = once(server, 'connection') as Promise<[WsWebSocket]>;
      const ws = new Ws(`ws://127.0.0.1:${port}`);
      await new Promise((resolve) => ws.addEventListener('open', resolve));
      return { ws, peer: (await peer)[0] };
    };

    // 1001 (coder/websocket's CloseNow): thrown at the core, sent to the server anyway.
    const a = await open();
    const aClosed = once(a.peer, 'close');
    expect(thrown(() => a.ws.close(1001, ''))).toMatchObject({ name: 'InvalidAccessError' });
    expect((await aClosed)[0]).toBe(1001);

    // A reason over 123 UTF-8 bytes: SyntaxError, closed without a code.
    const b = await open();
    const bClosed = once(b.peer, 'close');
    expect(thrown(() => b.ws.close(3001, 'é'.repeat(62)))).toMatchObject({ name: 'SyntaxError' });
    expect((await bClosed)[0]).toBe(1005);

    // Codes a browser allows close as before (3001 is the core's own "network changed").
    const c = await open();
    const cClosed = once(c.peer, 'close');
    expect(thrown(() => c.ws.close(3001, 'Actively close the conn have old conn'))).toBeUndefined();
    const [code, reason] = (await cClosed) as [number, Buffer];
    expect([code, reason.toString()]).toEqual([3001, 'Actively close the conn have old conn']);
    const d = await open();
    const dClosed = once(d.peer, 'close');
    expect(thrown(() => d.ws.close())).toBeUndefined();
    expect((await dClosed)[0]).toBe(1005);

    // Closing or closed: still throws for a bad code (as a browser does), otherwise a no-op.
    expect(thrown(() => d.ws.close(1000))).toBeUndefined();
    expect(thrown(() => d.ws.close(1011))).toMatchObject({ name: 'InvalidAccessError' });

    // The server closing with a code a browser may not send (`ws` echoes it through its
    // own close(), which must not throw): the core just sees the close event.
    const e = await open();
    const eClosed = new Promise<CloseEvent>((resolve) => e.ws.addEventListener('close', resolve));
    e.peer.close(1001, 'going away');
    const ev = await eClosed;
    expect([ev.code, ev.reason, ev.wasClean]).toEqual([1001, 'going away', true]);

    teardown();
    server.close();
  });
});

describe('official core against a refused IM server port', () => {
  let dir: { dir: string; remove(): void };
  let worker: Worker;
  let ticks = 0;
  const events: string[] = [];
  const answers = new Map<number, (r: CallResult) => void>();
  let nextId = 1;

  /** A call to the core in the worker; fails if it is not answered within `ms`. */
  function call(fn: string, args: unknown[], ms = 2000): Promise<CallResult> {
    const id = nextId++;
    return new Promise<CallResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${fn}: no answer in ${ms} ms (core thread stuck?)`)), ms);
      answers.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      worker.postMessage({ type: 'call', id, fn, args } satisfies ToWorker);
    });
  }

  beforeAll(async () => {
    dir = tempDir('core-refused-');
    // The worker loads its TypeScript through tsx's API (Node 20's tsx --import hooks
    // are not active in worker threads).
    const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
    const tsxApi = pathToFileURL(join(tsxDir, 'dist', 'esm', 'api', 'index.mjs')).href;
    const entry = new URL('./helpers/refused-core-worker.ts', import.meta.url).href;
    worker = new Worker(`import(${JSON.stringify(tsxApi)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`, {
      eval: true,
      workerData: { dataDir: dir.dir },
    });
    const started = new Promise<void>((resolve, reject) => {
      worker.on('error', reject);
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'tick') ticks++;
        else if (m.type === 'event') events.push(m.json);
        else if (m.type === 'answer') answers.get(m.id)?.(m.result);
        else if (m.type === 'started') resolve();
      });
    });
    await started;
  }, 120_000);

  afterAll(async () => {
    await worker?.terminate();
    dir?.remove();
  });

  it('keeps its thread: timers fire and calls are answered while it redials', async () => {
    // TEST_SDK_CONFIG points apiAddr and wsAddr at port 1, which refuses connections.
    const config = { ...(JSON.parse(TEST_SDK_CONFIG) as Record<string, unknown>), dataDir: dir.dir, logFilePath: dir.dir };
    expect(value(await call('initSDK', [JSON.stringify(config)], 10_000))).toEqual([true]);
    expect(value(await call('login', ['u1', 'token'], 10_000))).toBe('""');

    const ticksBefore = ticks;
    const started = Date.now();
    let answered = 0;
    while (Date.now() - started < 3000) {
      // 3 = logged in: the core keeps its session and keeps redialling.
      expect(value(await call('getLoginStatus', []))).toEqual([3]);
      answered++;
      await sleep(100);
    }
    const failures = events.filter((e) => (JSON.parse(e) as { event: string }).event === 'OnConnectFailed');
    expect(answered).toBeGreaterThanOrEqual(20);
    // A 20 ms timer in the core's thread: ~150 in 3 s.
    expect(ticks - ticksBefore).toBeGreaterThanOrEqual(75);
    // It gave up on the first dial and tried again (instead of hanging in the first one).
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures[0]).toContain('failed to WebSocket dial');
  }, 60_000);
});
