/**
 * A stand-in for the IM server's `POST /auth/parse_token`, enough for the gateway's
 * handshake check when the cores do not need a real IM server (the test core).
 *
 * Tokens say what the IM should answer, so a fuzzer can ask for every verdict:
 *   ok.<base64url JSON [userID, platformID]>  → errCode 0, owned by that user and platform
 *   kicked.<any>                              → errCode 1506 (TokenKickedError)
 *   down.<any>                                → HTTP 500 (the gateway must answer 503)
 *   garbage.<any>                             → HTTP 200 that is not JSON (also 503)
 *   anything else                             → errCode 1503 (TokenMalformedError)
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeIm {
  readonly url: string;
  /** parse_token requests answered so far. */
  readonly calls: number;
  /** Requests that broke the IM's own rules (no operationID header, body not `{token}`). */
  readonly malformedRequests: number;
  close(): Promise<void>;
}

export function okToken(userID: string, platformID: number): string {
  return `ok.${Buffer.from(JSON.stringify([userID, platformID])).toString('base64url')}`;
}

function ownerOf(token: string): { userID: string; platformID: number } | undefined {
  if (!token.startsWith('ok.')) return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token.slice(3), 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && typeof decoded[0] === 'string' && typeof decoded[1] === 'number') {
      return { userID: decoded[0], platformID: decoded[1] };
    }
  } catch {
    // Not one of ours: answered as malformed below.
  }
  return undefined;
}

export async function startFakeIm(): Promise<FakeIm> {
  const counts = { calls: 0, malformed: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      counts.calls++;
      const reply = (body: object): void => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errMsg: '', errDlt: '', ...body }));
      };
      let token: unknown;
      try {
        token = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { token?: unknown }).token;
      } catch {
        token = undefined;
      }
      const opID = req.headers.operationid;
      if (req.method !== 'POST' || req.url !== '/auth/parse_token' || typeof token !== 'string' || !opID) {
        counts.malformed++;
        reply({ errCode: 1001, errMsg: 'ArgsError' });
        return;
      }
      if (token.startsWith('down.')) {
        res.writeHead(500).end('internal error');
        return;
      }
      if (token.startsWith('garbage.')) {
        res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>not an IM server</html>');
        return;
      }
      if (token.startsWith('kicked.')) {
        reply({ errCode: 1506, errMsg: 'TokenKickedError' });
        return;
      }
      const owner = ownerOf(token);
      if (!owner) {
        reply({ errCode: 1503, errMsg: 'TokenMalformedError' });
        return;
      }
      reply({ errCode: 0, data: { ...owner, expireTimeSeconds: Math.floor(Date.now() / 1000) + 3600 } });
    });
  });
  // Keep-alive sockets from the gateway's fetch must not hold close() open.
  server.keepAliveTimeout = 1000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get calls() {
      return counts.calls;
    },
    get malformedRequests() {
      return counts.malformed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
