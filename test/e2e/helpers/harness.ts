/**
 * End-to-end wiring, as `npm start` builds it: the in-memory OpenIM dev server on loopback,
 * the gateway with the official wasm core in front of it, and the real mini-program client
 * (`open-im-sdk@3.5.2`) talking to the gateway.
 *
 * The client needs a global `WebSocket`; it gets the `ws` package's class, subclassed so a
 * test can see every socket a client opened (reconnects open new ones) and every frame
 * each one received (the client hides the ones it does not turn into events, such as the
 * `Logout` broadcast).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenIMSDK, CbEvents, type MessageItem, type WsResponse } from 'open-im-sdk';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { WebSocket as WsWebSocket, type ClientOptions } from 'ws';
import { LOG_LEVELS, defaultServerOptions, type LogLevel } from '../../../src/config/options.ts';
import { startDevServer, type DevServer, type DevServerOptions } from '../../../src/devserver/dev-server.ts';
import { startServer, type RunningServer, type StartOptions } from '../../../src/server.ts';

export const WEB = 5;

/** What a frame from the gateway looks like before the client parses `data`. */
export interface RawEnvelope {
  event: string;
  errCode: number;
  errMsg: string;
  data: string;
  operationID: string;
}

/** Every socket a client opened, by its URL (a client keeps its URL across reconnects). */
const socketsByUrl = new Map<string, TrackedSocket[]>();

export class TrackedSocket extends WsWebSocket {
  readonly frames: RawEnvelope[] = [];
  readonly closed: Promise<{ code: number }>;

  constructor(address: string, protocols?: string | string[], options?: ClientOptions) {
    super(address, protocols, options);
    const list = socketsByUrl.get(address) ?? [];
    list.push(this);
    socketsByUrl.set(address, list);
    this.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) this.frames.push(JSON.parse(data.toString('utf8')) as RawEnvelope);
    });
    this.closed = new Promise((resolve) => this.once('close', (code: number) => resolve({ code })));
  }
}

export interface E2eEnv {
  readonly dev: DevServer;
  readonly gw: RunningServer;
  /** The gateway's address, for the client's `wsAddr`. */
  readonly wsAddr: string;
  close(): Promise<void>;
}

export interface E2eOptions {
  /** Gateway settings, or a function of the started dev server giving them. */
  gateway?: Partial<StartOptions> | ((dev: DevServer) => Partial<StartOptions>);
  dev?: DevServerOptions;
}

/** `E2E_LOG=debug` shows the gateway's, the cores' and the dev server's logs. */
const LOG_LEVEL: LogLevel = LOG_LEVELS.find((l) => l === process.env['E2E_LOG']) ?? 'silent';

/**
 * What a browser or mini-program gives the client's upload path and Node lacks: FileReader
 * (the client hashes each part with it). Reads a Blob slice the way a browser does.
 */
class NodeFileReader {
  onload: ((e: { target: { result: ArrayBuffer } }) => void) | null = null;
  onerror: ((err: unknown) => void) | null = null;

  readAsArrayBuffer(blob: Blob): void {
    blob.arrayBuffer().then(
      (result) => this.onload?.({ target: { result } }),
      (err: unknown) => this.onerror?.(err),
    );
  }
}

export async function startE2e(options: E2eOptions = {}): Promise<E2eEnv> {
  const logger = pino({ level: LOG_LEVEL });
  const previousWebSocket = globalThis.WebSocket;
  const previousFileReader = (globalThis as { FileReader?: unknown }).FileReader;
  // The client checks for the global when it logs in; the ws class is what it gets in Node.
  (globalThis as { WebSocket: unknown }).WebSocket = TrackedSocket;
  (globalThis as { FileReader?: unknown }).FileReader = NodeFileReader;
  const dataDir = mkdtempSync(join(tmpdir(), 'jssdk-e2e-'));
  const dev = await startDevServer({ apiPort: 0, wsPort: 0, logger: logger.child({ component: 'dev-server' }), ...options.dev });
  let gw: RunningServer;
  try {
    gw = await startServer({
      ...defaultServerOptions(),
      host: '127.0.0.1',
      port: 0,
      core: 'official',
      workers: 2,
      openimApi: dev.apiUrl,
      openimWs: dev.wsUrl,
      dataDir,
      logLevel: LOG_LEVEL,
      logger,
      ...(typeof options.gateway === 'function' ? options.gateway(dev) : options.gateway),
    });
  } catch (err) {
    await dev.close();
    throw err;
  }
  return {
    dev,
    gw,
    wsAddr: gw.url,
    async close() {
      await gw.close();
      await dev.close();
      rmSync(dataDir, { recursive: true, force: true });
      (globalThis as { WebSocket: unknown }).WebSocket = previousWebSocket;
      (globalThis as { FileReader?: unknown }).FileReader = previousFileReader;
    },
  };
}

/**
 * One environment for the whole test file, handed to `started` once it runs. The returned
 * list is for the tabs a test opens: they are logged out after each test.
 */
