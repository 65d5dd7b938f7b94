/**
 * The files the core reads for `uploadFile`: the app names one by a uuid, the core opens
 * it, reads it in chunks and closes it. A uuid maps to `<user dir>/uploads/<uuid>` and
 * nothing else: it must be one plain file name, and the file it resolves to (symlinks
 * followed) must still lie inside that directory.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { StorageError } from './errors.ts';
import { isInside } from './user-dir.ts';
import { errorText } from '../../src/shared/error-text.ts';

/** One path segment: no separators, no leading dot (so no `.`, `..` or hidden files). */
const UUID_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** The core reads in ≤ 5 MiB chunks; anything far above that is not the core. */
export const MAX_READ_BYTES = 8 * 1024 * 1024;

export class UploadFiles {
  readonly dir: string;
  #open = new Map<string, { fd: number; size: number }>();

  constructor(dir: string) {
    this.dir = dir;
  }

  #path(fn: string, uuid: string): string {
    if (!UUID_PATTERN.test(uuid)) throw new StorageError(`${fn}: ${JSON.stringify(uuid.slice(0, 160))} is not a file name in the user's upload directory`);
    const candidate = join(this.dir, uuid);
    let real: string;
    let realDir: string;
    try {
      realDir = realpathSync(this.dir);
      real = realpathSync(candidate);
    } catch (err) {
      throw new StorageError(`${fn}: no upload file ${JSON.stringify(uuid)}: ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`);
    }
    if (!isInside(realDir, real)) throw new StorageError(`${fn}: upload file ${JSON.stringify(uuid)} points outside the user's directory`);
    return real;
  }

  /** Opens (or re-opens) the file; returns its size in bytes. */
  open(fn: string, uuid: string): number {
    const existing = this.#open.get(uuid);
    if (existing) return existing.size;
    const path = this.#path(fn, uuid);
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r');
      const st = fstatSync(fd);
      if (!st.isFile()) throw new Error('not a regular file');
      this.#open.set(uuid, { fd, size: st.size });
      return st.size;
    } catch (err) {
      if (fd !== undefined) closeSync(fd);
      throw new StorageError(`${fn}: cannot open upload file ${JSON.stringify(uuid)}: ${errorText(err)}`);
    }
  }

  read(fn: string, uuid: string, offset: number, length: number): Uint8Array {
    const f = this.#open.get(uuid);
    if (!f) throw new StorageError(`${fn}: upload file ${JSON.stringify(uuid)} is not open`);
    if (offset < 0 || length < 0 || length > MAX_READ_BYTES) throw new StorageError(`${fn}: bad range offset ${offset} length ${length}`);
    const want = Math.max(0, Math.min(length, f.size - offset));
    const buf = new Uint8Array(want);
    let got = 0;
    while (got < want) {
      const n = readSync(f.fd, buf, got, want - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return got === want ? buf : buf.subarray(0, got);
  }

  close(uuid: string): void {
    const f = this.#open.get(uuid);
    if (!f) return;
    this.#open.delete(uuid);
    closeSync(f.fd);
  }

  closeAll(): void {
    for (const uuid of [...this.#open.keys()]) this.close(uuid);
  }
}
