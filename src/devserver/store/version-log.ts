/**
 * Version logs behind the "incremental" sync endpoints (docs/im-server.md#version-sync): one log per owner
 * (a user's friends, joined groups or conversations; a group's members). Each change
 * bumps the version and records the element's latest state; a client that sends back
 * the log's ID and a version gets the elements changed since, and anything else (no
 * pair yet, another ID, version 0, a version from the future, too many changes) gets
 * `full`. That is the real server's scheme, so deletions reach clients too, and a client
 * that synced an empty list (version 1) later gets the additions as a delta, which is
 * what makes the core fire its "added" events (a full sync fires none).
 */
import { randomBytes } from 'node:crypto';

export type ChangeState = 'insert' | 'update' | 'delete';

/** The real server gives up on deltas longer than this and asks for a full sync. */
const SYNC_LIMIT = 200;

/** A Mongo-ObjectID-shaped ID (24 hex): time, then randomness. */
export function newVersionID(nowMs: number): string {
  const time = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0')
    .slice(-8);
  return time + randomBytes(8).toString('hex');
}

/** The real logs start here, whether a read or a write creates them. */
export const FIRST_VERSION = 1;

export class VersionLog {
  readonly id: string;
  #version = FIRST_VERSION;
  /** Until read or written, the first write still belongs to the first version, as there. */
  #touched = false;
  readonly #latest = new Map<string, { state: ChangeState; version: number }>();

  constructor(id: string) {
    this.id = id;
  }

  get version(): number {
    return this.#version;
  }

  /** Someone synced from this log: later changes get later versions. */
  markRead(): void {
    this.#touched = true;
  }

  record(elementID: string, state: ChangeState): void {
    if (this.#touched) this.#version++;
    this.#touched = true;
    // The element's entry is overwritten: a later update hides the insert, a re-insert the delete.
    this.#latest.delete(elementID);
    this.#latest.set(elementID, { state, version: this.#version });
  }

  /** Each element changed after `version`, with its latest state. */
  *changedSince(version: number): Iterable<[string, ChangeState]> {
    for (const [id, entry] of this.#latest) if (entry.version > version) yield [id, entry.state];
  }
}

export interface IncrementalPlan {
  readonly full: boolean;
  readonly version: number;
  readonly versionID: string;
  readonly insert: readonly string[];
  readonly update: readonly string[];
  readonly delete: readonly string[];
}

export function planIncremental(log: VersionLog, clientVersionID: string, clientVersion: number): IncrementalPlan {
  log.markRead();
  const base = { version: log.version, versionID: log.id };
  const empty = { insert: [], update: [], delete: [] };
  const validPair = /^[0-9a-f]{24}$/.test(clientVersionID) && !/^0+$/.test(clientVersionID) && clientVersion > 0;
  if (!validPair || clientVersionID !== log.id || clientVersion > log.version) return { ...base, ...empty, full: true };
  if (clientVersion === log.version) return { ...base, ...empty, full: false };
  const insert: string[] = [];
  const update: string[] = [];
  const del: string[] = [];
  let changes = 0;
  for (const [id, state] of log.changedSince(clientVersion)) {
    changes++;
    if (state === 'insert') insert.push(id);
    else if (state === 'update') update.push(id);
    else del.push(id);
  }
  if (changes > SYNC_LIMIT) return { ...base, ...empty, full: true };
  return { ...base, full: false, insert, update, delete: del };
}
