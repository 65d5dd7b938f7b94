/**
 * storage: what the bridge costs around SQLite. The same work done two ways, same run,
 * same pragmas (WAL, synchronous=NORMAL), separate files:
 *
 *  - bridge: calling the bridge's globals the way the core does: JSON string arguments,
 *            awaiting each Promise (one call in flight, like one goroutine);
 *  - raw:    better-sqlite3 directly, the same statements on already-decoded values,
 *            one transaction per call as the bridge does.
 *
 * Workloads: insertMessage (one message per call), batchInsertMessageList (50 per call,
 * counted per message), getMessageList (a page of 20, counted per page), and the headline
 * mix: one insert then one page read, as a chat does. Rounds alternate bridge and raw
 * and medians are reported. The last stdout line is one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { pino } from 'pino';
import { createStorageBridge, type StorageBridge, type StorageGlobal } from '../../core-wasm/storage/bridge.ts';
import { finishBench } from './lib/goals.ts';
import { deadline, median, runBench, table } from './lib/report.ts';

const BENCH = 'storage';
const ROUNDS = 3;
const MEASURE_MS = 1000;
const PAGE = 20;
const BATCH = 50;
/** Messages already in the table the page reads run against. */
const HISTORY = 20_000;
const GOAL_RATIO = 0.7;
const DEADLINE_MS = 110_000;

const COLUMNS = [
  'client_msg_id', 'server_msg_id', 'send_id', 'recv_id', 'sender_platform_id', 'sender_nick_name', 'sender_face_url',
  'session_type', 'msg_from', 'content_type', 'content', 'is_read', 'status', 'seq', 'send_time', 'create_time',
  'attached_info', 'ex', 'local_ex',
] as const; // prettier-ignore

interface Msg {
  clientMsgID: string;
  serverMsgID: string;
  sendID: string;
  recvID: string;
  senderPlatformID: number;
  senderNickname: string;
  senderFaceURL: string;
  sessionType: number;
  msgFrom: number;
  contentType: number;
  content: string;
  isRead: boolean;
  status: number;
  seq: number;
  sendTime: number;
  createTime: number;
  attachedInfo: string;
  ex: string;
  localEx: string;
}

let serial = 0;
function makeMessage(): Msg {
  const n = ++serial;
  return {
    clientMsgID: `bench-${n.toString(16).padStart(12, '0')}`,
    serverMsgID: `srv-${n}`,
    sendID: n % 2 ? 'u1' : 'u2',
    recvID: n % 2 ? 'u2' : 'u1',
    senderPlatformID: 5,
    senderNickname: 'nick',
    senderFaceURL: '',
    sessionType: 1,
    msgFrom: 100,
    contentType: 101,
    content: JSON.stringify({ content: `message number ${n}, a line of ordinary chat text` }),
    isRead: false,
    status: 2,
    seq: n,
    sendTime: 1_795_000_000_000 + n,
    createTime: 1_795_000_000_000 + n,
    attachedInfo: '{"groupHasReadInfo":{"hasReadCount":0,"groupMemberCount":0},"hasReadTime":0}',
    ex: '',
    localEx: '',
  };
}

function rowValues(m: Msg): Array<string | number> {
  return [
    m.clientMsgID, m.serverMsgID, m.sendID, m.recvID, m.senderPlatformID, m.senderNickname, m.senderFaceURL, m.sessionType,
    m.msgFrom, m.contentType, m.content, m.isRead ? 1 : 0, m.status, m.seq, m.sendTime, m.createTime, m.attachedInfo, m.ex, m.localEx,
  ]; // prettier-ignore
}

/** One side of the comparison: each method does one call's worth of work. */
interface Side {
  insert(conv: string): Promise<void> | void;
  batch(conv: string): Promise<void> | void;
  page(conv: string): Promise<void> | void;
  /** A page of older messages from a start message (scrolling back through history). */
  olderPage(conv: string, start: StartPoint): Promise<void> | void;
}

