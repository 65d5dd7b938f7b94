/**
 * A pass-through HTTP proxy in front of the IM server's API, for the attack harness.
 *
 * The gateway under attack gets this proxy as its `--openim-api`, so every token check and
 * every REST call of its cores goes through here unchanged. Two things are added:
 *  - token checks (`POST /auth/parse_token`) are counted per token, with the most that were
 *    in flight at once, so the harness can see what a flood of handshakes costs the IM server;
 *  - a token starting with `slow.` is answered only after `slowMs`: handshakes that stay
 *    "being verified" for a while, the way a slow or overloaded IM server makes them.
 */
import { once } from 'node:events';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleep } from './timing.ts';
import { errorText } from '../../src/shared/error-text.ts';

export const SLOW_TOKEN_PREFIX = 'slow.';

/** A token check body is a small JSON object; anything bigger is forwarded uncounted. */
const MAX_INSPECTED_BODY = 64 * 1024;

export interface ImProxy {
  readonly url: string;
  /** How long `slow.` tokens are held before they are forwarded. */
  slowMs: number;
  /** Token checks seen so far, in all. */
  readonly tokenChecks: number;
  /** Token checks of this token seen so far. */
  tokenChecksOf(token: string): number;
  /** The most token checks that were in flight at once since the last reset. */
  readonly maxTokenChecksInFlight: number;
  resetInFlightPeak(): void;
  close(): Promise<void>;
}

function tokenOf(path: string | undefined, body: Buffer): string | undefined {
  if (path !== '/auth/parse_token' || body.length > MAX_INSPECTED_BODY) return undefined;
  try {
    const token = (JSON.parse(body.toString('utf8')) as { token?: unknown }).token;
    return typeof token === 'string' ? token : undefined;
  } catch {
    return undefined;
  }
}

export async function startImProxy(upstreamUrl: string): Promise<ImProxy> {
  const upstream = new URL(upstreamUrl);
  const perToken = new Map<string, number>();
  const counts = { checks: 0, inFlight: 0, peak: 0 };
  let slowMs = 0;

  const forward = (method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const req = request({ host: upstream.hostname, port: upstream.port, method, path, headers: { ...headers, host: upstream.host } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const token = tokenOf(req.url, body);
      if (token !== undefined) {
        counts.checks++;
        perToken.set(token, (perToken.get(token) ?? 0) + 1);
        counts.inFlight++;
        counts.peak = Math.max(counts.peak, counts.inFlight);
      }
      const delay = token?.startsWith(SLOW_TOKEN_PREFIX) ? slowMs : 0;
      (delay > 0 ? sleep(delay) : Promise.resolve())
        .then(() => forward(req.method ?? 'GET', req.url ?? '/', req.headers, body))
        .then(
          (answer) => {
            const headers = { ...answer.headers };
            // The body is sent whole, so the upstream's framing headers do not apply.
            delete headers['transfer-encoding'];
            headers['content-length'] = String(answer.body.length);
            res.writeHead(answer.status, headers).end(answer.body);
          },
          (err: unknown) => res.writeHead(502).end(`proxy: ${errorText(err)}`),
        )
        .finally(() => {
          if (token !== undefined) counts.inFlight--;
        });
    });
  });
  server.keepAliveTimeout = 1000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get slowMs() {
      return slowMs;
    },
    set slowMs(ms: number) {
      slowMs = ms;
    },
    get tokenChecks() {
      return counts.checks;
    },
    tokenChecksOf: (token) => perToken.get(token) ?? 0,
    get maxTokenChecksInFlight() {
      return counts.peak;
    },
    resetInFlightPeak() {
      counts.peak = counts.inFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
