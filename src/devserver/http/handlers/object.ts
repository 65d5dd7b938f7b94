/**
 * `/object/*` as the client's own upload path uses it (part_size, initiate, complete) and as
 * the core asks (part_limit, auth_sign, access_url). Parts are PUT to the address initiate hands out;
 * objects are fetched back with GET `/object/<name>` (object-transfer.ts).
 */
import { ImError } from '../../protocol/im-error-codes.ts';
import { isAdmin, type ApiContext, type ApiHandler } from '../context.ts';

/** Where parts go: not an API path, so that no user name can collide with it. */
export const UPLOAD_PATH_PREFIX = '/devserver/upload/';

/** `<prefix><name>`, each segment escaped, so that any file name makes a fetchable address. */
export function objectURL(ctx: ApiContext, name: string): string {
  return `${ctx.baseURL}/object/${name.split('/').map(encodeURIComponent).join('/')}`;
}

function partLimit(ctx: ApiContext): unknown {
  const { limits } = ctx.objects;
  return { minPartSize: limits.partSize, maxPartSize: limits.partSize, maxNumSize: Math.ceil(limits.maxObjectBytes / limits.partSize) };
}

function partSize(ctx: ApiContext): unknown {
  return { size: ctx.objects.partSize(ctx.body.int('size')) };
}

async function initiateMultipartUpload(ctx: ApiContext): Promise<unknown> {
  const { body } = ctx;
  const name = body.string('name');
  ctx.objects.checkName(ctx.opUserID, name, isAdmin(ctx));
  const result = await ctx.objects.initiate(ctx.opUserID, {
    hash: body.string('hash'),
    size: body.int('size'),
    name,
    contentType: body.string('contentType'),
  });
  if ('done' in result) return { url: objectURL(ctx, result.done.name) };
  const base = `${ctx.baseURL}${UPLOAD_PATH_PREFIX}${result.uploadID}`;
  const parts = Array.from({ length: result.partCount }, (_, i) => ({ partNumber: i + 1, url: `${base}/${i + 1}`, query: [], header: [] }));
  return {
    upload: {
      uploadID: result.uploadID,
      partSize: result.partSize,
      sign: { url: base, query: [], header: [], parts },
      expireTime: result.expiresAt,
    },
  };
}

async function completeMultipartUpload(ctx: ApiContext): Promise<unknown> {
  const { body } = ctx;
  const name = body.string('name');
  ctx.objects.checkName(ctx.opUserID, name, isAdmin(ctx));
  const object = await ctx.objects.complete(ctx.opUserID, isAdmin(ctx), {
    uploadID: body.string('uploadID'),
    parts: body.strings('parts'),
    name,
    contentType: body.string('contentType'),
  });
  return { url: objectURL(ctx, object.name) };
}

/** Fresh addresses for some parts of an upload in progress (the core asks when its signatures age). */
function authSign(ctx: ApiContext): unknown {
  const uploadID = ctx.body.string('uploadID');
  const partCount = ctx.objects.partCount(uploadID, ctx.opUserID, isAdmin(ctx));
  const base = `${ctx.baseURL}${UPLOAD_PATH_PREFIX}${uploadID}`;
  const numbers = ctx.body.ints('partNumbers');
  const bad = numbers.find((n) => n < 1 || n > partCount);
  if (bad !== undefined) throw new ImError('ArgsError', `part number ${bad} is not 1-${partCount}`);
  return { url: base, query: [], header: [], parts: numbers.map((partNumber) => ({ partNumber, url: `${base}/${partNumber}`, query: [], header: [] })) };
}

function accessURL(ctx: ApiContext): unknown {
  const name = ctx.body.string('name');
  if (ctx.objects.get(name) === undefined) throw new ImError('RecordNotFoundError', `object ${name} not found`);
  return { url: objectURL(ctx, name), expireTime: ctx.state.now() + 12 * 3_600_000 };
}

export const OBJECT_HANDLERS: Readonly<Record<string, ApiHandler>> = {
  '/object/part_limit': partLimit,
  '/object/part_size': partSize,
  '/object/initiate_multipart_upload': initiateMultipartUpload,
  '/object/complete_multipart_upload': completeMultipartUpload,
  '/object/auth_sign': authSign,
  '/object/access_url': accessURL,
};