interface StartPoint {
  sendTime: number;
  seq: number;
  clientMsgID: string;
}

/**
 * Messages are generated ahead of time so neither side pays for making them; each call
 * only stamps a fresh clientMsgID, seq and send time (a string prefix for the JSON, three
 * fields for the row).
 */
class Feed {
  #templates: Array<{ msg: Msg; rest: string }> = [];
  #n = 0;
  #prefix: string;

  constructor(prefix: string, count: number) {
    this.#prefix = prefix;
    for (let i = 0; i < count; i++) {
      const msg = makeMessage();
      const { clientMsgID: _id, seq: _seq, sendTime: _time, ...rest } = msg;
      this.#templates.push({ msg, rest: JSON.stringify(rest).slice(1) });
    }
  }

  next(): { msg: Msg; json: string } {
    const n = this.#n++;
    const t = this.#templates[n % this.#templates.length] as { msg: Msg; rest: string };
    const m = t.msg;
    m.clientMsgID = `${this.#prefix}${n.toString(36)}`;
    m.seq = n + 1;
    m.sendTime = 1_795_000_000_000 + n;
    return { msg: m, json: `{"clientMsgID":"${m.clientMsgID}","seq":${m.seq},"sendTime":${m.sendTime},${t.rest}` };
  }

  nextBatch(): { rows: Msg[]; json: string } {
    const rows: Msg[] = [];
    let json = '[';
    for (let i = 0; i < BATCH; i++) {
      const { msg, json: one } = this.next();
      rows.push({ ...msg });
      json += i === 0 ? one : `,${one}`;
    }
    return { rows, json: `${json}]` };
  }
}

function check(raw: string | Uint8Array, fn: string): string {
  if (typeof raw !== 'string' || !raw.startsWith('{"errCode":0,')) throw new Error(`${fn} failed: ${String(raw).slice(0, 200)}`);
  return raw;
}

function bridgeSide(bridge: StorageBridge, feed: Feed): Side {
  const g = bridge.globals as Record<string, StorageGlobal>;
  const insertMessage = g.insertMessage as StorageGlobal;
  const batchInsert = g.batchInsertMessageList as StorageGlobal;
  const getMessageList = g.getMessageList as StorageGlobal;
  return {
    async insert(conv) {
      check(await insertMessage(conv, feed.next().json), 'insertMessage');
    },
    async batch(conv) {
      check(await batchInsert(conv, feed.nextBatch().json), 'batchInsertMessageList');
    },
    async page(conv) {
      const r = check(await getMessageList(conv, PAGE, 0, 0, '', false, 'u1'), 'getMessageList');
      if (r.length < 100) throw new Error('getMessageList returned an empty page');
    },
    async olderPage(conv, start) {
      const r = check(await getMessageList(conv, PAGE, start.sendTime, start.seq, start.clientMsgID, false, 'u1'), 'getMessageList');
      if (r.length < 100) throw new Error('getMessageList returned an empty page');
    },
  };
}

