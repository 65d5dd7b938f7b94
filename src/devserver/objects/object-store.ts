/**
 * Uploaded files on local disk, the way the client's own upload path expects an OpenIM
 * server to keep them (multipart: initiate, PUT each part, complete; then fetch by name).
 * Objects are kept by content hash (the same file uploaded twice is stored once, and a
 * second upload of it completes at initiate, as on the real server); names
 * (`<userID>/<file name>`) point at them. The index is in memory like the rest of the dev
 * server, so the directory is emptied at start and at close.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImError } from '../protocol/im-error-codes.ts';
import type { ObjectLimits } from './object-limits.ts';

export interface StoredObject {
  readonly name: string;
  readonly userID: string;
  readonly key: string;
  readonly size: number;
  readonly contentType: string;
}

interface Upload {
  readonly uploadID: string;
  readonly userID: string;
  /** md5 of the parts' md5 hex digests joined with "," (what the client sends as hash). */
  readonly hash: string;
  readonly size: number;
  readonly partCount: number;
  readonly expiresAt: number;
  /** partNumber (1-based) → md5 hex of what was stored. */
  readonly parts: Map<number, string>;
}

export type InitiateResult =
  { readonly done: StoredObject } | { readonly uploadID: string; readonly partSize: number; readonly partCount: number; readonly expiresAt: number };

/** A part PUT refused: an HTTP status and why. */
export class PartRejected extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'PartRejected';
  }
}

const HEX32 = /^[0-9a-f]{32}$/;

export class ObjectStore {
  readonly #dir: string;
  readonly #limits: ObjectLimits;
  readonly #now: () => number;
  readonly #uploads = new Map<string, Upload>();
  /** name → object */
  readonly #names = new Map<string, StoredObject>();
  /** key (content hash) → size on disk */
  readonly #keys = new Map<string, number>();

  private constructor(dir: string, limits: ObjectLimits, now: () => number) {
    this.#dir = dir;
    this.#limits = limits;
    this.#now = now;
  }

