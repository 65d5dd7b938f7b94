/**
 * Uploads as the mini-program client makes them (part_size, initiate, PUT each part,
 * complete, GET back), on real sockets against the dev server, with its limits.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/dev-server.ts';
import { callApi } from './helpers/im-client.ts';

const PART = 4096;
let server: DevServer;
let dir: string;
const tokens = new Map<string, string>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'devserver-objects-test-'));
  server = await startDevServer({
    apiPort: 0,
    wsPort: 0,
    objects: { dir: join(dir, 'objects'), limits: { partSize: PART, maxObjectBytes: 5 * PART, maxTotalBytes: 8 * PART, maxUploadsPerUser: 2, maxUploads: 4 } },
  });
  for (const u of ['up_ann', 'up_bob', 'up_cid']) tokens.set(u, await server.userToken(u));
});
afterAll(async () => {
  await server.close();
  expect(existsSync(join(dir, 'objects')), 'the upload directory is removed at close').toBe(false);
  rmSync(dir, { recursive: true, force: true });
});

const md5 = (b: Uint8Array | string): string => createHash('md5').update(b).digest('hex');
const api = async (as: string, path: string, body: unknown): Promise<{ errCode: number; errMsg: string; errDlt: string; data?: Record<string, unknown> }> =>
  (await callApi(server.apiUrl, path, body, { token: tokens.get(as) })).json!;

interface Upload {
  uploadID: string;
  partSize: number;
  sign: { url: string; parts: { partNumber: number; url: string }[] };
}

/** What the client computes: each part's md5, and the md5 of those joined with ",". */
function hashes(file: Buffer, partSize: number): { parts: string[]; hash: string; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  for (let at = 0; at < file.length; at += partSize) chunks.push(file.subarray(at, at + partSize));
  const parts = chunks.map((c) => md5(c));
  return { parts, hash: md5(parts.join(',')), chunks };
}

async function upload(as: string, name: string, file: Buffer): Promise<{ url: string; puts: number }> {
  const size = await api(as, '/object/part_size', { size: file.length });
  expect(size.errCode, size.errDlt).toBe(0);
  const partSize = (size.data as { size: number }).size;
  const { parts, hash, chunks } = hashes(file, partSize);
  const init = await api(as, '/object/initiate_multipart_upload', { hash, size: file.length, partSize, maxParts: -1, cause: '', name, contentType: 'image/png' });
  expect(init.errCode, init.errDlt).toBe(0);
  const data = init.data as { url?: string; upload?: Upload };
  if (data.url) return { url: data.url, puts: 0 };
  const up = data.upload!;
  expect(up.sign.parts.map((p) => p.partNumber)).toEqual(chunks.map((_, i) => i + 1));
  for (const [i, part] of up.sign.parts.entries()) {
    const res = await fetch(part.url, { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body: new Uint8Array(chunks[i]!) });
    expect(res.status, await res.text()).toBe(200);
  }
  const done = await api(as, '/object/complete_multipart_upload', { uploadID: up.uploadID, parts, cause: '', name, contentType: 'image/png' });
  expect(done.errCode, done.errDlt).toBe(0);
  return { url: (done.data as { url: string }).url, puts: up.sign.parts.length };
}

