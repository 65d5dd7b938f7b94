/**
 * The WebSocket front door: everything between an HTTP upgrade request and an open client
 * socket. It answers every handshake it does not upgrade with an HTTP status and a JSON
 * `{errCode, errMsg}` body:
 *
 *   503  server starting/draining, too many handshakes or token checks at once (Retry-After),
 *        or the IM server could not be asked
 *   400  not a WebSocket handshake, or a missing/absurd query value
 *   401  token refused (errCode: the IM's token code, e.g. 1501 expired, 1506 kicked)
 *   429  the user+platform already has --max-conns-per-user sockets
 *   500  a bug of ours (errCode 20007), logged with the handshake's operationID
 *
 * Only a verified handshake counts toward a user's connection cap: a stranger's handshake
 * with `sendID=<victim>` and a bad or slow token takes none of the victim's places.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { WebSocket, WebSocketServer } from 'ws';
import { AUTH_LIMITS } from '../auth/auth-limits.ts';
import { parseHandshakeQuery } from '../auth/handshake.ts';
import type { TokenVerifier } from '../auth/token-verifier.ts';
import type { GatewayMetrics } from '../metrics.ts';
import { ERROR_CODES } from '../protocol/error-codes.ts';
import { downstreamOperationID } from '../protocol/operation-id.ts';
import { sessionKey } from '../sessions/hub.ts';
import type { ConnIdentity } from './client-conn.ts';
import { rejectUpgrade } from './http-reply.ts';

/** `unleased`: several nodes, and this one cannot count on its cluster lease (Redis unreachable). */
export type GatewayState = 'starting' | 'ready' | 'draining' | 'unleased';

const NOT_READY: Readonly<Record<Exclude<GatewayState, 'ready'>, string>> = {
  starting: 'server is starting',
  draining: 'server is draining',
  unleased: "server cannot reach its cluster's session directory",
};

export interface AdmissionDeps {
  logger: Logger;
  metrics: Pick<GatewayMetrics, 'handshakes' | 'internalErrors'>;
  verifier: TokenVerifier;
  wss: WebSocketServer;
  state(): GatewayState;
  /** Open (authenticated) sockets of one user+platform. */
  connectionsOf(userID: string, platformID: number): number;
  maxConnsPerUser: number;
  /** Handshakes in progress at once; default AUTH_LIMITS.pendingHandshakes. */
  maxPendingHandshakes?: number;
  /** The upgraded socket, for the caller to serve. */
  onConnection(ws: WebSocket, identity: ConnIdentity, transport: Duplex): void;
}

/** What is known about a handshake so far, for the log line of a failure. */
interface HandshakeContext {
  operationID?: string;
  userID?: string;
  platformID?: number;
  /** Past wss.handleUpgrade: the socket speaks WebSocket now, HTTP answers are over. */
  upgraded: boolean;
}

/** ws's own acceptance test of Sec-WebSocket-Key: 16 bytes in base64. */
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;
const WEBSOCKET_VERSIONS: ReadonlySet<string> = new Set(['8', '13']);

/**
 * The checks ws makes before upgrading, made before the token costs an IM request; a
 * request failing them is not a client of ours.
 */
function notWebSocket(req: IncomingMessage): string | undefined {
  if (req.method !== 'GET') return `a WebSocket handshake is a GET, not ${String(req.method).slice(0, 16)}`;
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') return 'a WebSocket handshake needs "Upgrade: websocket"';
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !WEBSOCKET_KEY.test(key)) return 'missing or invalid Sec-WebSocket-Key';
  if (!WEBSOCKET_VERSIONS.has(req.headers['sec-websocket-version'] ?? '')) return 'Sec-WebSocket-Version must be 13 (or 8)';
  return undefined;
}

const RETRY_LATER = { 'Retry-After': String(AUTH_LIMITS.retryAfterSeconds) };

export class Admission {
  readonly #deps: AdmissionDeps;
  readonly #maxPending: number;
  /** Handshakes past the query check and not yet upgraded or refused. */
  #pending = 0;
  /** Verified handshakes not yet attached to their session, per session key (race guard). */
  readonly #verified = new Map<string, number>();

  constructor(deps: AdmissionDeps) {
    this.#deps = deps;
    this.#maxPending = deps.maxPendingHandshakes ?? AUTH_LIMITS.pendingHandshakes;
  }

  get pending(): number {
    return this.#pending;
  }

  get maxPending(): number {
    return this.#maxPending;
  }