function rawSide(db: Database, feed: Feed): Side {
  const stmts = new Map<string, { insert: Statement; page: Statement; older: Statement }>();
  const tx = db.transaction((f: () => void) => f());
  const forConv = (conv: string): { insert: Statement; page: Statement; older: Statement } => {
    let s = stmts.get(conv);
    if (!s) {
      const t = `"chat_logs_${conv}"`;
      db.exec(`CREATE TABLE IF NOT EXISTS ${t} (client_msg_id CHAR(64), server_msg_id CHAR(64), send_id CHAR(64), recv_id CHAR(64),
        sender_platform_id INTEGER, sender_nick_name VARCHAR(255), sender_face_url VARCHAR(255), session_type INTEGER, msg_from INTEGER,
        content_type INTEGER, content VARCHAR(1000), is_read NUMERIC, status INTEGER, seq INTEGER DEFAULT 0, send_time INTEGER,
        create_time INTEGER, attached_info VARCHAR(1024), ex VARCHAR(1024), local_ex VARCHAR(1024), is_react NUMERIC,
        is_external_extensions NUMERIC, msg_first_modify_time INTEGER, PRIMARY KEY (client_msg_id))`);
      db.exec(`CREATE INDEX IF NOT EXISTS "index_seq_${conv}" ON ${t} (seq)`);
      db.exec(`CREATE INDEX IF NOT EXISTS "index_send_time_${conv}" ON ${t} (send_time)`);
      s = {
        insert: db.prepare(`INSERT INTO ${t} (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`),
        page: db.prepare(`SELECT ${COLUMNS.join(', ')} FROM ${t} ORDER BY send_time DESC, seq DESC LIMIT ?`),
        older: db.prepare(
          `SELECT ${COLUMNS.join(', ')} FROM ${t} WHERE send_time <= ? AND (send_time < ? OR seq < ? OR (seq = 0 AND client_msg_id <> ?)) ORDER BY send_time DESC, seq DESC LIMIT ?`,
        ),
      };
      stmts.set(conv, s);
    }
    return s;
  };
  return {
    insert(conv) {
      const s = forConv(conv);
      const v = rowValues(feed.next().msg);
      tx.immediate(() => s.insert.run(...v));
    },
    batch(conv) {
      const s = forConv(conv);
      const rows = feed.nextBatch().rows;
      tx.immediate(() => {
        for (const m of rows) s.insert.run(...rowValues(m));
      });
    },
    page(conv) {
      const s = forConv(conv);
      let rows: unknown[] = [];
      tx.deferred(() => {
        rows = s.page.all(PAGE);
      });
      if (rows.length === 0) throw new Error('raw page read returned no rows');
    },
    olderPage(conv, start) {
      const s = forConv(conv);
      let rows: unknown[] = [];
      tx.deferred(() => {
        rows = s.older.all(start.sendTime, start.sendTime, start.seq, start.clientMsgID, PAGE);
      });
      if (rows.length === 0) throw new Error('raw page read returned no rows');
    },
  };
}

type Workload = 'insert' | 'batch' | 'page' | 'older' | 'mix';
const WORKLOADS: ReadonlyArray<{ name: Workload; label: string; unit: string; perCall: number }> = [
  { name: 'insert', label: 'insertMessage', unit: 'msgs/s', perCall: 1 },
  { name: 'batch', label: `batchInsertMessageList ×${BATCH}`, unit: 'msgs/s', perCall: BATCH },
  { name: 'page', label: `getMessageList newest ${PAGE}`, unit: 'pages/s', perCall: 1 },
  { name: 'older', label: `getMessageList ${PAGE} older`, unit: 'pages/s', perCall: 1 },
  { name: 'mix', label: 'insert + page read', unit: 'pairs/s', perCall: 1 },
];

/** Closed loop for MEASURE_MS; yields to the event loop now and then like a real worker. */
async function measure(side: Side, workload: Workload, conv: string, starts: readonly StartPoint[]): Promise<number> {
  const end = performance.now() + MEASURE_MS;
  let calls = 0;
  let nextYield = performance.now() + 20;
  const start = performance.now();
  let now = start;
  while (now < end) {
    if (workload === 'insert') await side.insert(conv);
    else if (workload === 'batch') await side.batch(conv);
    else if (workload === 'page') await side.page(conv);
    else if (workload === 'older') await side.olderPage(conv, starts[calls % starts.length] as StartPoint);
    else {
      await side.insert(conv);
      await side.page(conv);
    }
    calls++;
    now = performance.now();
    if (now > nextYield) {
      await new Promise<void>((r) => setImmediate(r));
      nextYield = performance.now() + 20;
    }
  }
  return (calls * 1000) / (now - start);
}

