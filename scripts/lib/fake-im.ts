/**
 * A stand-in for the IM server's `POST /auth/parse_token`, enough for the gateway's
 * handshake check when the cores do not need a real IM server (the test core). The one
 * fake for tests (through test/helpers/gateway.ts) and for the fuzz and soak scripts.
 *
 * What it answers for a token, first match wins:
 *   an entry of `tokens`                     → that owner, or that IM errCode (see `revoke`)
 *   tok.<userID>.<platformID>                → errCode 0, owned by that user and platform
 *   ok.<base64url JSON [userID, platformID]> → errCode 0, owned by that user and platform
 *   kicked.<any>                             → errCode 1506 (TokenKickedError)
 *   down.<any>                               → HTTP 500 (the gateway must answer 503)
 *   garbage.<any>                            → HTTP 200 that is not JSON (also 503)
 *   anything else                            → errCode 1503 (TokenMalformedError)
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Tokens the fake IM server knows: token → owner (or an IM errCode). */
export type TokenTable = Map<string, { userID: string; platformID: number } | { errCode: number }>;

export interface FakeIm {
  readonly url: string;
  readonly tokens: TokenTable;
  /** parse_token requests answered or in progress. */
  readonly calls: number;
  /** parse_token requests received and not answered yet, and the most there ever were at once. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Requests that broke the IM's own rules (not POST, no operationID header, body not `{token}`). */
  readonly malformedRequests: number;
  /** parse_token requests per token. */
  callsFor(token: string): number;
  /** From now on the IM refuses this token with errCode (1506 kicked, 1501 expired…). */
  revoke(token: string, errCode: number): void;
  /** Milliseconds the answer for a token is held back (0: at once). */
  delay: (token: string) => number;
  close(): Promise<void>;
}

/** A token the fake accepts for userID on platformID (readable in logs). */
export function tokenFor(userID: string, platformID = 5): string {
  return `tok.${userID}.${platformID}`;
}

/** A token the fake accepts for any userID, whatever characters it holds (for fuzzers). */
export function okToken(userID: string, platformID: number): string {
  return `ok.${Buffer.from(JSON.stringify([userID, platformID])).toString('base64url')}`;
}

type Verdict = { owner: { userID: string; platformID: number } } | { errCode: number; errMsg: string } | { http: 'down' | 'garbage' };

function verdictOf(token: string, tokens: TokenTable): Verdict {
  const known = tokens.get(token);
  if (known !== undefined) return 'errCode' in known ? { errCode: known.errCode, errMsg: 'TokenError' } : { owner: known };
  const readable = /^tok\.([^.]+)\.(\d+)$/.exec(token);
  if (readable) return { owner: { userID: readable[1]!, platformID: Number(readable[2]) } };
  const encoded = token.startsWith('ok.') ? decodeOwner(token.slice(3)) : undefined;
  if (encoded) return { owner: encoded };
  if (token.startsWith('kicked.')) return { errCode: 1506, errMsg: 'TokenKickedError' };
  if (token.startsWith('down.')) return { http: 'down' };
  if (token.startsWith('garbage.')) return { http: 'garbage' };
  return { errCode: 1503, errMsg: 'TokenMalformedError' };
}

function decodeOwner(text: string): { userID: string; platformID: number } | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && typeof decoded[0] === 'string' && typeof decoded[1] === 'number') {
      return { userID: decoded[0], platformID: decoded[1] };
    }
  } catch {
    // Not one of ours: answered as malformed.
  }
  return undefined;
}

export async function startFakeIm(): Promise<FakeIm> {
  const tokens: TokenTable = new Map();
  const state = { calls: 0, inFlight: 0, maxInFlight: 0, malformed: 0 };
  const perToken = new Map<string, number>();
  let delay: (token: string) => number = () => 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.calls++;
      const done = (): void => void state.inFlight--;
      const reply = (body: object): void => {
        done();
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errMsg: '', errDlt: '', ...body }));
      };
      let token: unknown;
      try {
        token = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { token?: unknown }).token;
      } catch {
        token = undefined;
      }
      if (req.method !== 'POST' || req.url !== '/auth/parse_token' || typeof token !== 'string' || !req.headers.operationid) {
        state.malformed++;
        reply({ errCode: 1001, errMsg: 'ArgsError' });
        return;
      }
      perToken.set(token, (perToken.get(token) ?? 0) + 1);
      const answer = (): void => {
        const verdict = verdictOf(token, tokens);
        if ('http' in verdict) {
          done();
          if (verdict.http === 'down') res.writeHead(500).end('internal error');
          else res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>not an IM server</html>');
        } else if ('owner' in verdict) {
          reply({ errCode: 0, data: { ...verdict.owner, expireTimeSeconds: Math.floor(Date.now() / 1000) + 3600 } });
        } else {
          reply(verdict);
        }
      };
      const ms = delay(token);
      if (ms > 0) setTimeout(answer, ms);
      else answer();
    });
  });
  // Keep-alive sockets from the gateway's fetch must not hold close() open.
  server.keepAliveTimeout = 1000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    get delay() {
      return delay;
    },
    set delay(f: (token: string) => number) {
      delay = f;
    },
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tokens,
    get calls() {
      return state.calls;
    },
    get inFlight() {
      return state.inFlight;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    get malformedRequests() {
      return state.malformed;
    },
    callsFor: (token: string) => perToken.get(token) ?? 0,
    revoke: (token: string, errCode: number) => void tokens.set(token, { errCode }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
