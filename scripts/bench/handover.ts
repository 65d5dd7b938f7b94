/**
 * handover: how long the users of a node take to be served by another node when the set of
 * nodes changes, with N logged-in sessions (test core). Two gateway processes joined through a
 * real redis-server; clients connect to the nodes directly and, when their socket closes,
 * reconnect to the other node at once and send Login (an ideal client: open-im-sdk 3.5.2 itself
 * waits 5 s before it reconnects, which adds to every figure below).
 *
 *   baseline  N fresh users log in on B, nobody held them before: the cost of a Login alone
 *             (after a warm-up round on each node, not measured)
 *   join      N users held by A log in on B (a node added: their next socket lands on B);
 *             B asks A, A logs the core out and lets go, B logs in. Per user: Login sent → answered
 *   leave     A stops gracefully (SIGTERM's path); per user: stop begun → Login answered on B
 *   kill      A is killed (SIGKILL); per user: kill → Login answered on B (A's lease must run out)
 *
 * Every phase checks that no socket saw OnKickedOffline and that each user ended with one
 * session, on B. Goals: the hand-over adds little to a Login (join p50 − baseline p50), a
 * graceful leave completes within a few seconds at p99, a kill within the lease plus a little.
 * Run alone with flags: `tsx scripts/bench/handover.ts --sessions 100 --lease-ttl 5000`.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { startDevServer, type DevServer } from '../../src/devserver/dev-server.ts';
import { flagHelp, FlagError, parseFlags } from '../lib/flags.ts';
import { GatewayProcess } from '../lib/gateway-process.ts';
import { LocalRedis } from '../lib/redis-server.ts';
import { GwClient } from './lib/gw-client.ts';
import { finishBench } from './lib/goals.ts';
import { ascending, deadline, keptAlive, loadNow, machineLine, percentile, round, runBench, table } from './lib/report.ts';

const BENCH = 'handover';
const PLATFORM_ID = 5;
const DEADLINE_MS = 170_000;
const BUSY_LOAD = 0.5;
/** Hand-over adds at most this to a Login at the median (join p50 − baseline p50). */
const GOAL_JOIN_OVERHEAD_MS = 250;
/** A graceful leave: every user back on the other node within this at p99. */
const GOAL_LEAVE_P99_MS = 3000;
/** A kill: every user back within the lease plus this. */
const GOAL_KILL_EXTRA_MS = 3000;

const FLAGS = {
  sessions: { type: 'int', default: 50, min: 1, max: 200, help: 'logged-in sessions on the node that leaves' },
  'lease-ttl': { type: 'int', default: 2000, min: 1000, max: 60_000, help: 'cluster lease in ms (--lease-ttl)' },
  help: { type: 'bool', help: 'print this help' },
} as const;

const silent = pino({ level: 'silent' });

interface Phase {
  name: string;
  /** Per user, ms. */
  times: number[];
}

interface Node {
  gw: GatewayProcess;
  nodeId: string;
}

async function startNode(redis: LocalRedis, dev: DevServer, nodeId: string, prefix: string, sessions: number, leaseTtlMs: number): Promise<Node> {
  const gw = await GatewayProcess.start({
    core: 'test',
    workers: 2,
    coresPerWorker: sessions,
    gracePeriodMs: 60_000,
    maxConnsPerUser: 10,
    openimApi: dev.apiUrl,
    openimWs: dev.wsUrl,
    logLevel: 'warn',
    cluster: { redis: redis.url, nodeId, prefix, leaseTtlMs },
  });
  return { gw, nodeId };
}

class Users {
  readonly clients = new Map<string, GwClient>();
  readonly tokens = new Map<string, string>();

  constructor(
    readonly dev: DevServer,
    readonly names: readonly string[],
  ) {}

  async tokensFor(): Promise<void> {
    for (const u of this.names) this.tokens.set(u, await this.dev.userToken(u, PLATFORM_ID));
  }