async function main(): Promise<void> {
  deadline(BENCH, DEADLINE_MS);
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'bench-storage-'));
  const bridge = createStorageBridge({ dataDir: dir, userID: 'u1', platformID: 5, logger: pino({ level: 'warn' }) });
  const rawDb = new BetterSqlite3(join(dir, 'raw.db'));
  try {
    check(await (bridge.globals.initDB as StorageGlobal)('u1', dir), 'initDB');
    rawDb.pragma('journal_mode = WAL');
    rawDb.pragma('synchronous = NORMAL');
    const bridgeFeed = new Feed('b', 256);
    const rawFeed = new Feed('r', 256);
    const sides = { bridge: bridgeSide(bridge, bridgeFeed), raw: rawSide(rawDb, rawFeed) };

    // The page reads run against a conversation that already has some history.
    const history = 'si_u1_u2';
    for (const side of Object.values(sides)) for (let i = 0; i < HISTORY / BATCH; i++) await side.batch(history);
    // Where older-page reads start: spread over the history, the same positions on both sides.
    const positions = Array.from({ length: 64 }, (_, i) => PAGE + Math.floor(((i * 7919) % 64) * ((HISTORY - PAGE) / 64)));
    const startsFor = (prefix: string): StartPoint[] =>
      positions.map((n) => ({ sendTime: 1_795_000_000_000 + n, seq: n + 1, clientMsgID: `${prefix}${n.toString(36)}` }));
    const starts = { bridge: startsFor('b'), raw: startsFor('r') };

    console.log(`${BENCH}: bridge (JSON args, awaited Promises) vs raw better-sqlite3, ${ROUNDS} rounds of ${MEASURE_MS / 1000} s per workload and side`);
    const results = new Map<Workload, { bridge: number[]; raw: number[] }>();
    for (const w of WORKLOADS) results.set(w.name, { bridge: [], raw: [] });
    for (let round = 0; round < ROUNDS; round++) {
      for (const w of WORKLOADS) {
        // Inserts go to a fresh conversation per round and side, so both write to tables of equal size.
        const conv = w.name === 'page' || w.name === 'older' ? history : `si_u1_r${round}${w.name}`;
        const r = results.get(w.name) as { bridge: number[]; raw: number[] };
        const order = round % 2 === 0 ? (['bridge', 'raw'] as const) : (['raw', 'bridge'] as const);
        for (const s of order) r[s].push((await measure(sides[s], w.name, conv, starts[s])) * w.perCall);
      }
    }

    const rows: Array<Array<string | number>> = [];
    const ratios: Record<Workload, number> = { insert: 0, batch: 0, page: 0, older: 0, mix: 0 };
    for (const w of WORKLOADS) {
      const r = results.get(w.name) as { bridge: number[]; raw: number[] };
      const b = median(r.bridge);
      const raw = median(r.raw);
      ratios[w.name] = b / raw;
      rows.push([w.label, w.unit, Math.round(b), Math.round(raw), (b / raw).toFixed(2)]);
    }
    console.log(`\nmedian throughput (${HISTORY} messages of history for page reads)`);
    console.log(table(['workload', 'unit', 'bridge', 'raw', 'bridge/raw'], rows));

    const mix = results.get('mix') as { bridge: number[]; raw: number[] };
    const bridgeRate = median(mix.bridge);
    const rawRate = median(mix.raw);
    const ratio = bridgeRate / rawRate;
    finishBench(
      BENCH,
      [{ name: 'ratio', value: ratio, op: '>=', limit: GOAL_RATIO, what: '(insert + page read)' }],
      [`took ${((performance.now() - started) / 1000).toFixed(1)} s`],
      {
        bridgeRate: Math.round(bridgeRate),
        rawRate: Math.round(rawRate),
        ratio: Number(ratio.toFixed(3)),
        insertRatio: Number(ratios.insert.toFixed(3)),
        batchInsertRatio: Number(ratios.batch.toFixed(3)),
        pageReadRatio: Number(ratios.page.toFixed(3)),
        olderPageReadRatio: Number(ratios.older.toFixed(3)),
      },
    );
  } finally {
    bridge.close();
    rawDb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await runBench(BENCH, main);
