/**
 * The two object routes that carry file bytes instead of JSON: PUT of a part (to the address
 * initiate handed out; the unguessable upload ID is the permission, as a presigned URL is)
 * and GET of a stored object by name (no token, as on the real server, which redirects to
 * its storage). Bodies stream to and from disk; a part is never held in memory whole.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { PartRejected, type ObjectStore } from '../objects/object-store.ts';
import { UPLOAD_PATH_PREFIX } from './handlers/object.ts';
import { errorText } from '../../shared/error-text.ts';

const OBJECT_PREFIX = '/object/';

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string>, then?: () => void): void {
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body, then);
}

/** Handles the request when it is an object transfer; false when it is not one. */
export function handleObjectTransfer(
  objects: ObjectStore,
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  headers: Record<string, string>,
): boolean {
  if (req.method === 'PUT' && path.startsWith(UPLOAD_PATH_PREFIX)) {
    const [uploadID = '', partText = ''] = path.slice(UPLOAD_PATH_PREFIX.length).split('/');
    const partNumber = /^[0-9]{1,6}$/.test(partText) ? Number(partText) : NaN;
    objects.putPart(uploadID, partNumber, req).then(
      (md5) => text(res, 200, '', { ...headers, ETag: `"${md5}"` }),
      (err: unknown) => {
        if (!(err instanceof PartRejected)) logger.error({ err, path }, 'devserver: storing an upload part failed');
        const status = err instanceof PartRejected ? err.status : 500;
        // The rest of a refused body is not read: the connection ends once the answer is out.
        if (!res.headersSent) text(res, status, errorText(err), { ...headers, Connection: 'close' }, () => req.destroy());
        else req.destroy();
      },
    );
    return true;
  }
  if ((req.method === 'GET' || req.method === 'HEAD') && path.startsWith(OBJECT_PREFIX)) {
    let name: string;
    try {
      name = path.slice(OBJECT_PREFIX.length).split('/').map(decodeURIComponent).join('/');
    } catch {
      text(res, 400, 'object name is not valid percent-encoding', headers);
      return true;
    }
    const object = objects.get(name);
    if (object === undefined) {
      text(res, 404, `object ${name} not found`, headers);
      return true;
    }
    res.writeHead(200, { ...headers, 'Content-Type': object.contentType || 'application/octet-stream', 'Content-Length': object.size });
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    pipeline(createReadStream(object.path), res).catch((err: unknown) => {
      logger.debug({ err, name }, 'devserver: object transfer ended early');
      res.destroy();
    });
    return true;
  }
  return false;
}
