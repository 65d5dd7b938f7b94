/**
 * What nodes say to each other over Redis pub/sub, and the check every received message
 * passes before anything acts on it. A peer node (or whoever can publish on the Redis) is
 * input like a client: the text is bounded before it is parsed, every field is checked
 * against its type and bounds, and anything else is dropped with a reason for the metric.
 *
 *   handover  new owner → old owner   "let go of userID/platformID (you hold it with fence)"
 *   released  old owner → new owner   "done (or it was not mine any more): look again"
 *   kick      admin node → every node "end this user's sessions (operator kick)"
 *   kicked    every node → admin node "ended this many"
 *   forget    any node → every node   "do not take this user's tokens on trust any more"
 *   list      admin node → every node "which sessions do you hold?"
 *   listed    every node → admin node "these (and whether the list was cut)"
 */
import { AUTH_LIMITS } from '../auth/auth-limits.ts';
import { isPlatformID } from '../auth/platforms.ts';
import { JsonBudget, parseBoundedJson } from '../protocol/json-guard.ts';
import { CLUSTER_LIMITS, NODE_ID_PATTERN } from './cluster-limits.ts';

/** Format version; a node drops messages of another version (a rolling upgrade says so in its log). */
export const BUS_VERSION = 1;

/** One session as a node reports it to an admin query. */
export interface SessionRow {
  userID: string;
  platformID: number;
  state: string;
  connections: number;
  workerId: number | null;
}

interface Common {
  v: typeof BUS_VERSION;
  from: string;
}

export type BusMessage = Common &
  (
    | { t: 'handover'; id: string; userID: string; platformID: number; fence: number }
    | { t: 'released'; id: string; userID: string; platformID: number }
    | { t: 'kick'; id: string; userID: string; platformID?: number }
    | { t: 'kicked'; id: string; count: number }
    | { t: 'forget'; userID: string; platformID?: number }
    | { t: 'list'; id: string }
    | { t: 'listed'; id: string; sessions: SessionRow[]; truncated: boolean }
  );

export type BusKind = BusMessage['t'];
export type BusMessageOf<K extends BusKind> = Extract<BusMessage, { t: K }>;
/** A message as a sender writes it (version and sender are added by the bus). */
export type OutgoingOf<K extends BusKind> = Omit<BusMessageOf<K>, 'v' | 'from'>;
export type Outgoing = { [K in BusKind]: OutgoingOf<K> }[BusKind];

export type DropReason = 'too-big' | 'not-json' | 'invalid' | 'version';

/** Session states a node may report (the session state machine's names, bounded). */
const SESSION_STATE = /^[a-z-]{1,32}$/;
const MAX_CONNECTIONS_REPORTED = 100_000;

type Check = (value: unknown) => boolean;

const isString =
  (maxChars: number): Check =>
  (v) =>
    typeof v === 'string' && v.length > 0 && v.length <= maxChars;
const isUserID: Check = (v) => typeof v === 'string' && v.length > 0 && Buffer.byteLength(v, 'utf8') <= AUTH_LIMITS.userIDBytes;
const isPlatform: Check = (v) => typeof v === 'number' && isPlatformID(v);
const isCount =
  (max: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;
const isFence: Check = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const isId = isString(CLUSTER_LIMITS.requestIdChars);
const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined || check(v);

const isRow: Check = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const row = v as Record<string, unknown>;
  return (
    isUserID(row['userID']) &&
    isPlatform(row['platformID']) &&
    typeof row['state'] === 'string' &&
    SESSION_STATE.test(row['state']) &&
    isCount(MAX_CONNECTIONS_REPORTED)(row['connections']) &&
    (row['workerId'] === null || isCount(1_000_000)(row['workerId']))
  );
};
const isRows: Check = (v) => Array.isArray(v) && v.length <= CLUSTER_LIMITS.sessionsPerAnswer && v.every(isRow);

/** Every kind's fields and their checks; a message with any other field is invalid too. */
const SCHEMA: { readonly [K in BusKind]: Readonly<Record<Exclude<keyof BusMessageOf<K>, 'v' | 'from' | 't'>, Check>> } = {
  handover: { id: isId, userID: isUserID, platformID: isPlatform, fence: isFence },
  released: { id: isId, userID: isUserID, platformID: isPlatform },
  kick: { id: isId, userID: isUserID, platformID: optional(isPlatform) },
  kicked: { id: isId, count: isCount(CLUSTER_LIMITS.sessionsPerAnswer * 100) },
  forget: { userID: isUserID, platformID: optional(isPlatform) },
  list: { id: isId },
  listed: { id: isId, sessions: isRows, truncated: (v) => typeof v === 'boolean' },
};

/** Bounds for parsing one message: shallow, and wide enough for a full `listed`. */
const BUS_JSON_LIMITS = {
  depth: 4,
  values: CLUSTER_LIMITS.sessionsPerAnswer * 8 + 64,
  entries: CLUSTER_LIMITS.sessionsPerAnswer,
  stringLength: 4096,
} as const;

export function encodeMessage(from: string, message: Outgoing): string {
  return JSON.stringify({ v: BUS_VERSION, from, ...message });
}

export type Decoded = { ok: true; message: BusMessage } | { ok: false; reason: DropReason; detail: string };

/** Checks raw bytes from the bus; nothing about them is trusted before this says ok. */
export function decodeMessage(raw: Buffer): Decoded {
  if (raw.length > CLUSTER_LIMITS.messageBytes) return { ok: false, reason: 'too-big', detail: `${raw.length} bytes` };
  const parsed = parseBoundedJson(raw.toString('utf8'), new JsonBudget(BUS_JSON_LIMITS), 'bus message');
  if (!parsed.ok) return 'limit' in parsed ? { ok: false, reason: 'too-big', detail: parsed.limit.message } : { ok: false, reason: 'not-json', detail: parsed.syntax };
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'invalid', detail: 'not an object' };
  const fields = value as Record<string, unknown>;
  if (fields['v'] !== BUS_VERSION) return { ok: false, reason: 'version', detail: `version ${String(fields['v']).slice(0, 20)}` };
  const kind = fields['t'];
  if (typeof kind !== 'string' || !Object.hasOwn(SCHEMA, kind)) return { ok: false, reason: 'invalid', detail: `kind ${String(kind).slice(0, 40)}` };
  const from = fields['from'];
  if (typeof from !== 'string' || !NODE_ID_PATTERN.test(from)) return { ok: false, reason: 'invalid', detail: 'sender' };
  const schema: Readonly<Record<string, Check>> = SCHEMA[kind as BusKind];
  for (const [name, check] of Object.entries(schema)) {
    if (!check(fields[name])) return { ok: false, reason: 'invalid', detail: `${kind}.${name}` };
  }
  for (const name of Object.keys(fields)) {
    if (name !== 'v' && name !== 't' && name !== 'from' && !Object.hasOwn(schema, name)) {
      return { ok: false, reason: 'invalid', detail: `${kind} has an unknown field ${name.slice(0, 40)}` };
    }
  }
  // Every field was checked against the kind's schema just above.
  return { ok: true, message: fields as unknown as BusMessage };
}
