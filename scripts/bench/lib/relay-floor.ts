/**
 * The least any gateway of this shape can cost: a WebSocket server on this thread that
 * hands each request over a per-connection MessagePort to a worker thread and writes back
 * what the worker answers — no core, no session, no protocol tables. Measured at the same
 * rate as the gateway, it shows how much of the gateway's latency is the hops the
 * architecture requires on this machine (socket → main thread → worker → main → socket).
 *
 * It answers just enough of the protocol for the load generator: Login with success, any
 * other request with the logged-in GetLoginStatus answer "3".
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { WebSocketServer } from 'ws';

/** Echoes every message on each port it is given; plain JavaScript, so no loader is needed. */
const ECHO_WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (port) => port.on('message', (m) => port.postMessage(m)));
`;

export interface RelayFloor {
  url: string;
  close(): Promise<void>;
}

export async function startRelayFloor(workers: number): Promise<RelayFloor> {
  const threads = Array.from({ length: workers }, () => new Worker(ECHO_WORKER, { eval: true }));
  await Promise.all(threads.map((t) => once(t, 'online')));
  const ports: MessagePort[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  let connections = 0;
  wss.on('connection', (ws) => {
    const { port1, port2 } = new MessageChannel();
    (threads[connections++ % threads.length] as Worker).postMessage(port2, [port2]);
    ports.push(port1);
    const waiting = new Map<number, { reqFuncName: string; operationID: string }>();
    let seq = 0;
    port1.on('message', (id: number) => {
      const req = waiting.get(id);
      if (!req) return;
      waiting.delete(id);
      ws.send(JSON.stringify({ event: req.reqFuncName, errCode: 0, errMsg: '', data: '3', operationID: req.operationID }));
    });
    ws.on('message', (data: Buffer) => {
      const req = JSON.parse(data.toString('utf8')) as { reqFuncName: string; operationID: string };
      if (req.reqFuncName === 'Login') {
        ws.send(JSON.stringify({ event: 'Login', errCode: 0, errMsg: '', data: '', operationID: req.operationID }));
        return;
      }
      const id = ++seq;
      waiting.set(id, { reqFuncName: req.reqFuncName, operationID: req.operationID });
      port1.postMessage(id);
    });
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const p of ports) p.close();
      await Promise.all(threads.map((t) => t.terminate()));
    },
  };
}
