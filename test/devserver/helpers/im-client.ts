/**
 * A hand-made OpenIM client for tests: speaks the long connection the way the core does
 * (query string, first text frame, gzip(gob(GeneralWsReq))) with our own codec, and the
 * HTTP API with the core's headers. Loopback only.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll } from 'vitest';
import WebSocket from 'ws';
import { startDevServer, type DevServer } from '../../../src/devserver/dev-server.ts';
import { decodeWsResponseGob, encodeWsRequestGob, type WsResponse } from '../../../src/devserver/gob/ws-messages.ts';
import { decodeProto, encodeProto, type ProtoInput } from '../../../src/devserver/protocol/proto-codec.ts';
import type { MsgData, ProtoName, ProtoTypes } from '../../../src/devserver/protocol/proto-schema.ts';

export interface ApiResult {
  status: number;
  text: string;
  json: { errCode: number; errMsg: string; errDlt: string; data?: Record<string, unknown> } | undefined;
}

let opCounter = 0;

export async function callApi(apiUrl: string, path: string, body: unknown, headers: { token?: string; operationID?: string | null } = {}): Promise<ApiResult> {
  const h: Record<string, string> = { 'Content-Type': 'application/json' };
  if (headers.operationID !== null) h['operationID'] = headers.operationID ?? `test-op-${++opCounter}`;
  if (headers.token !== undefined) h['token'] = headers.token;
  const res = await fetch(apiUrl + path, { method: 'POST', headers: h, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: ApiResult['json'];
  try {
    json = JSON.parse(text) as ApiResult['json'];
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

export interface ConnectOptions {
  userID: string;
  token: string;
  platformID?: number | string;
  gzip?: boolean;
  isMsgResp?: boolean;
  sdkType?: string;
  /** Extra or replacement query parameters. */
  query?: Record<string, string | undefined>;
}

export interface Handshake {
  errCode: number;
  errMsg: string;
  errDlt: string;
}

export class ImTestClient {
  readonly userID: string;
  readonly ws: WebSocket;
  readonly gzip: boolean;
  /** Server-initiated frames (2001/2002/2005), in arrival order. */
  readonly unsolicited: WsResponse[] = [];
  /** Text frames after the handshake one. */
  readonly texts: string[] = [];
  #incr = 0;
  readonly #pending = new Map<string, (r: WsResponse) => void>();
  readonly #waiters: (() => void)[] = [];
  closed: Promise<{ code: number }>;

