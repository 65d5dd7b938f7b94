/**
 * The browser playground's HTTP side: a static page (./page), the real `open-im-sdk` browser
 * build straight from its npm package, the page's settings, and — with the embedded dev
 * server — one narrow route that registers a user and hands back a token.
 *
 * Why a token route on the gateway instead of the page calling the dev server's admin API
 * (`/auth/get_admin_token`, `/user/user_register`, `/auth/get_user_token`) itself: those
 * need the admin secret, which would then sit in every visitor's browser, and they live on
 * another origin (CORS). Here the page sends a user name and gets that user's token, nothing
 * more; the route exists only when the dev server does, checks the name, bounds the body,
 * the requests in flight and the users it registers. It grants no more than the dev server
 * already does to anyone on its port (any name, any token: it is a test double), but it is
 * the gateway's port, which may listen on every interface — hence the bounds.
 *
 * The page itself speaks only through the SDK object; nothing here knows the client protocol.
 * The token route is in ./token-route.ts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { packageRoot } from '../../core-wasm/core-build.ts';
import type { DevServer } from '../devserver/dev-server.ts';
import { PLAYGROUND_LIMITS, PLAYGROUND_PLATFORM_ID, type PlaygroundLimits } from './playground-limits.ts';
import { createTokenRoute } from './token-route.ts';
import { playgroundEnabled, type PlaygroundMode } from './playground-mode.ts';

export interface PlaygroundSiteOptions {
  /**
   * Registers the user if new and returns a token for the page's platform. Absent (a real IM
   * server): the page asks for a userID and a token instead.
   */
  readonly issueToken?: (userID: string) => Promise<string>;
  /** The IM server's HTTP API as the browser reaches it: the SDK uploads pictures there. */
  readonly apiAddr: string;
  readonly logger: Logger;
  /** Overrides of PLAYGROUND_LIMITS (tests). */
  readonly limits?: Partial<PlaygroundLimits>;
}

export interface PlaygroundSite {
  /** Whether the request's path is one of the playground's (then `serve` answers it). */
  handles(req: IncomingMessage): boolean;
  /** Answers the request; rejects only on a fault of ours (the caller answers 500 and counts it). */
  serve(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** What the page fetches from `/playground/config`. */
export interface PlaygroundConfig {
  /** `dev-server`: pick a name, POST it to /playground/token. `manual`: type a userID and a token. */
  readonly tokens: 'dev-server' | 'manual';
  readonly apiAddr: string;
  readonly platformID: number;
}

export const PLAYGROUND_PATHS = {
  page: '/',
  config: '/playground/config',
  token: '/playground/token',
  sdk: '/playground/open-im-sdk.js',
} as const;

const JS = 'text/javascript; charset=utf-8';

/** The page's own files, by the path they are served at. */
const PAGE_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  [PLAYGROUND_PATHS.page]: { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/playground/app.js': { file: 'app.js', type: JS },
  '/playground/view.js': { file: 'view.js', type: JS },
  '/playground/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/**
 * The page's directory. Looked up from the package root rather than next to this module,
 * because `npm start` runs the compiled module from dist/, where tsc copies no HTML.
 */
export function pageDir(): string {
  return join(packageRoot(), 'src', 'playground', 'page');
}

/**
 * The SDK's self-contained ES build, from the installed package: the same 3.5.2 client that
 * mini-programs run. The package exports only its entry points, so its directory is found
 * through the CommonJS entry and the ES build is its sibling.
 */
export function sdkBrowserBuild(): string {
  return join(dirname(createRequire(import.meta.url).resolve('open-im-sdk')), 'index.es.js');
}

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
}

function readAll(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const dir = pageDir();
  for (const [path, { file, type }] of Object.entries(PAGE_FILES)) files.set(path, { body: readPageFile(join(dir, file)), type });
  files.set(PLAYGROUND_PATHS.sdk, { body: readPageFile(sdkBrowserBuild()), type: JS });
  return files;
}

function readPageFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`the playground's files are missing (${why}); install the package whole, or run with --playground off`, { cause: err });
  }
}

/**
 * Reads the files once (a few tens of KiB), so a missing file stops the start with its path
 * instead of failing a visitor later.
 */
export function createPlaygroundSite(options: PlaygroundSiteOptions): PlaygroundSite {
  const files = readAll();
  const config: PlaygroundConfig = {
    tokens: options.issueToken === undefined ? 'manual' : 'dev-server',
    apiAddr: options.apiAddr,
    platformID: PLAYGROUND_PLATFORM_ID,
  };
  const limits: PlaygroundLimits = { ...PLAYGROUND_LIMITS, ...options.limits };
  const headers = securityHeaders(options.apiAddr);
  const token = createTokenRoute({ ...options, limits, replyJson });

  function reply(res: ServerResponse, status: number, type: string, body: Buffer | string, extra: Record<string, string> = {}): void {
    res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...extra });
    res.end(body);
  }

  function replyJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
    reply(res, status, 'application/json; charset=utf-8', JSON.stringify(body), extra);
  }

  return {
    handles(req) {
      const path = pathOf(req);
      return files.has(path) || path === PLAYGROUND_PATHS.config || path === PLAYGROUND_PATHS.token;
    },
    async serve(req, res) {
      const path = pathOf(req);
      if (path === PLAYGROUND_PATHS.token) {
        if (req.method !== 'POST') return replyJson(res, 405, { error: `${PLAYGROUND_PATHS.token} takes POST` }, { Allow: 'POST' });
        return token(req, res);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return replyJson(res, 405, { error: `${path} takes GET` }, { Allow: 'GET, HEAD' });
      if (path === PLAYGROUND_PATHS.config) return replyJson(res, 200, config);
      const file = files.get(path);
      // handles() said yes, so the file is there; the check keeps the types honest.
      if (file === undefined) return replyJson(res, 404, { error: `no such file: ${path}` });
      if (req.method === 'HEAD') {
        res.writeHead(200, { ...headers, 'Content-Type': file.type, 'Content-Length': file.body.length });
        res.end();
        return;
      }
      reply(res, 200, file.type, file.body);
    },
  };
}

/**
 * The site the gateway serves for `--playground <mode>`, or undefined when it serves none.
 * With the embedded dev server the page registers users itself; with a real IM server it
 * asks for a userID and a token.
 */
export function playgroundSiteFor(
  mode: PlaygroundMode,
  context: { devServer: Pick<DevServer, 'userToken'> | undefined; openimApi: string; logger: Logger },
): PlaygroundSite | undefined {
  const { devServer, openimApi, logger } = context;
  if (!playgroundEnabled(mode, devServer !== undefined)) return undefined;
  return createPlaygroundSite({
    apiAddr: openimApi,
    logger: logger.child({ component: 'playground' }),
    ...(devServer !== undefined && { issueToken: (userID: string) => devServer.userToken(userID, PLAYGROUND_PLATFORM_ID) }),
  });
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?', 1)[0] ?? '/';
}

/**
 * The page may load only its own scripts and styles and talk only to this gateway (its
 * WebSocket included: 'self' covers ws: on the same host) and to the IM API the SDK uploads
 * to. Pictures in messages may come from anywhere the IM server's storage lives.
 */
function securityHeaders(apiAddr: string): Record<string, string> {
  const api = new URL(apiAddr).origin;
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src 'self' ${api}`,
    'img-src * data: blob:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  };
}

/** For the log line and the banner: where to point a browser. */
export function playgroundUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}/`;
}
