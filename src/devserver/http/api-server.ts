/**
 * The HTTP API (docs/im-server.md#http-requests) in the real middleware order: CORS, then for POST the
 * `operationID` header (1001), then the `token` header (1001 when missing, the token's
 * own error otherwise; two paths are exempt), then the route. An unknown path is the
 * router's plain-text 404 — after the header checks, as there. Every envelope, errors
 * included, is HTTP 200.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { REAL_API_ROUTES, TOKEN_WHITELIST } from '../protocol/api-routes.ts';
import { ImError, toErrorFields, type ErrorFields } from '../protocol/im-error-codes.ts';
import type { DevState } from '../store/state.ts';
import type { ApiContext, GatewayHooks } from './context.ts';
import { errorEnvelope, successEnvelope } from './im-envelope.ts';
import { Fields } from './fields.ts';
import { API_ROUTES } from './im-routes.ts';
import { handleObjectTransfer } from './object-transfer.ts';
import type { ObjectStore } from '../objects/object-store.ts';
import { errorText } from '../../shared/error-text.ts';

export interface ApiServerDeps {
  readonly state: DevState;
  readonly gateway: GatewayHooks;
  readonly logger: Logger;
  readonly objects: ObjectStore;
  /** The address the server listens on, for requests without a usable Host header. */
  readonly listenURL: () => string;
}

/** Far above anything the core sends; a guard against a runaway client, not a protocol limit. */
const MAX_BODY_BYTES = 8 * 2 ** 20;

const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': '*',
  'Access-Control-Allow-Headers': '*',
  'Access-Control-Expose-Headers':
    'Content-Length, Access-Control-Allow-Origin, Access-Control-Allow-Headers,Cache-Control,Content-Language,Content-Type,Expires,Last-Modified,Pragma',
  'Access-Control-Max-Age': '172800',
  'Access-Control-Allow-Credentials': 'false',
};

function reply(res: ServerResponse, status: number, contentType: string, body: string, then?: () => void): void {
  res.writeHead(status, { ...CORS_HEADERS, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body, then);
}

function replyJson(res: ServerResponse, body: string, then?: () => void): void {
  reply(res, 200, 'application/json; charset=utf-8', body, then);
}

function notFound(res: ServerResponse): void {
  reply(res, 404, 'text/plain', '404 page not found');
}

/** Resolves to undefined when the body is over the limit (the rest is drained). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooBig = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooBig ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name.toLowerCase()];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // The real binding puts the JSON decoder's complaint in errMsg, under code 1001.
    const why = text.trim() === '' ? 'unexpected end of JSON input' : errorText(err);
    throw new ImError('ArgsError', '', why);
  }
}

/** A Host header that can name this server in a URL; anything else falls back to the listen address. */
const SANE_HOST = /^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$/;

function baseURL(deps: ApiServerDeps, req: IncomingMessage): string {
  const host = req.headers.host;
  return host !== undefined && SANE_HOST.test(host) ? `http://${host}` : deps.listenURL();
}

async function handle(deps: ApiServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { state, logger } = deps;
  const path = new URL(req.url ?? '/', 'http://devserver').pathname;
  if (handleObjectTransfer(deps.objects, logger, req, res, path, CORS_HEADERS)) return;
  const body = await readBody(req);

  if (req.method === 'OPTIONS') {
    replyJson(res, JSON.stringify('Options Request!'));
    return;
  }
  if (req.method !== 'POST') {
    notFound(res);
    return;
  }

  const operationID = header(req, 'operationID');
  const fail = (fields: ErrorFields): void => {
    logger.debug({ path, operationID, errCode: fields.errCode, errMsg: fields.errMsg }, 'devserver api error');
    replyJson(res, errorEnvelope(fields));
  };
  if (operationID === '') {
    fail(toErrorFields(new ImError('ArgsError', 'header must have operationID')));
    return;
  }

  let opUserID = '';
  let opPlatformID = 0;
  if (!TOKEN_WHITELIST.some((prefix) => path.startsWith(prefix))) {
    const token = header(req, 'token');
    if (token === '') {
      fail(toErrorFields(new ImError('ArgsError', 'header must have token')));
      return;
    }
    try {
      const claims = state.auth.parse(token);
      opUserID = claims.userID;
      opPlatformID = claims.platformID;
    } catch (err) {
      fail(toErrorFields(err));
      return;
    }
  }

  const handler = API_ROUTES.get(path);
  if (handler === undefined) {
    if (REAL_API_ROUTES.has(path)) {
      logger.warn({ path }, 'devserver: the core called an API the dev server does not implement');
      fail(toErrorFields(new ImError('ServerInternalError', `${path} is not implemented by the dev server`)));
    } else {
      notFound(res);
    }
    return;
  }

  const afterReply: (() => void)[] = [];
  try {
    if (body === undefined) throw new ImError('ArgsError', `request body over ${MAX_BODY_BYTES} bytes`);
    const ctx: ApiContext = {
      state,
      gateway: deps.gateway,
      objects: deps.objects,
      baseURL: baseURL(deps, req),
      operationID,
      opUserID,
      opPlatformID,
      body: Fields.ofBody(parseJson(body), path),
      after: (fn) => afterReply.push(fn),
    };
    const data = await handler(ctx);
    logger.debug({ path, operationID, opUserID }, 'devserver api ok');
    replyJson(res, successEnvelope(data), () => {
      for (const fn of afterReply) {
        try {
          fn();
        } catch (err) {
          logger.error({ err, path }, 'devserver: work after an API reply failed');
        }
      }
    });
  } catch (err) {
    if (!(err instanceof ImError)) logger.error({ err, path }, 'devserver: API handler failed');
    fail(toErrorFields(err));
  }
}

export function createApiServer(deps: ApiServerDeps): Server {
  return createServer((req, res) => {
    handle(deps, req, res).catch((err: unknown) => {
      deps.logger.error({ err }, 'devserver: API request failed');
      if (!res.headersSent) replyJson(res, errorEnvelope(toErrorFields(err)));
      else res.destroy();
    });
  });
}
