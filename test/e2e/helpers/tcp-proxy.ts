/**
 * A loopback TCP relay in front of the gateway, so a test can cut a client's connection
 * the way a network or a proxy does: both ends see the TCP connection die, neither gets
 * a WebSocket close frame.
 */
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  /** `ws://127.0.0.1:<port>`: use as the client's wsAddr. */
  readonly url: string;
  /** Connections currently relayed. */
  readonly open: number;
  /** Kills every relayed connection, the gateway's side first. */
  dropAll(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const dropAll = (): void => {
    for (const { client, upstream } of [...pairs]) {
      upstream.destroy();
      client.destroy();
    }
  };
  return {
    url: `ws://127.0.0.1:${port}`,
    get open() {
      return pairs.size;
    },
    dropAll,
    async close() {
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
