/**
 * One client connection after the handshake: reads frames, hands requests to the
 * gateway, writes replies and pushes, keeps the heartbeat (docs/im-server.md#long-connection).
 *
 * Like the real gateway, it ends the connection — without a reply and without a close
 * frame — on anything it cannot read: bad gzip, bad gob, a SendID that is not the
 * connection's user, an unknown identifier, a text frame that is not `{"type":"ping"}` /
 * `{"type":"pong"}`. Ending means dropping the TCP connection once what was written has
 * been flushed, which is what the client sees from the real server too (no close frame).
 */
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { WsRequest, WsResponse } from '../gob/ws-messages.ts';
import { FrameError, type FrameCodec } from './frame-codec.ts';

export interface ConnectionInfo {
  readonly userID: string;
  readonly platformID: number;
  readonly token: string;
  readonly remoteAddress: string;
}

export interface HeartbeatOptions {
  /** Server pings this often (real: 27 s, web only; here: every platform, see gateway.ts). */
  readonly pingIntervalMs: number;
  /** Silence (no frame, no pong) longer than this drops the connection (real: 30 s). */
  readonly pongWaitMs: number;
}

export interface ConnectionHooks {
  /** A decoded request; throw nothing, answer through `conn.reply`. */
  onRequest(conn: GatewayConnection, req: WsRequest): void;
  onClosed(conn: GatewayConnection, reason: string): void;
}

export class GatewayConnection {
  readonly userID: string;
  readonly platformID: number;
  readonly token: string;
  readonly remoteAddress: string;
  isBackground = false;
  readonly #ws: WebSocket;
  readonly #codec: FrameCodec;
  readonly #hooks: ConnectionHooks;
  readonly #log: Logger;
  #closed = false;
  #pingTimer: NodeJS.Timeout | undefined;
  #readDeadline: NodeJS.Timeout | undefined;

  constructor(ws: WebSocket, info: ConnectionInfo, codec: FrameCodec, hooks: ConnectionHooks, heartbeat: HeartbeatOptions, logger: Logger) {
    this.userID = info.userID;
    this.platformID = info.platformID;
    this.token = info.token;
    this.remoteAddress = info.remoteAddress;
    this.#ws = ws;
    this.#codec = codec;
    this.#hooks = hooks;
    this.#log = logger.child({ userID: info.userID, platformID: info.platformID });

    ws.on('message', (data, isBinary) => this.#onMessage(toBuffer(data), isBinary));
    ws.on('pong', () => this.#sawTraffic());
    ws.on('ping', () => this.#sawTraffic());
    ws.on('close', () => this.#closedBy('socket closed'));
    ws.on('error', (err) => {
      // ws reports protocol violations (oversized frames, bad opcodes) here and closes.
      this.#log.debug({ err }, 'devserver ws error');
      this.#closedBy(`socket error: ${err.message}`);
    });
    this.#readDeadline = setTimeout(() => this.close('read timeout'), heartbeat.pongWaitMs);
    this.#pingTimer = setInterval(() => {
      if (!this.#closed) this.#ws.ping();
    }, heartbeat.pingIntervalMs);
  }

  get closed(): boolean {
    return this.#closed;
  }

  #sawTraffic(): void {
    this.#readDeadline?.refresh();
  }

  #onMessage(frame: Buffer, isBinary: boolean): void {
    if (this.#closed) return;
    this.#sawTraffic();
    if (!isBinary) {
      this.#onText(frame);
      return;
    }
    let req: WsRequest;
    try {
      req = this.#codec.decode(frame);
    } catch (err) {
      this.close(err instanceof FrameError ? err.message : String(err));
      return;
    }
    if (req.sendID !== this.userID) {
      this.close(`request SendID ${JSON.stringify(req.sendID)} is not the connection's user`);
      return;
    }
    this.#hooks.onRequest(this, req);
  }

  /** The real gateway's text protocol: ping → pong, pong → nothing, anything else ends the connection. */
  #onText(frame: Buffer): void {
    let msg: unknown;
    try {
      msg = JSON.parse(frame.toString('utf8')) as unknown;
    } catch {
      this.close('text frame is not JSON');
      return;
    }
    const type = typeof msg === 'object' && msg !== null ? (msg as Record<string, unknown>)['type'] : undefined;
    if (type === 'pong') return;
    if (type === 'ping') {
      const body = (msg as Record<string, unknown>)['body'];
      this.#ws.send(JSON.stringify({ type: 'pong', body: body === undefined ? null : body }));
      return;
    }
    this.close(`not support message type ${String(type)}`);
  }

  /** Writes one frame; `then` runs once it has been handed to the socket. */
  send(resp: WsResponse, then?: () => void): void {
    if (this.#closed) return;
    this.#ws.send(this.#codec.encode(resp), { binary: true }, () => then?.());
  }

  /** 2002, then the connection ends (the client logs out and does not reconnect). */
  kick(): void {
    this.send({ reqIdentifier: 2002, msgIncr: '', operationID: '', errCode: 0, errMsg: '', data: new Uint8Array(0) }, () => this.close('kicked'));
    // Marked at once so that nothing else is written after the kick.
    this.#markClosed('kicked');
  }

  /**
   * Ends the connection now. Callers that must have a last frame delivered first (kick,
   * logout) call this from that frame's send callback.
   */
  close(reason: string): void {
    this.#markClosed(reason);
    this.#ws.terminate();
  }

  #markClosed(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pingTimer);
    clearTimeout(this.#readDeadline);
    this.#log.debug({ reason }, 'devserver connection closed');
    this.#hooks.onClosed(this, reason);
  }

  #closedBy(reason: string): void {
    this.#markClosed(reason);
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}
