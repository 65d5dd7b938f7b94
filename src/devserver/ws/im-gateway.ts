/**
 * The long-connection gateway (docs/im-server.md#long-connection): upgrade, first text frame, request dispatch,
 * pushes (2001) to every connection of every recipient, kicks (2002), online-status
 * subscriptions (2005).
 *
 * Deliberate differences from the real gateway, both for a developer's sake:
 * - When the client asks for the first frame (`isMsgResp=true`, as the core does),
 *   every refusal is reported there after upgrading. The real gateway does that only for
 *   token errors; argument errors, a full server and a token for another user/platform
 *   (1502) are plain HTTP answers there, which the wasm core cannot read — it hangs in
 *   its dial for a minute and retries forever.
 * - Every connection is pinged, not only web ones: the real server drops any connection
 *   silent for 30 s but pings only platform 5, so a non-web core idles out there.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { WsRequest } from '../gob/ws-messages.ts';
import { errorEnvelope, successEnvelope } from '../http/im-envelope.ts';
import type { Push } from '../messaging/deliver.ts';
import { newOperationID } from '../messaging/ids.ts';
import { isNotificationConversationID } from '../protocol/conversation-id.ts';
import { ImError, toErrorFields, type ErrorFields } from '../protocol/im-error-codes.ts';
import { encodeProto } from '../protocol/proto-codec.ts';
import { WsReq, clientRequest } from '../protocol/ws-identifiers.ts';
import type { DevState } from '../store/state.ts';
import { GatewayConnection, type HeartbeatOptions } from './connection.ts';
import { frameCodec } from './frame-codec.ts';
import { WS_HANDLERS, type GatewayActions, type WsOutcome } from './handlers.ts';
import { checkHandshake, readHandshakeQuery, type AcceptedHandshake, type HandshakeQuery } from './im-handshake.ts';
import { ConnectionRegistry } from './registry.ts';
import { FaultPlan } from './faults.ts';

export interface GatewayOptions {
  readonly state: DevState;
  readonly logger: Logger;
  readonly heartbeat: HeartbeatOptions;
  /** Real default: 100 000. */
  readonly maxConnections: number;
}

/** The real gateway's read limit per client frame. */
export const MAX_CLIENT_FRAME_BYTES = 51_200;

const EMPTY = new Uint8Array(0);

type CheckResult =
  | { readonly query: HandshakeQuery; readonly accepted: AcceptedHandshake; readonly error: undefined }
  | { readonly query: HandshakeQuery; readonly accepted: undefined; readonly error: ErrorFields };

