/**
 * A loopback relay in front of the IM server's WebSocket gateway that counts, per user and
 * platform, the IM connections open at once: the cores' own logins. Two at once means two
 * nodes had the same user+platform logged in — what the cluster must never let happen.
 */
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface ImLogins {
  /** `ws://127.0.0.1:<port>`: give it to the gateways as `--openim-ws`. */
  readonly url: string;
  /** Most IM connections any one user+platform had open at the same time. */
  maxAtOnce(): number;
  /** Each user+platform that ever had two at once, with when. */
  readonly overlaps: Array<{ key: string; at: number }>;
  /** IM connections open now for one user+platform. */
  open(userID: string, platformID: number): number;
  close(): Promise<void>;
}

export async function startImLogins(target: string): Promise<ImLogins> {
  const upstream = new URL(target);
  const openByKey = new Map<string, number>();
  const overlaps: Array<{ key: string; at: number }> = [];
  const pipes = new Set<Socket>();
  let max = 0;
  const server: Server = createServer((req, res) => {
    // Not a WebSocket: pass it on as it is (the core only dials WebSocket here).
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const key = `${query.get('platformID') ?? '?'}:${query.get('sendID') ?? '?'}`;
    const n = (openByKey.get(key) ?? 0) + 1;
    openByKey.set(key, n);
    max = Math.max(max, n);
    if (n > 1) overlaps.push({ key, at: Date.now() });
    let counted = true;
    const uncount = (): void => {
      if (!counted) return;
      counted = false;
      const left = (openByKey.get(key) ?? 1) - 1;
      if (left > 0) openByKey.set(key, left);
      else openByKey.delete(key);
    };
    const im = connect(Number(upstream.port), upstream.hostname, () => {
      let headText = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) headText += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      im.write(`${headText}\r\n`);
      if (head.length > 0) im.write(head);
      client.pipe(im);
      im.pipe(client);
    });
    pipes.add(client);
    pipes.add(im);
    const end = (): void => {
      uncount();
      pipes.delete(client);
      pipes.delete(im);
      client.destroy();
      im.destroy();
    };
    client.on('close', end).on('error', end);
    im.on('close', end).on('error', end);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    maxAtOnce: () => max,
    overlaps,
    open: (userID, platformID) => openByKey.get(`${platformID}:${userID}`) ?? 0,
    async close() {
      for (const s of pipes) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
