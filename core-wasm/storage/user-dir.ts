/**
 * Where one (userID, platformID) keeps its files under the data directory:
 * `<dataDir>/<encoded userID>/<platformID>/`. The user ID comes from a token, so it is
 * encoded into a single, inert path segment.
 */
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { StorageError } from './errors.ts';

export const DATABASE_FILE = 'openim-local.db';
/** Files the core may read for `uploadFile` (wasmOpen/wasmRead), one per uuid. */
export const UPLOADS_DIR = 'uploads';

/** Longest encoded segment we create; most file systems stop at 255 bytes. */
const MAX_SEGMENT = 200;

/**
 * Lower-case ASCII letters, digits, `_` and `-` stay as they are; every other UTF-8 byte
 * becomes `%XX`. So no `/`, `\`, `.`, NUL or drive letter survives, and IDs differing only
 * in case ("Bob", "bob") still get different directories on case-insensitive file systems.
 */
export function encodeUserSegment(userID: string): string {
  let out = '';
  for (const byte of Buffer.from(userID, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[a-z0-9_-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export interface UserPaths {
  readonly userDir: string;
  readonly databaseFile: string;
  readonly uploadsDir: string;
  /** For messages that must not reveal server paths: `<segment>/<platformID>/<file>`. */
  readonly displayName: string;
}

export function userPaths(dataDir: string, userID: string, platformID: number): UserPaths {
  if (typeof userID !== 'string' || userID.length === 0) throw new StorageError('storage bridge: userID must be a non-empty string');
  if (!Number.isSafeInteger(platformID) || platformID <= 0 || platformID > 1000) {
    throw new StorageError(`storage bridge: platformID must be a positive integer, got ${String(platformID)}`);
  }
  const segment = encodeUserSegment(userID);
  if (segment.length > MAX_SEGMENT) throw new StorageError('storage bridge: userID is too long for a directory name');
  const userDir = join(resolve(dataDir), segment, String(platformID));
  return {
    userDir,
    databaseFile: join(userDir, DATABASE_FILE),
    uploadsDir: join(userDir, UPLOADS_DIR),
    displayName: `${segment}/${platformID}/${DATABASE_FILE}`,
  };
}

/** True when `child` (absolute, resolved) lies strictly inside `parent`. */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}