export class ImGateway implements GatewayActions {
  readonly server: Server;
  readonly #state: DevState;
  readonly #log: Logger;
  readonly #options: GatewayOptions;
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_FRAME_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
  });
  readonly #registry = new ConnectionRegistry<GatewayConnection>();
  /** Test-only faults (see faults.ts). */
  readonly faults = new FaultPlan();

  constructor(options: GatewayOptions) {
    this.#options = options;
    this.#state = options.state;
    this.#log = options.logger;
    this.server = createServer((req, res) => this.#onPlainRequest(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
  }

  get connectionCount(): number {
    return this.#registry.size;
  }

  #check(req: IncomingMessage): CheckResult {
    const query = readHandshakeQuery(req);
    try {
      return { query, error: undefined, accepted: checkHandshake(this.#state, query, this.#registry.size, this.#options.maxConnections) };
    } catch (err) {
      if (!(err instanceof ImError)) this.#log.error({ err }, 'devserver: handshake check failed');
      return { query, accepted: undefined, error: toErrorFields(err) };
    }
  }

  /** Not an upgrade: the real gateway runs the same checks, then its upgrader says 400. */
  #onPlainRequest(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const { error } = this.#check(req);
    if (error !== undefined) {
      const body = errorEnvelope(error);
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Bad Request');
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const { query, accepted, error } = this.#check(req);
    if (accepted !== undefined && this.faults.takeRefusal(accepted.userID)) {
      socket.destroy();
      return;
    }
    if (error !== undefined && !query.wantsResponse) {
      const body = errorEnvelope(error);
      socket.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      if (error !== undefined) {
        this.#log.debug({ sendID: query.sendID, ...error }, 'devserver handshake refused');
        ws.on('error', () => ws.terminate());
        ws.send(errorEnvelope(error), () => ws.terminate());
        return;
      }
      if (query.wantsResponse) ws.send(successEnvelope(undefined));
      this.#register(ws, accepted, req.socket.remoteAddress ?? '');
    });
  }

  #register(ws: WebSocket, accepted: AcceptedHandshake, remoteAddress: string): void {
    const conn = new GatewayConnection(
      ws,
      { userID: accepted.userID, platformID: accepted.platformID, token: accepted.token, remoteAddress },
      frameCodec(accepted.encoding, accepted.gzip),
      { onRequest: (c, req) => this.#onRequest(c, req), onClosed: (c) => this.#onClosed(c) },
      this.#options.heartbeat,
      this.#log,
    );
    const before = this.#registry.onlinePlatforms(conn.userID);
    const samePlatform = this.#registry.byUserPlatform(conn.userID, conn.platformID);
    this.#registry.add(conn);
    this.#log.debug({ userID: conn.userID, platformID: conn.platformID }, 'devserver connection registered');
    // Default multi-login policy: other tokens of the same platform are kicked off and dead.
    if (samePlatform.length > 0) {
      for (const old of samePlatform) if (old.token !== conn.token) old.kick();
      this.#state.auth.tokens.kickAllBut(conn.userID, conn.platformID, conn.token);
    }
    this.#announceIfChanged(conn.userID, before);
  }

  #onClosed(conn: GatewayConnection): void {
    const before = this.#registry.onlinePlatforms(conn.userID);
    if (this.#registry.remove(conn)) this.#announceIfChanged(conn.userID, before);
  }

  #announceIfChanged(userID: string, before: readonly number[]): void {
    const now = this.#registry.onlinePlatforms(userID);
    if (now.length === before.length && now.every((p, i) => p === before[i])) return;
    const watchers = this.#registry.watchersOf(userID);
    if (watchers.length === 0) return;
    const data = encodeProto('SubUserOnlineStatusTips', { subscribers: [{ userID, onlinePlatformIDs: now }] });
    for (const w of watchers) {
      w.send({ reqIdentifier: WsReq.subUserOnlineStatus, msgIncr: '', operationID: '', errCode: 0, errMsg: '', data });
    }
  }

  #onRequest(conn: GatewayConnection, req: WsRequest): void {
    const spec = clientRequest(req.reqIdentifier);
    if (spec === undefined) {
      conn.close(`ReqIdentifier failed,sendID:${req.sendID},msgIncr:${req.msgIncr},reqIdentifier:${req.reqIdentifier}`);
      return;
    }
    const handler = WS_HANDLERS[spec.name as keyof typeof WS_HANDLERS];
    let outcome: WsOutcome;
    try {
      if (req.reqIdentifier === WsReq.getNewestSeq && this.faults.takeSeqFailure(conn.userID)) {
        throw new ImError('ServerInternalError', 'injected fault: newest seq unavailable');
      }
      outcome = handler({ state: this.#state, conn, gateway: this, req });
    } catch (err) {
      if (!(err instanceof ImError)) this.#log.error({ err, reqIdentifier: req.reqIdentifier }, 'devserver: WS handler failed');
      outcome = { error: toErrorFields(err) };
    }
    conn.send(
      {
        reqIdentifier: req.reqIdentifier,
        msgIncr: req.msgIncr,
        operationID: req.operationID,
        errCode: outcome.error?.errCode ?? 0,
        errMsg: outcome.error?.errMsg ?? '',
        data: outcome.data ?? EMPTY,
      },
      outcome.closeAfterReply === true ? () => conn.close('logout') : undefined,
    );
    try {
      outcome.afterReply?.();
    } catch (err) {
      this.#log.error({ err }, 'devserver: work after a WS reply failed');
    }
  }

  push(pushes: readonly Push[]): void {
    for (const p of pushes) {
      const pulled = { [p.conversationID]: { Msgs: [p.msg] } };
      const data = encodeProto('PushMessages', isNotificationConversationID(p.conversationID) ? { notificationMsgs: pulled } : { msgs: pulled });
      const operationID = p.operationID !== '' ? p.operationID : newOperationID();
      for (const userID of p.userIDs) {
        for (const conn of this.#registry.byUser(userID)) {
          conn.send({ reqIdentifier: WsReq.pushMsg, msgIncr: '', operationID, errCode: 0, errMsg: '', data });
        }
      }
    }
  }

  connectionsOf(userID: string): GatewayConnection[] {
    return this.#registry.byUser(userID);
  }

  /** Drops the user's connections without a word, as a broken network would; returns how many. */
  disconnect(userID: string): number {
    const conns = this.#registry.byUser(userID);
    for (const conn of conns) conn.close('fault: disconnected');
    return conns.length;
  }

  kick(userID: string, platformID: number): void {
    for (const conn of this.#registry.byUserPlatform(userID, platformID)) conn.kick();
  }

  subscribe(conn: GatewayConnection, add: readonly string[], remove: readonly string[]): void {
    this.#registry.subscribe(conn, add, remove);
  }

  onlinePlatforms(userID: string): number[] {
    return this.#registry.onlinePlatforms(userID);
  }

  /** Drops every connection (no close frame, as a server going away would). */
  closeAll(): void {
    for (const conn of this.#registry.all()) conn.close('server closing');
  }
}