  /** Empties `dir` (its contents belonged to an index that is gone) and starts on it. */
  static async open(dir: string, limits: ObjectLimits, now: () => number): Promise<ObjectStore> {
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(dir, 'parts'), { recursive: true });
    await mkdir(join(dir, 'objects'), { recursive: true });
    return new ObjectStore(dir, limits, now);
  }

  get limits(): ObjectLimits {
    return this.#limits;
  }

  async close(): Promise<void> {
    this.#uploads.clear();
    this.#names.clear();
    this.#keys.clear();
    await rm(this.#dir, { recursive: true, force: true });
  }

  /** Bytes on disk or promised to uploads in progress. */
  get usedBytes(): number {
    let used = 0;
    for (const size of this.#keys.values()) used += size;
    for (const u of this.#uploads.values()) used += u.size;
    return used;
  }

  /** The real server's part size for a file of `size` bytes, within our limits. */
  partSize(size: number): number {
    this.#checkSize(size);
    return this.#limits.partSize;
  }

  checkName(userID: string, name: string, isAdmin: boolean): void {
    if (name === '') throw new ImError('ArgsError', 'name is empty');
    if (name.startsWith('/')) throw new ImError('ArgsError', 'name cannot start with `/`');
    if (name.length > this.#limits.maxNameLength) throw new ImError('ArgsError', `object name cannot be longer than ${this.#limits.maxNameLength} characters`);
    if (name.split('/').some((segment) => segment === '..' || segment === '.')) throw new ImError('ArgsError', 'object name cannot contain `.` or `..` segments');
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this check refuses
    if (/[\u0000-\u001f\\]/.test(name)) throw new ImError('ArgsError', 'object name cannot contain control characters or `\\`');
    if (!isAdmin && !name.startsWith(`${userID}/`)) throw new ImError('NoPermissionError', `name must start with \`${userID}/\``);
  }

  #checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size <= 0) throw new ImError('ArgsError', 'size must be greater than 0');
    if (size > this.#limits.maxObjectBytes) throw new ImError('ArgsError', `file of ${size} bytes is over the dev server's ${this.#limits.maxObjectBytes}-byte limit`);
  }

  #sweep(): void {
    const now = this.#now();
    for (const upload of [...this.#uploads.values()]) if (upload.expiresAt <= now) this.#drop(upload);
  }

  #drop(upload: Upload): void {
    this.#uploads.delete(upload.uploadID);
    void rm(join(this.#dir, 'parts', upload.uploadID), { recursive: true, force: true });
  }

  #nameObject(name: string, userID: string, key: string, contentType: string): StoredObject {
    if (!this.#names.has(name) && this.#names.size >= this.#limits.maxObjects) {
      throw new ImError('ArgsError', `the dev server holds ${this.#limits.maxObjects} objects already`);
    }
    const object: StoredObject = { name, userID, key, size: this.#keys.get(key) ?? 0, contentType };
    this.#names.set(name, object);
    return object;
  }

  async initiate(userID: string, req: { hash: string; size: number; name: string; contentType: string }): Promise<InitiateResult> {
    this.#sweep();
    if (!HEX32.test(req.hash)) throw new ImError('ArgsError', 'hash must be 32 lowercase hex digits (md5)');
    this.#checkSize(req.size);
    if (this.#keys.has(req.hash)) return { done: this.#nameObject(req.name, userID, req.hash, req.contentType) };
    if (this.#uploads.size >= this.#limits.maxUploads) throw new ImError('ArgsError', `${this.#limits.maxUploads} uploads are in progress already; retry later`);
    const mine = [...this.#uploads.values()].filter((u) => u.userID === userID).length;
    if (mine >= this.#limits.maxUploadsPerUser) throw new ImError('ArgsError', `${userID} has ${this.#limits.maxUploadsPerUser} uploads in progress already`);
    if (this.usedBytes + req.size > this.#limits.maxTotalBytes) {
      throw new ImError('ArgsError', `the dev server's upload space (${this.#limits.maxTotalBytes} bytes) is full`);
    }
    const upload: Upload = {
      uploadID: randomBytes(16).toString('hex'),
      userID,
      hash: req.hash,
      size: req.size,
      partCount: Math.ceil(req.size / this.#limits.partSize),
      expiresAt: this.#now() + this.#limits.uploadTtlMs,
      parts: new Map(),
    };
    await mkdir(join(this.#dir, 'parts', upload.uploadID), { recursive: true });
    this.#uploads.set(upload.uploadID, upload);
    return { uploadID: upload.uploadID, partSize: this.#limits.partSize, partCount: upload.partCount, expiresAt: upload.expiresAt };
  }

  /** The size part `partNumber` of the upload must have. */
  #expectedPartSize(upload: Upload, partNumber: number): number {
    return partNumber < upload.partCount ? this.#limits.partSize : upload.size - (upload.partCount - 1) * this.#limits.partSize;
  }

  /**
   * Stores one part from `body`, at most its expected size (the stream is cut beyond it).
   * Throws PartRejected with the HTTP status to answer.
   */
  async putPart(uploadID: string, partNumber: number, body: Readable): Promise<string> {
    this.#sweep();
    const upload = /^[0-9a-f]{32}$/.test(uploadID) ? this.#uploads.get(uploadID) : undefined;
    if (upload === undefined) throw new PartRejected(404, 'no such upload (unknown, completed or expired)');
    if (!Number.isSafeInteger(partNumber) || partNumber < 1 || partNumber > upload.partCount) {
      throw new PartRejected(400, `part number must be 1-${upload.partCount}`);
    }
    const expected = this.#expectedPartSize(upload, partNumber);
    const path = join(this.#dir, 'parts', uploadID, String(partNumber));
    const md5 = createHash('md5');
    let received = 0;
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await pipeline(
        body,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            received += chunk.length;
            if (received > expected) throw new PartRejected(413, `part ${partNumber} must be ${expected} bytes`);
            md5.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(tmp),
      );
      if (received !== expected) throw new PartRejected(400, `part ${partNumber} must be ${expected} bytes, got ${received}`);
      if (!this.#uploads.has(uploadID)) throw new PartRejected(404, 'the upload expired while its part was arriving');
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const digest = md5.digest('hex');
    upload.parts.set(partNumber, digest);
    return digest;
  }

  async complete(userID: string, isAdmin: boolean, req: { uploadID: string; parts: readonly string[]; name: string; contentType: string }): Promise<StoredObject> {
    this.#sweep();
    const upload = this.#uploads.get(req.uploadID);
    if (upload === undefined) throw new ImError('FileUploadedExpiredError', 'upload not found (unknown, completed or expired)');
    if (upload.userID !== userID && !isAdmin) throw new ImError('NoPermissionError', 'not your upload');
    if (req.parts.length !== upload.partCount) throw new ImError('ArgsError', `the upload has ${upload.partCount} parts, ${req.parts.length} named`);
    for (const [i, hash] of req.parts.entries()) {
      const stored = upload.parts.get(i + 1);
      if (stored === undefined) throw new ImError('ArgsError', `part ${i + 1} was not uploaded`);
      if (stored !== hash.toLowerCase()) throw new ImError('ArgsError', `part ${i + 1} does not match its hash`);
    }
    const partsHash = createHash('md5')
      .update(req.parts.map((h) => h.toLowerCase()).join(','))
      .digest('hex');
    if (partsHash !== upload.hash) throw new ImError('ArgsError', 'the parts do not make up the file announced at initiate (hash mismatch)');
    this.#uploads.delete(upload.uploadID);
    const partsDir = join(this.#dir, 'parts', upload.uploadID);
    try {
      if (!this.#keys.has(upload.hash)) {
        const target = join(this.#dir, 'objects', upload.hash);
        const out = createWriteStream(`${target}.tmp`);
        for (let n = 1; n <= upload.partCount; n++) await pipeline(createReadStream(join(partsDir, String(n))), out, { end: n === upload.partCount });
        await rename(`${target}.tmp`, target);
        this.#keys.set(upload.hash, (await stat(target)).size);
      }
    } finally {
      await rm(partsDir, { recursive: true, force: true });
    }
    return this.#nameObject(req.name, userID, upload.hash, req.contentType);
  }

  /** How many parts an upload in progress of the user has. */
  partCount(uploadID: string, userID: string, isAdmin: boolean): number {
    this.#sweep();
    const upload = this.#uploads.get(uploadID);
    if (upload === undefined) throw new ImError('FileUploadedExpiredError', 'upload not found (unknown, completed or expired)');
    if (upload.userID !== userID && !isAdmin) throw new ImError('NoPermissionError', 'not your upload');
    return upload.partCount;
  }

  /** The object a name points at, and where its bytes are. */
  get(name: string): (StoredObject & { readonly path: string }) | undefined {
    const object = this.#names.get(name);
    return object === undefined ? undefined : { ...object, path: join(this.#dir, 'objects', object.key) };
  }
}