  /** For `http.on('upgrade')`. Never throws: a fault of ours answers 500 and is counted. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const ctx: HandshakeContext = { upgraded: false };
    try {
      socket.on('error', () => socket.destroy());
      this.#admit(req, socket, head, ctx).catch((err: unknown) => this.#internalError(err, socket, ctx));
    } catch (err) {
      this.#internalError(err, socket, ctx);
    }
  };

  async #admit(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: HandshakeContext): Promise<void> {
    const { logger, metrics, verifier } = this.#deps;
    const refuse = (status: number, errCode: number, errMsg: string, headers?: Record<string, string>): void => {
      metrics.handshakes.inc({ status: String(status) });
      rejectUpgrade(socket, status, { errCode, errMsg }, headers);
    };
    const state = this.#deps.state();
    if (state !== 'ready') return refuse(503, 503, NOT_READY[state], RETRY_LATER);
    const problem = notWebSocket(req);
    if (problem !== undefined) return refuse(400, 400, problem);
    const parsed = parseHandshakeQuery(req.url ?? '/');
    if (!parsed.ok) return refuse(400, 400, parsed.message);
    const { sendID: userID, token, platformID, operationID } = parsed.params;
    Object.assign(ctx, { userID, platformID, operationID });
    if (this.#pending >= this.#maxPending) {
      logger.warn({ userID, platformID, operationID, pending: this.#pending }, 'handshake refused: too many in progress');
      return refuse(503, 503, `more than ${this.#maxPending} connections are being admitted at once; retry later`, RETRY_LATER);
    }

    this.#pending++;
    try {
      const verdict = await verifier.verify(token, { userID, platformID }, downstreamOperationID(operationID, 'hs'));
      if (!verdict.ok) {
        logger.info({ userID, platformID, operationID, status: verdict.status, errMsg: verdict.errMsg }, 'handshake refused');
        if (verdict.status === 401) return refuse(401, verdict.errCode, verdict.errMsg);
        if (verdict.busy === true) return refuse(503, 503, 'too many connections are being verified at once; retry later', RETRY_LATER);
        // The detail (logged above) names the IM server's address; the client only needs to retry.
        return refuse(503, 503, 'the token could not be checked: the IM server is unavailable, retry later', RETRY_LATER);
      }
      const now = this.#deps.state();
      if (now !== 'ready') return refuse(503, 503, NOT_READY[now], RETRY_LATER);
      if (socket.destroyed) return;

      const key = sessionKey(userID, platformID);
      const max = this.#deps.maxConnsPerUser;
      if (this.#deps.connectionsOf(userID, platformID) + (this.#verified.get(key) ?? 0) >= max) {
        return refuse(429, 429, `at most ${max} connections per user and platform`);
      }
      this.#upgrade(req, socket, head, key, { userID, platformID, token, operationID, remoteAddress: req.socket.remoteAddress ?? '' }, ctx);
    } finally {
      this.#pending--;
    }
  }

  /** Holds a place under the cap from the verdict until the socket is attached (or gone). */
  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, key: string, identity: ConnIdentity, ctx: HandshakeContext): void {
    this.#verified.set(key, (this.#verified.get(key) ?? 0) + 1);
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      const n = (this.#verified.get(key) ?? 1) - 1;
      if (n > 0) this.#verified.set(key, n);
      else this.#verified.delete(key);
    };
    // ws aborts some handshakes without calling back (it has checks of its own).
    socket.once('close', release);
    this.#deps.wss.handleUpgrade(req, socket, head, (ws) => {
      ctx.upgraded = true;
      this.#deps.metrics.handshakes.inc({ status: '101' });
      try {
        this.#deps.onConnection(ws, identity, socket);
      } catch (err) {
        this.#internalError(err, socket, ctx, ws);
      } finally {
        release();
      }
    });
  }

  /** The barrier: whatever went wrong, this handshake gets an answer and the rest go on. */
  #internalError(err: unknown, socket: Duplex, ctx: HandshakeContext, ws?: WebSocket): void {
    try {
      this.#deps.metrics.internalErrors.inc({ where: 'upgrade' });
      this.#deps.logger.error(
        { err, operationID: ctx.operationID, userID: ctx.userID, platformID: ctx.platformID, upgraded: ctx.upgraded },
        'internal error while admitting a connection',
      );
    } catch {
      // Logging or counting failed too; answering the client below still matters more.
    }
    try {
      if (ws !== undefined) {
        ws.close(1011, 'internal error');
      } else if (!ctx.upgraded) {
        this.#deps.metrics.handshakes.inc({ status: '500' });
        rejectUpgrade(socket, 500, {
          errCode: ERROR_CODES.GatewayInternalError.code,
          errMsg: `internal error while admitting the connection (operationID ${ctx.operationID ?? 'unknown'})`,
        });
      } else {
        socket.destroy();
      }
    } catch {
      socket.destroy();
    }
  }
}