  /** Connects and logs every user in on `node`, all at once; ms per Login (sent → answered). */
  async loginAll(node: Node): Promise<number[]> {
    return Promise.all(
      this.names.map(async (u) => {
        const token = this.tokens.get(u)!;
        const c = await GwClient.connect(node.gw.url, u, token, PLATFORM_ID);
        this.clients.set(u, c);
        const r = await c.login(token);
        return r.at - r.sentAt;
      }),
    );
  }

  /** When each socket closes, reconnects to `to` at once and logs in; resolves with when each Login was answered. */
  followTo(to: Node): Promise<number[]> {
    return Promise.all(
      this.names.map(async (u) => {
        await this.clients.get(u)!.closed;
        const token = this.tokens.get(u)!;
        const c = await GwClient.connect(to.gw.url, u, token, PLATFORM_ID);
        this.clients.set(u, c);
        return (await c.login(token)).at;
      }),
    );
  }

  kicksSeen(): number {
    return [...this.clients.values()].reduce((n, c) => n + c.events.filter((e) => e.env.event === 'OnKickedOffline').length, 0);
  }

  async logoutAll(): Promise<void> {
    await Promise.all(
      [...this.clients.values()].map(async (c) => {
        await c.request('Logout');
        await c.close();
      }),
    );
    this.clients.clear();
  }
}

/** Each user must end with exactly one session cluster-wide, on `node`, and nobody was kicked. */
async function check(phase: string, users: Users, node: Node, others: readonly Node[]): Promise<void> {
  const kicks = users.kicksSeen();
  if (kicks > 0) throw new Error(`${phase}: ${kicks} OnKickedOffline events reached clients`);
  const on = await node.gw.figures();
  if (on.sessionsByState['logged-in'] !== users.names.length) {
    throw new Error(`${phase}: ${node.nodeId} has ${JSON.stringify(on.sessionsByState)} sessions, expected ${users.names.length} logged in`);
  }
  for (const other of others) {
    if (other.gw.exit) continue;
    const f = await other.gw.figures();
    if (f.poolCores !== 0) throw new Error(`${phase}: ${other.nodeId} still holds ${f.poolCores} cores`);
  }
}

const summary = (times: readonly number[]): { p50: number; p99: number; max: number } => {
  const s = ascending(times);
  return { p50: percentile(s, 0.5), p99: percentile(s, 0.99), max: s[s.length - 1] ?? NaN };
};

