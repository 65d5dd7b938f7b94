/**
 * Which kind of IM server a data directory serves. The cores' local databases hold a user's
 * messages and contacts; the embedded dev server lets anyone mint a token for any userID,
 * so a directory that served a real IM server must never be opened in that mode (and a
 * dev server's leftovers must not be mixed into a real deployment).
 *
 * A small JSON marker at the top of the directory says which kind it serves, written at
 * first use. A directory that already holds files but no marker predates the marker: it
 * counts as real data (the safe reading), and a real-IM run adopts it.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { errorText } from '../shared/error-text.ts';

export const DATA_DIR_MARKER = '.openim-jssdk-data.json';

export const DATA_DIR_KINDS = ['openim', 'dev-server'] as const;
export type DataDirKind = (typeof DATA_DIR_KINDS)[number];

/** What each kind is called in messages. */
const KIND_NAMES: Readonly<Record<DataDirKind, string>> = {
  openim: 'a real IM server',
  'dev-server': 'the embedded dev server',
};

export interface DataDirMarker {
  kind: DataDirKind;
  createdAt: string;
}

export type DataDirClaim = { ok: true; dir: string } | { ok: false; message: string };

function readMarker(file: string): DataDirMarker | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { kind, createdAt } = parsed as Record<string, unknown>;
  if (typeof kind !== 'string' || !(DATA_DIR_KINDS as readonly string[]).includes(kind)) return undefined;
  return { kind: kind as DataDirKind, createdAt: typeof createdAt === 'string' ? createdAt : '' };
}

function writeMarker(dir: string, kind: DataDirKind): void {
  const marker: DataDirMarker = { kind, createdAt: new Date().toISOString() };
  // 'wx': two processes claiming one new directory cannot both write their own kind.
  writeFileSync(join(dir, DATA_DIR_MARKER), `${JSON.stringify(marker)}\n`, { flag: 'wx', mode: 0o600 });
}

/**
 * Checks that `dir` may hold the cores' data for an IM server of `kind`, creating and marking
 * it on first use. Never throws: a refusal or a file-system problem is one line for the operator.
 */
export function claimDataDir(dir: string, kind: DataDirKind): DataDirClaim {
  const path = resolve(dir);
  const flag = `--data-dir ${JSON.stringify(dir)}`;
  try {
    if (existsSync(path) && !statSync(path).isDirectory()) return { ok: false, message: `${flag} is not a directory` };
    mkdirSync(path, { recursive: true });
    const markerFile = join(path, DATA_DIR_MARKER);
    if (existsSync(markerFile)) {
      const marker = readMarker(markerFile);
      if (marker === undefined) {
        return { ok: false, message: `${flag} has an unreadable ${DATA_DIR_MARKER}; it must say {"kind":"openim"} or {"kind":"dev-server"}` };
      }
      if (marker.kind === kind) return { ok: true, dir: path };
      return { ok: false, message: refusal(flag, marker.kind, kind) };
    }
    if (readdirSync(path).length > 0 && kind === 'dev-server') {
      return { ok: false, message: `${flag} already holds data without a ${DATA_DIR_MARKER}, so it counts as ${KIND_NAMES.openim}'s; ${devServerAdvice}` };
    }
    // Empty, or real data from before markers existed (only a real-IM run gets here with files).
    writeMarker(path, kind);
    return { ok: true, dir: path };
  } catch (err) {
    return { ok: false, message: `${flag} cannot be used: ${errorText(err)}` };
  }
}

const devServerAdvice = 'the embedded dev server (whose tokens anyone can mint) must not open it: give --openim-api and --openim-ws, or another --data-dir';

function refusal(flag: string, found: DataDirKind, wanted: DataDirKind): string {
  if (wanted === 'dev-server') return `${flag} holds data of ${KIND_NAMES[found]}; ${devServerAdvice}`;
  return `${flag} holds data of ${KIND_NAMES[found]}; a real IM server's users must not share it: use another --data-dir`;
}

export interface TemporaryDataDir {
  readonly dir: string;
  /** Removes the directory and everything in it; safe to call more than once. */
  remove(): void;
}

/** A fresh directory for one embedded-dev-server run (its data dies with the in-memory server). */
export function createTemporaryDataDir(): TemporaryDataDir {
  const dir = mkdtempSync(join(tmpdir(), 'openim-jssdk-dev-'));
  writeMarker(dir, 'dev-server');
  return {
    dir,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
