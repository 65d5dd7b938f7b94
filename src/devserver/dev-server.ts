/**
 * An in-memory stand-in for an OpenIM v3 server: the HTTP API and the long-connection
 * gateway, serving every route the core and the mini-program client call (friends, black
 * lists, chats, groups and their administration, revocation, uploads), with the
 * notifications the real server sends. Nothing persists; uploaded files live on disk in a
 * directory emptied at start and at close.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { createApiServer } from './http/api-server.ts';
import { PlatformID } from './protocol/constants.ts';
import { DevState } from './store/state.ts';
import { ImGateway } from './ws/im-gateway.ts';
import { DEFAULT_OBJECT_LIMITS, type ObjectLimits } from './objects/object-limits.ts';
import { ObjectStore } from './objects/object-store.ts';

export interface DevServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 10002; 0 picks a free port. */
  apiPort?: number;
  /** Default 10001; 0 picks a free port. */
  wsPort?: number;
  /** The JWT secret and `/auth/get_admin_token` secret. Default `openIM123`, the real default. */
  secret?: string;
  logger?: Logger;
  /** Token lifetime; default 90 days, the real default. */
  tokenTtlSeconds?: number;
  /** Admin accounts, registered at start. Default `['imAdmin']`. */
  adminUserIDs?: readonly string[];
  /** Heartbeat; defaults are the real gateway's 27 s / 30 s. */
  pingIntervalMs?: number;
  pongWaitMs?: number;
  /** Epoch ms; for tests that need tokens to expire. */
  now?: () => number;
  /**
   * Uploaded files: `dir` is emptied at start and removed at close (default: a fresh
   * temporary directory); `limits` override DEFAULT_OBJECT_LIMITS.
   */
  objects?: { dir?: string; limits?: Partial<ObjectLimits> };
}

export interface DevServerFaults {
  /** Drops the user's long connections (no close frame); returns how many. */
  disconnect(userID: string): number;
  /** The user's next `count` handshakes fail (the TCP connection is dropped). */
  refuseHandshakes(userID: string, count: number): void;
  /** The user's next `count` newest-seq requests (1001) answer a server error. */
  failNewestSeq(userID: string, count: number): void;
}

/** One long connection as the dev server sees it (for tests and diagnostics). */
export interface DevConnectionInfo {
  readonly platformID: number;
  /** What the client last said with request 2004 (setAppBackgroundStatus). */
  readonly isBackground: boolean;
}

export interface DevServer {
  /** `http://host:port`, for the core's `apiAddr`. */
  readonly apiUrl: string;
  /** `ws://host:port`, for the core's `wsAddr`. */
  readonly wsUrl: string;
  readonly state: DevState;
  readonly objects: ObjectStore;
  close(): Promise<void>;
  /** The user's long connections now. */
  connections(userID: string): DevConnectionInfo[];
  /** Faults for tests: what a flaky network or a struggling server does to a client. */
  readonly faults: DevServerFaults;
  /** A token of the first admin account (platform 10). */
  adminToken(): Promise<string>;
  /**
   * Registers the user if needed (nickname = userID) and issues a token, which kicks the
   * user's earlier tokens for that platform, as `/auth/get_user_token` does.
   */
  userToken(userID: string, platformID?: number, options?: { ttlSeconds?: number }): Promise<string>;
}

export const DEFAULT_API_PORT = 10002;
export const DEFAULT_WS_PORT = 10001;
export const DEFAULT_SECRET = 'openIM123';
const DEFAULT_TOKEN_TTL_SECONDS = 90 * 86_400;

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? pino({ level: 'silent' });
  const adminUserIDs = options.adminUserIDs ?? ['imAdmin'];
  const state = new DevState({
    secret: options.secret ?? DEFAULT_SECRET,
    tokenTtlSeconds: options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS,
    adminUserIDs,
    now: options.now ?? Date.now,
  });
  const gateway = new ImGateway({
    state,
    logger,
    heartbeat: { pingIntervalMs: options.pingIntervalMs ?? 27_000, pongWaitMs: options.pongWaitMs ?? 30_000 },
    maxConnections: 100_000,
  });
  // Without a directory of its own, a temporary one, removed at close.
  const temporaryDir = options.objects?.dir === undefined ? await mkdtemp(join(tmpdir(), 'openim-devserver-')) : undefined;
  const objectsDir = options.objects?.dir ?? join(temporaryDir ?? '', 'objects');
  const removeTemporary = async (): Promise<void> => {
    if (temporaryDir !== undefined) await rm(temporaryDir, { recursive: true, force: true });
  };
  const objects = await ObjectStore.open(objectsDir, { ...DEFAULT_OBJECT_LIMITS, ...options.objects?.limits }, state.now);
  let apiUrl = '';
  const api = createApiServer({ state, gateway, logger, objects, listenURL: () => apiUrl });

  let wsPort: number;
  let apiPort: number;
  try {
    wsPort = await listen(gateway.server, host, options.wsPort ?? DEFAULT_WS_PORT);
    apiPort = await listen(api, host, options.apiPort ?? DEFAULT_API_PORT);
  } catch (err) {
    await Promise.all([closeServer(gateway.server), closeServer(api)]);
    await objects.close();
    await removeTemporary();
    throw err;
  }
  apiUrl = `http://${urlHost(host)}:${apiPort}`;
  const wsUrl = `ws://${urlHost(host)}:${wsPort}`;
  logger.info({ apiUrl, wsUrl }, 'OpenIM dev server listening (in memory: nothing persists)');

  let closing: Promise<void> | undefined;
  return {
    apiUrl,
    wsUrl,
    state,
    objects,
    close() {
      closing ??= (async () => {
        gateway.closeAll();
        await Promise.all([closeServer(gateway.server), closeServer(api)]);
        await objects.close();
        await removeTemporary();
      })();
      return closing;
    },
    faults: {
      disconnect: (userID) => gateway.disconnect(userID),
      refuseHandshakes: (userID, count) => gateway.faults.refuseHandshakes(userID, count),
      failNewestSeq: (userID, count) => gateway.faults.failNewestSeq(userID, count),
    },
    connections(userID) {
      return gateway.connectionsOf(userID).map((c) => ({ platformID: c.platformID, isBackground: c.isBackground }));
    },
    async adminToken() {
      const admin = adminUserIDs[0];
      if (admin === undefined) throw new Error('the dev server has no admin account');
      return (await state.auth.createToken(admin, PlatformID.admin)).token;
    },
    async userToken(userID, platformID = PlatformID.web, tokenOptions = {}) {
      if (!state.users.has(userID)) {
        state.users.add({ userID, nickname: userID, faceURL: '', ex: '', createTime: state.now(), appMangerLevel: 0, globalRecvMsgOpt: 0 });
      }
      return (await state.auth.createToken(userID, platformID, tokenOptions.ttlSeconds)).token;
    },
  };
}