describe('uploads', () => {
  it('a three-part file goes up and comes back byte for byte, with its content type', async () => {
    const file = randomBytes(2 * PART + 123);
    const { url, puts } = await upload('up_ann', 'up_ann/a picture #1.png', file);
    expect(puts).toBe(3);
    expect(url).toBe(`${server.apiUrl}/object/up_ann/a%20picture%20%231.png`);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer()).equals(file)).toBe(true);
    // the client asks for thumbnails with a query; the original comes back
    const thumb = await fetch(`${url}?type=image&width=10&height=10`);
    expect(Buffer.from(await thumb.arrayBuffer()).equals(file)).toBe(true);
  });

  it('the same content again completes at initiate (stored once), under another name', async () => {
    const file = randomBytes(PART + 1);
    await upload('up_bob', 'up_bob/one.bin', file);
    const used = server.objects.usedBytes;
    const again = await upload('up_bob', 'up_bob/two.bin', file);
    expect(again.puts).toBe(0);
    expect(server.objects.usedBytes).toBe(used);
    expect(Buffer.from(await (await fetch(again.url)).arrayBuffer()).equals(file)).toBe(true);
  });

  it('refuses names of other users, paths that climb, and files over the size limit', async () => {
    const hash = md5('x');
    expect(await api('up_ann', '/object/initiate_multipart_upload', { hash, size: 10, name: 'up_bob/x', contentType: '' })).toMatchObject({ errCode: 1002 });
    expect(await api('up_ann', '/object/initiate_multipart_upload', { hash, size: 10, name: 'up_ann/../up_bob/x', contentType: '' })).toMatchObject({ errCode: 1001 });
    const big = await api('up_ann', '/object/part_size', { size: 5 * PART + 1 });
    expect(big).toMatchObject({ errCode: 1001 });
    expect(big.errDlt).toContain(`${5 * PART}-byte limit`);
    expect(await api('up_ann', '/object/initiate_multipart_upload', { hash, size: 5 * PART + 1, name: 'up_ann/x', contentType: '' })).toMatchObject({ errCode: 1001 });
  });

  it('a part larger than its place is cut off with 413; a wrong part fails complete; nothing is named', async () => {
    const file = randomBytes(PART + 10);
    const { parts, hash } = hashes(file, PART);
    const init = await api('up_cid', '/object/initiate_multipart_upload', { hash, size: file.length, name: 'up_cid/f', contentType: '' });
    const up = (init.data as { upload: Upload }).upload;
    // the core asks for fresh part addresses of its own uploads only
    expect(await api('up_cid', '/object/auth_sign', { uploadID: up.uploadID, partNumbers: [2] })).toMatchObject({
      errCode: 0,
      data: { parts: [{ partNumber: 2, url: up.sign.parts[1]!.url }] },
    });
    expect(await api('up_cid', '/object/auth_sign', { uploadID: up.uploadID, partNumbers: [3] })).toMatchObject({ errCode: 1001 });
    expect(await api('up_ann', '/object/auth_sign', { uploadID: up.uploadID, partNumbers: [1] })).toMatchObject({ errCode: 1002 });
    expect(await api('up_cid', '/object/auth_sign', { uploadID: '0'.repeat(32), partNumbers: [1] })).toMatchObject({ errCode: 1701 });
    const tooBig = await fetch(up.sign.parts[1]!.url, { method: 'PUT', body: new Uint8Array(randomBytes(PART)) });
    expect(tooBig.status).toBe(413);
    expect(await tooBig.text()).toContain('part 2 must be 10 bytes');
    expect((await fetch(`${up.sign.url}/3`, { method: 'PUT', body: 'x' })).status).toBe(400);
    expect((await fetch(`${server.apiUrl}/devserver/upload/${'0'.repeat(32)}/1`, { method: 'PUT', body: 'x' })).status).toBe(404);
    await fetch(up.sign.parts[0]!.url, { method: 'PUT', body: new Uint8Array(file.subarray(0, PART)) });
    await fetch(up.sign.parts[1]!.url, { method: 'PUT', body: new Uint8Array(randomBytes(10)) });
    const done = await api('up_cid', '/object/complete_multipart_upload', { uploadID: up.uploadID, parts, name: 'up_cid/f', contentType: '' });
    expect(done).toMatchObject({ errCode: 1001 });
    expect(done.errDlt).toContain('part 2 does not match');
    expect((await fetch(`${server.apiUrl}/object/up_cid/f`)).status).toBe(404);
  });

  it('bounds uploads in progress (per user, in all) and the space they may take', async () => {
    const init = (as: string, size: number) => api(as, '/object/initiate_multipart_upload', { hash: md5(randomBytes(8)), size, name: `${as}/p`, contentType: '' });
    // stored so far: 3P+124 bytes, and up_cid's failed upload (P+10) is still in progress
    const noRoom = await init('up_bob', 5 * PART);
    expect(noRoom).toMatchObject({ errCode: 1001 });
    expect(noRoom.errDlt).toContain(`upload space (${8 * PART} bytes) is full`);
    const [a, b] = [await init('up_ann', 10), await init('up_ann', 10)];
    expect([a.errCode, b.errCode]).toEqual([0, 0]);
    const third = await init('up_ann', 10);
    expect(third).toMatchObject({ errCode: 1001 });
    expect(third.errDlt).toContain('up_ann has 2 uploads in progress');
    expect((await init('up_bob', 10)).errCode).toBe(0);
    const full = await init('up_bob', 10);
    expect(full.errDlt).toContain('4 uploads are in progress');
    expect(server.objects.usedBytes).toBeLessThanOrEqual(8 * PART);
  });
});