export function e2eEnvForFile(started: (env: E2eEnv) => void, options: E2eOptions = {}): E2eClient[] {
  let env: E2eEnv | undefined;
  const tabs: E2eClient[] = [];
  beforeAll(async () => {
    env = await startE2e(options);
    started(env);
  }, 60_000);
  afterEach(async () => {
    await logoutAll(tabs.splice(0));
  }, 30_000);
  afterAll(async () => {
    await env?.close();
  }, 60_000);
  return tabs;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `probe` returns something other than undefined/false, or fails naming `what`. */
export async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Settles with the promise, or fails naming `what` (client requests that get no answer never settle). */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

let clientCounter = 0;

/** One browser tab: a real client instance with everything it emitted recorded. */
export class E2eClient {
  readonly sdk = new OpenIMSDK();
  readonly events: WsResponse[] = [];
  readonly name: string;
  /** The login operationID, which the client also puts in its URL; makes the URL unique. */
  readonly #loginOperationID: string;
  #url: string | undefined;

  constructor(
    readonly userID: string,
    readonly token: string,
    name?: string,
  ) {
    this.name = name ?? userID;
    this.#loginOperationID = `e2e-login-${++clientCounter}-${Date.now()}`;
    for (const event of Object.values(CbEvents)) this.sdk.on(event, (e) => this.events.push(e));
  }

  /** Resolves with the Login response (rejects with it when errCode ≠ 0, as the client does). */
  login(env: { wsAddr: string; dev: Pick<DevServer, 'apiUrl'> }): Promise<WsResponse> {
    this.#url = `${env.wsAddr}?sendID=${this.userID}&token=${this.token}&platformID=${WEB}&operationID=${this.#loginOperationID}`;
    return this.sdk.login({ userID: this.userID, token: this.token, platformID: WEB, wsAddr: env.wsAddr, apiAddr: env.dev.apiUrl }, this.#loginOperationID);
  }

  /** Every socket this tab opened, oldest first. */
  sockets(): TrackedSocket[] {
    return this.#url === undefined ? [] : (socketsByUrl.get(this.#url) ?? []);
  }

  get socket(): TrackedSocket | undefined {
    const all = this.sockets();
    return all[all.length - 1];
  }

  /** Every frame any of this tab's sockets received. */
  frames(): RawEnvelope[] {
    return this.sockets().flatMap((s) => s.frames);
  }

  named(event: CbEvents): WsResponse[] {
    return this.events.filter((e) => e.event === event);
  }

  /** The first recorded `event` (from `from` on) that `match` accepts, waiting for it if needed. */
  waitEvent(event: CbEvents, match: (e: WsResponse) => boolean = () => true, timeoutMs = 10_000, from = 0): Promise<WsResponse> {
    return until(() => this.events.slice(from).find((e) => e.event === event && match(e)), `${this.name}: ${event}`, timeoutMs);
  }

  get connected(): boolean {
    return this.socket?.readyState === WsWebSocket.OPEN;
  }
}

/**
 * Ends what the tabs left open: one Logout per user (the gateway tells that user's other
 * tabs), then waits for every socket to close so the next test starts clean.
 */
export async function logoutAll(tabs: readonly E2eClient[]): Promise<void> {
  const done = new Set<string>();
  for (const tab of tabs) {
    if (done.has(tab.userID) || !tab.connected) continue;
    done.add(tab.userID);
    await within(tab.sdk.logout(), `${tab.name} logout`, 5000).catch(() => {});
  }
  await until(() => tabs.every((t) => !t.connected), 'every tab closed', 5000);
}

/**
 * Logs in `tabs` tabs of the user, all with one token (a new token would kick the old one),
 * registered in `clients` so that the file's fixture logs them out; resolves once the
 * user's first sync is over.
 */
export async function openTabs(env: E2eEnv, clients: E2eClient[], userID: string, tabs = 1, options: { ttlSeconds?: number } = {}): Promise<E2eClient[]> {
  const token = await env.dev.userToken(userID, WEB, options);
  const opened = Array.from({ length: tabs }, (_, i) => new E2eClient(userID, token, `${userID}#${i + 1}`));
  clients.push(...opened);
  for (const tab of opened) {
    const res = await within(tab.login(env), `${tab.name} login`);
    if (res.errCode !== 0) throw new Error(`${tab.name} login answered ${res.errCode} ${res.errMsg}`);
  }
  // Login answers before the core's first sync is done; tests start from a synced state.
  await opened[0]!.waitEvent(CbEvents.OnSyncServerFinish);
  return opened;
}

/** Creates and sends a text message; resolves with the sent message as the core returns it. */
export async function sendText(from: E2eClient, text: string, to: { recvID?: string; groupID?: string }): Promise<MessageItem> {
  const created = await within(from.sdk.createTextMessage(text), `${from.name} createTextMessage`);
  const sent = await within(from.sdk.sendMessage({ recvID: to.recvID ?? '', groupID: to.groupID ?? '', message: created.data }), `${from.name} sendMessage`);
  return sent.data;
}

/** New-message events carry arrays of messages (batch mode); flattens a tab's received ones. */
export function receivedMessages(client: E2eClient): MessageLike[] {
  return client.named(CbEvents.OnRecvNewMessages).flatMap((e) => e.data as MessageLike[]);
}

/** The message fields the tests look at. */
export interface MessageLike {
  clientMsgID: string;
  serverMsgID: string;
  sendID: string;
  recvID: string;
  groupID: string;
  sessionType: number;
  contentType: number;
  seq: number;
  status: number;
  textElem?: { content: string } | null;
}

export function textOf(msg: MessageLike): string | undefined {
  return msg.textElem?.content;
}

/** Cores the gateway runs for the user (any platform). */
export function coresOf(env: Pick<E2eEnv, 'gw'>, userID: string): number {
  return env.gw.pool.cores().filter((s) => s.userID === userID).length;
}

/** A call to the dev server's HTTP API, with the headers the real API wants. */
export async function imApi(env: Pick<E2eEnv, 'dev'>, path: string, body: unknown, token: string): Promise<{ errCode: number; errMsg: string; data?: unknown }> {
  const res = await fetch(env.dev.apiUrl + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', operationID: `e2e-${Date.now()}`, token },
    body: JSON.stringify(body),
  });
  return (await res.json()) as { errCode: number; errMsg: string; data?: unknown };
}
