import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type WebSocket as PeerSocket, WebSocketServer } from 'ws';
import { createCoreScope } from '../../../core-wasm/host/core-scope.ts';
import { sleep } from '../../helpers/cores.ts';

describe('core scope', () => {
  it('shadows the globals a core must not share, without touching the real ones', () => {
    const realProcess = process;
    const realFetch = globalThis.fetch;
    const { scope } = createCoreScope({ output: () => {} });
    expect((scope.process as { argv0: string }).argv0).toBe('openim-core');
    expect(scope.globalThis).toBe(scope);
    expect(globalThis.process).toBe(realProcess);
    expect(globalThis.fetch).toBe(realFetch);
    // Reads of everything else fall through to the worker's globals.
    expect(scope.JSON).toBe(JSON);
    expect(scope.Promise).toBe(Promise);
    // Writes stay on the scope.
    scope.initSDK = () => true;
    expect('initSDK' in globalThis).toBe(false);
  });

  it('gives the core a file system that only writes fd 1 and 2', async () => {
    const out: Array<[number, string]> = [];
    const { scope } = createCoreScope({ output: (fd, text) => out.push([fd, text]) });
    const fs = scope.fs as Record<string, (...a: unknown[]) => unknown>;
    fs.write!(2, new TextEncoder().encode('oops\n'), 0, 5, null, () => {});
    expect(out).toEqual([[2, 'oops\n']]);
    const err = await new Promise<unknown>((resolve) => fs.open!('/etc/passwd', 0, 0, resolve));
    expect(err).toMatchObject({ code: 'ENOSYS' });
    const statErr = await new Promise<unknown>((resolve) => fs.stat!('/', resolve));
    expect(statErr).toMatchObject({ code: 'ENOSYS' });
  });

  it('teardown clears timers and closes the sockets the core opened', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const serverSide = once(server, 'connection');
    const scopeHandle = createCoreScope({ output: () => {} });
    const { scope } = scopeHandle;
    const Ws = scope.WebSocket as typeof WebSocket;
    const ws = new Ws(`ws://127.0.0.1:${port}`);
    const [peer] = (await serverSide) as [PeerSocket];
    expect(scopeHandle.openSockets).toBe(1);
    const peerClosed = once(peer, 'close');
    let fired = 0;
    (scope.setTimeout as typeof setTimeout)(() => fired++, 20);
    (scope.setInterval as typeof setInterval)(() => fired++, 5);
    scopeHandle.teardown();
    await peerClosed;
    await sleep(40);
    expect(fired).toBe(0);
    expect(ws.readyState).toBe(3);
    expect(() => new Ws(`ws://127.0.0.1:${port}`)).toThrow(/exited/);
    server.close();
  });

  it('a socket error without a core listener does not throw', async () => {
    const { scope, teardown } = createCoreScope({ output: () => {} });
    const Ws = scope.WebSocket as typeof WebSocket;
    const ws = new Ws('ws://127.0.0.1:1');
    await new Promise((r) => setTimeout(r, 100));
    expect(ws.readyState).toBe(3);
    teardown();
  });
});