  private constructor(ws: WebSocket, userID: string, gzip: boolean) {
    this.ws = ws;
    this.userID = userID;
    this.gzip = gzip;
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve({ code })));
    ws.on('message', (data, isBinary) => {
      const buf = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      if (!isBinary) {
        this.texts.push(buf.toString('utf8'));
      } else {
        const resp = decodeWsResponseGob(this.gzip ? gunzipSync(buf) : buf);
        const pending = this.#pending.get(resp.msgIncr);
        if (pending !== undefined && resp.msgIncr !== '') {
          this.#pending.delete(resp.msgIncr);
          pending(resp);
        } else {
          this.unsolicited.push(resp);
        }
      }
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static url(wsUrl: string, o: ConnectOptions): string {
    const params: Record<string, string | undefined> = {
      compression: o.gzip === false ? undefined : 'gzip',
      isBackground: 'false',
      isMsgResp: o.isMsgResp === false ? undefined : 'true',
      operationID: String(Date.now()),
      platformID: String(o.platformID ?? 5),
      sendID: o.userID,
      token: o.token,
      sdkType: o.sdkType,
      ...o.query,
    };
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
    return `${wsUrl}?${q.toString()}`;
  }

  /** Opens the socket and reads the first (text) frame. */
  static async connect(wsUrl: string, o: ConnectOptions): Promise<{ client: ImTestClient; handshake: Handshake }> {
    const ws = new WebSocket(ImTestClient.url(wsUrl, o), { perMessageDeflate: false });
    const handshake = await new Promise<Handshake>((resolve, reject) => {
      ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()) as Handshake));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return { client: new ImTestClient(ws, o.userID, o.gzip !== false), handshake };
  }

  /** Sends a raw frame (already encoded). */
  sendRaw(frame: Buffer | string, binary = true): void {
    this.ws.send(frame, { binary });
  }

  frame(reqIdentifier: number, data: Uint8Array, msgIncr: string, overrides: { sendID?: string; operationID?: string } = {}): Buffer {
    const gob = encodeWsRequestGob({
      reqIdentifier,
      token: '',
      sendID: overrides.sendID ?? this.userID,
      operationID: overrides.operationID ?? `op-${msgIncr}`,
      msgIncr,
      data,
    });
    return this.gzip ? gzipSync(gob) : Buffer.from(gob);
  }

  /** One request, its reply (matched on MsgIncr). */
  request(reqIdentifier: number, data: Uint8Array, overrides: { sendID?: string; operationID?: string } = {}): Promise<WsResponse> {
    const msgIncr = `${this.userID}_${++this.#incr}`;
    const reply = new Promise<WsResponse>((resolve) => this.#pending.set(msgIncr, resolve));
    this.ws.send(this.frame(reqIdentifier, data, msgIncr, overrides), { binary: true });
    return reply;
  }

  async call<Req extends ProtoName, Resp extends ProtoName>(
    reqIdentifier: number,
    reqType: Req,
    body: ProtoInput<ProtoTypes[Req]>,
    respType: Resp,
  ): Promise<{ resp: WsResponse; data: ProtoTypes[Resp] }> {
    const resp = await this.request(reqIdentifier, encodeProto(reqType, body));
    return { resp, data: decodeProto(respType, resp.data) };
  }

  /** Resolves once `pick` finds something among the unsolicited frames (checked on every arrival). */
  async waitFor<T>(pick: (frames: readonly WsResponse[]) => T | undefined, timeoutMs = 3000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = pick(this.unsolicited);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a server frame');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Pushed messages (2001), flattened. */
  pushedMsgs(): { conversationID: string; msg: MsgData; operationID: string; notification: boolean }[] {
    return this.unsolicited
      .filter((f) => f.reqIdentifier === 2001)
      .flatMap((f) => {
        const p = decodeProto('PushMessages', f.data);
        return [
          ...Object.entries(p.msgs).flatMap(([conversationID, m]) => m.Msgs.map((msg) => ({ conversationID, msg, operationID: f.operationID, notification: false }))),
          ...Object.entries(p.notificationMsgs).flatMap(([conversationID, m]) =>
            m.Msgs.map((msg) => ({ conversationID, msg, operationID: f.operationID, notification: true })),
          ),
        ];
      });
  }

  close(): void {
    this.ws.terminate();
  }
}

let clientMsgCounter = 0;

/** A text message as the core builds it (docs/im-server.md#send). */
export function textMsg(sendID: string, to: { recvID: string } | { groupID: string }, text: string): ProtoInput<MsgData> {
  const group = 'groupID' in to;
  return {
    sendID,
    recvID: group ? '' : to.recvID,
    groupID: group ? to.groupID : '',
    clientMsgID: `client${String(++clientMsgCounter).padStart(26, '0')}`,
    senderPlatformID: 5,
    senderNickname: sendID,
    sessionType: group ? 3 : 1,
    msgFrom: 100,
    contentType: 101,
    content: new TextEncoder().encode(JSON.stringify({ content: text })),
    createTime: Date.now(),
    status: 1,
    offlinePushInfo: {},
    attachedInfo: 'null',
  };
}

export function contentText(msg: MsgData): string {
  return (JSON.parse(Buffer.from(msg.content).toString('utf8')) as { content: string }).content;
}

/**
 * One dev server for the whole test file, and users going online on it (platform 5, a
 * fresh token each time). What a test connects is closed after it.
 */
export function devServerForFile(): {
  online(this: void, userID: string): Promise<ImTestClient>;
  /** An API call with the token `as` last went online with. */
  api(this: void, as: string, path: string, body: unknown): Promise<ApiResult>;
} {
  let server: DevServer | undefined;
  const clients: ImTestClient[] = [];
  const tokens = new Map<string, string>();
  beforeAll(async () => {
    server = await startDevServer({ apiPort: 0, wsPort: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  const running = (): DevServer => {
    if (!server) throw new Error('the dev server is not running (used outside a test?)');
    return server;
  };
  return {
    async online(userID) {
      const token = await running().userToken(userID, 5);
      tokens.set(userID, token);
      const { client } = await ImTestClient.connect(running().wsUrl, { userID, token });
      clients.push(client);
      return client;
    },
    api: (as, path, body) => callApi(running().apiUrl, path, body, { token: tokens.get(as) }),
  };
}