async function main(): Promise<void> {
  let flags: ReturnType<typeof parseFlags<typeof FLAGS>>;
  try {
    flags = parseFlags(FLAGS, process.argv.slice(2));
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`${err.message}\n${flagHelp('tsx scripts/bench/handover.ts [flags]', FLAGS)}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (flags.help) {
    console.log(flagHelp('tsx scripts/bench/handover.ts [flags]', FLAGS));
    return;
  }
  const n = flags.sessions;
  const leaseMs = flags['lease-ttl'];
  deadline(BENCH, DEADLINE_MS);
  const started = performance.now();
  const loadAtStart = loadNow();
  console.log(
    `${BENCH}: ${n} logged-in sessions (test core) handed from node A to node B, two gateway processes + redis-server, ` +
      `lease ${leaseMs} ms; clients reconnect to B at once`,
  );
  console.log(machineLine());

  const redis = await LocalRedis.start();
  const dev = await startDevServer({ apiPort: 0, wsPort: 0, logger: silent });
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const nodes: Node[] = [];
  const phases: Phase[] = [];
  try {
    const [a, b] = await Promise.all([startNode(redis, dev, 'node-a', prefix, n, leaseMs), startNode(redis, dev, 'node-b', prefix, 2 * n, leaseMs)]);
    nodes.push(a, b);
    const group = async (tag: string): Promise<Users> => {
      const users = new Users(
        dev,
        Array.from({ length: n }, (_, i) => `${tag}${i}`),
      );
      await users.tokensFor();
      return users;
    };

    // Warm-up on both nodes (first cores of a worker start slower), not measured.
    for (const [tag, node] of [
      ['warmA', a],
      ['warmB', b],
    ] as const) {
      const warm = await group(tag);
      await warm.loginAll(node);
      await warm.logoutAll();
    }

    // baseline: Logins nobody held before.
    const base = await group('base');
    phases.push({ name: 'baseline (Login, no previous owner)', times: await base.loginAll(b) });
    await check('baseline', base, b, [a]);
    await base.logoutAll();

    // join: the users' next sockets land on B while A holds them.
    const join = await group('join');
    await join.loginAll(a);
    const oldSockets = [...join.clients.values()];
    const joinTimes = await join.loginAll(b);
    const codes = await Promise.all(oldSockets.map((c) => c.closed));
    const wrong = codes.filter((c) => c !== 1012);
    if (wrong.length > 0) throw new Error(`join: ${wrong.length} old sockets closed with ${[...new Set(wrong)].join(', ')}, not 1012`);
    if (oldSockets.some((c) => c.events.some((e) => e.env.event === 'OnKickedOffline'))) throw new Error('join: an old socket saw OnKickedOffline');
    phases.push({ name: 'join (B takes users A holds)', times: joinTimes });
    await check('join', join, b, [a]);
    await join.logoutAll();

    // leave: A stops gracefully.
    const leave = await group('leave');
    await leave.loginAll(a);
    const leaving = leave.followTo(b);
    const leaveAt = performance.now();
    const closing = keptAlive(() => a.gw.close());
    const leaveTimes = (await leaving).map((t) => t - leaveAt);
    await closing;
    phases.push({ name: 'leave (A stops, SIGTERM path)', times: leaveTimes });
    await check('leave', leave, b, []);
    await leave.logoutAll();

    // kill: a fresh A with users, killed.
    const a2 = await startNode(redis, dev, 'node-a', prefix, n, leaseMs);
    nodes.push(a2);
    const kill = await group('kill');
    await kill.loginAll(a2);
    const following = kill.followTo(b);
    const killAt = performance.now();
    await a2.gw.kill();
    const killTimes = (await following).map((t) => t - killAt);
    phases.push({ name: 'kill (A killed, SIGKILL)', times: killTimes });
    await check('kill', kill, b, []);
    await kill.logoutAll();
  } finally {
    await Promise.all(nodes.map((node) => keptAlive(() => node.gw.close()).catch(() => {})));
    await dev.close();
    await redis.close();
  }

  console.log(`\nms per user (${n} users per phase)`);
  const rows = phases.map((p) => {
    const s = summary(p.times);
    return [p.name, s.p50.toFixed(0), s.p99.toFixed(0), s.max.toFixed(0)];
  });
  console.log(table(['phase', 'p50', 'p99', 'max'], rows));
  console.log('join: Login sent → answered; leave/kill: node stop (or kill) begun → Login answered on the other node');
  const [baseline, joined, left, killed] = phases.map((p) => summary(p.times)) as [ReturnType<typeof summary>, ...Array<ReturnType<typeof summary>>];
  const extra: string[] = [];
  const loadAtEnd = loadNow();
  if (Math.max(loadAtStart, loadAtEnd) > BUSY_LOAD) {
    extra.push(`note: load average ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end: other processes shared the machine`);
  }
  extra.push(`took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  finishBench(
    BENCH,
    [
      { name: 'joinOverheadP50Ms', value: joined!.p50 - baseline.p50, op: '<=', limit: GOAL_JOIN_OVERHEAD_MS, what: 'over a plain Login', digits: 0 },
      { name: 'leaveP99Ms', value: left!.p99, op: '<=', limit: GOAL_LEAVE_P99_MS, digits: 0 },
      { name: 'killMaxMs', value: killed!.max, op: '<=', limit: leaseMs + GOAL_KILL_EXTRA_MS, what: `(lease ${leaseMs} ms + ${GOAL_KILL_EXTRA_MS})`, digits: 0 },
    ],
    extra,
    {
      sessions: n,
      leaseMs,
      baselineP50Ms: round(baseline.p50),
      joinP50Ms: round(joined!.p50),
      joinP99Ms: round(joined!.p99),
      leaveP50Ms: round(left!.p50),
      leaveP99Ms: round(left!.p99),
      killP50Ms: round(killed!.p50),
      killP99Ms: round(killed!.p99),
    },
  );
}

await runBench(BENCH, main);
