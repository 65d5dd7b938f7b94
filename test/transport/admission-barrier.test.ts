/**
 * The Admission on a bare HTTP server (real sockets, real ws), for what the full server
 * cannot be made to do on purpose: a fault after the upgrade, and the bound on handshakes
 * in progress.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { AUTH_LIMITS } from '../../src/auth/auth-limits.ts';
import type { TokenVerdict, TokenVerifier } from '../../src/auth/token-verifier.ts';
import { GatewayMetrics } from '../../src/metrics.ts';
import { Admission, type AdmissionDeps } from '../../src/transport/admission.ts';
import { captureLogger } from '../helpers/cores.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** Answers every check when the test says so. */
class HeldVerifier implements TokenVerifier {
  readonly waiting: Array<(v: TokenVerdict) => void> = [];
  verify(): Promise<TokenVerdict> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  releaseAll(): void {
    for (const resolve of this.waiting.splice(0)) resolve({ ok: true, expiresAt: Date.now() + 60_000 });
  }
}

async function serve(deps: Partial<AdmissionDeps> & Pick<AdmissionDeps, 'verifier' | 'onConnection'>) {
  const metrics = new GatewayMetrics({ connections: () => 0, sessionsByState: () => ({}), outboundBytesQueued: () => 0, coresPerWorker: () => [] });
  const log = captureLogger('info');
  const admission = new Admission({
    logger: log.logger,
    metrics,
    wss: new WebSocketServer({ noServer: true }),
    state: () => 'ready',
    connectionsOf: () => 0,
    maxConnsPerUser: 10,
    ...deps,
  });
  const http = createServer();
  http.on('upgrade', admission.handleUpgrade);
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  servers.push(http);
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const counted = async (name: string): Promise<number> => {
    const text = await metrics.registry.metrics();
    return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  };
  return { admission, url, log, counted };
}

function open(url: string, userID = 'alice', operationID = 'op-1'): WebSocket {
  const ws = new WebSocket(`${url}/?sendID=${userID}&token=t&platformID=5&operationID=${operationID}`);
  ws.on('error', () => {});
  return ws;
}

function outcome(ws: WebSocket): Promise<{ status: number; body: string; retryAfter?: string | undefined }> {
  return new Promise((resolve, reject) => {
    // A handshake nobody answers is a failure to see, not a test hanging until its timeout.
    setTimeout(() => reject(new Error('handshake not answered within 10 s')), 10_000).unref();
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, retryAfter: res.headers['retry-after'] }));
    });
    ws.on('open', () => resolve({ status: 101, body: '' }));
  });
}

describe('Admission', () => {
  it('a fault after the upgrade closes that socket 1011, is logged with its operationID and counted', async () => {
    const verifier = new HeldVerifier();
    const { url, log, counted } = await serve({
      verifier,
      onConnection: () => {
        throw new Error('injected fault after upgrade');
      },
    });
    const ws = open(url, 'alice', 'op-after-upgrade');
    await new Promise((r) => setTimeout(r, 50));
    verifier.releaseAll();
    const [code] = (await once(ws, 'close')) as [number];
    expect(code).toBe(1011);
    expect(await counted('openim_jssdk_internal_errors_total\\{where="upgrade"\\}')).toBe(1);
    expect(log.lines).toContainEqual(
      expect.objectContaining({ msg: 'internal error while admitting a connection', operationID: 'op-after-upgrade', userID: 'alice', upgraded: true }),
    );
  });

  it('refuses handshakes past its bound of handshakes in progress (here 3) with 503 and Retry-After, and counts them pending', async () => {
    const verifier = new HeldVerifier();
    const accepted: WebSocket[] = [];
    const { admission, url } = await serve({ verifier, maxPendingHandshakes: 3, onConnection: (ws) => void accepted.push(ws) });
    const first = [open(url, 'a'), open(url, 'b'), open(url, 'c')].map(outcome);
    while (verifier.waiting.length < 3) await new Promise((r) => setTimeout(r, 10));
    expect(admission.pending).toBe(3);
    const fourth = await outcome(open(url, 'd'));
    expect(fourth).toEqual({
      status: 503,
      body: JSON.stringify({ errCode: 503, errMsg: 'more than 3 connections are being admitted at once; retry later' }),
      retryAfter: '5',
    });
    verifier.releaseAll();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([101, 101, 101]);
    expect(admission.pending).toBe(0);
    for (const ws of accepted) ws.close();
  });

  it(`defaults to ${AUTH_LIMITS.pendingHandshakes} handshakes in progress`, async () => {
    const verifier = new HeldVerifier();
    const { admission } = await serve({ verifier, onConnection: () => {} });
    expect(admission.maxPending).toBe(AUTH_LIMITS.pendingHandshakes);
  });
});
