/**
 * Calling a storage bridge the way the core does (positional JS values in, a Promise of
 * the envelope JSON out) and checking the answer has exactly the type Go asserts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, expect } from 'vitest';
import { createStorageBridge, type StorageBridge, type StorageBridgeOptions } from '../../../core-wasm/storage/bridge.ts';
import { captureLogger, silentLogger } from '../../helpers/cores.ts';

export interface Envelope {
  errCode: number;
  errMsg: string;
  data: unknown;
}

export function tempDir(prefix = 'storage-'): { dir: string; remove(this: void): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A bridge for `userID` (platform 5) under `dataDir`, already past initDB unless `open` is false. */
export async function openBridge(dataDir: string, userID = 'u1', extra: Partial<StorageBridgeOptions> & { open?: boolean } = {}): Promise<StorageBridge> {
  const { open = true, ...rest } = extra;
  const b = createStorageBridge({ dataDir, userID, platformID: 5, logger: silentLogger, now: () => NOW, ...rest });
  if (open) expectVoid(await call(b, 'initDB', userID, './ignored'));
  return b;
}

/**
 * Gives every test of the file its own bridge for u1 on its own temp dir, handed to
 * `opened` before the test runs; closed and removed after it.
 */
export function freshBridgePerTest(opened: (fresh: { bridge: StorageBridge; dir: string }) => void): void {
  // Filled as things are made, so a bridge that fails to open still has its dir removed.
  const cleanup: Array<() => void> = [];
  beforeEach(async () => {
    const t = tempDir();
    cleanup.push(t.remove);
    const bridge = await openBridge(t.dir, 'u1');
    cleanup.push(() => bridge.close());
    opened({ bridge, dir: t.dir });
  });
  afterEach(() => {
    for (const undo of cleanup.splice(0).reverse()) undo();
  });
}

/** The clock the bridges in these tests see (draft times, read receipts). */
export const NOW = 1_795_500_000_000;

export { captureLogger };

export async function call(b: StorageBridge, fn: string, ...args: unknown[]): Promise<Envelope> {
  const g = b.globals[fn];
  if (!g) throw new Error(`bridge has no global ${fn}`);
  const p = g(...args);
  expect(p).toBeInstanceOf(Promise);
  const raw = await p;
  if (typeof raw !== 'string') throw new Error(`${fn} resolved ${typeof raw}, not the envelope JSON text`);
  const env = JSON.parse(raw) as Envelope;
  expect(Object.keys(env).sort()).toEqual(['data', 'errCode', 'errMsg']);
  return env;
}

export function expectVoid(env: Envelope): void {
  expect(env, env.errMsg).toMatchObject({ errCode: 0, errMsg: '' });
}

/** `obj` result: data is a string holding one JSON object. */
export function expectObj(env: Envelope): Record<string, unknown> {
  expect(env.errCode, env.errMsg).toBe(0);
  expect(typeof env.data).toBe('string');
  const v: unknown = JSON.parse(env.data as string);
  expect(v !== null && typeof v === 'object' && !Array.isArray(v)).toBe(true);
  return v as Record<string, unknown>;
}

/** `list`/`ids` result: data is a string holding a JSON array. */
export function expectList(env: Envelope): unknown[] {
  expect(env.errCode, env.errMsg).toBe(0);
  expect(typeof env.data).toBe('string');
  const v: unknown = JSON.parse(env.data as string);
  expect(Array.isArray(v)).toBe(true);
  return v as unknown[];
}

export function expectRows(env: Envelope): Array<Record<string, unknown>> {
  return expectList(env) as Array<Record<string, unknown>>;
}

/** `num` result: data is a JSON number, not a string. */
export function expectNum(env: Envelope): number {
  expect(env.errCode, env.errMsg).toBe(0);
  expect(typeof env.data).toBe('number');
  return env.data as number;
}

export function expectBool(env: Envelope): boolean {
  expect(env.errCode, env.errMsg).toBe(0);
  expect(typeof env.data).toBe('boolean');
  return env.data as boolean;
}

export function expectNotFound(env: Envelope, fn: string): void {
  expect(env.errCode).toBe(10002);
  expect(env.errMsg).toContain(fn);
}

export function expectFailure(env: Envelope, fn: string, pattern?: RegExp): void {
  expect(env.errCode).toBe(10001);
  expect(env.errMsg.startsWith(`${fn}:`), env.errMsg).toBe(true);
  if (pattern) expect(env.errMsg).toMatch(pattern);
}

/** Every row of every table, through a second connection (WAL lets it read alongside). */
export function dumpDatabase(b: StorageBridge): Record<string, unknown[]> {
  const db = new BetterSqlite3(b.databaseFile, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
    const out: Record<string, unknown[]> = {};
    for (const t of tables) out[t] = db.prepare(`SELECT * FROM "${t.replaceAll('"', '""')}" ORDER BY rowid`).all();
    return out;
  } finally {
    db.close();
  }
}

export function tableNames(b: StorageBridge): string[] {
  return Object.keys(dumpDatabase(b));
}
