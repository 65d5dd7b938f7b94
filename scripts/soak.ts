/**
 * soak: many short sessions in a row, then proof that nothing stayed behind.
 *
 *   npm run soak [-- --cycles 10000 --users 50 --seconds 900 --core test]
 *
 * A gateway runs in a child process (see lib/gateway-child.ts) with a short grace period.
 * One loop per user runs cycles back to back, each a scenario picked from a seeded mix:
 *
 *   logout    socket → Login → pushes → Logout (answered, then closed 1000 by the server)
 *   drop      socket → Login → pushes → TCP connection lost without a close frame
 *   close     socket → Login → pushes → client closes (1000); the core lives on for the grace period
 *   two-tabs  two sockets of one user log in together, both get every push, one logs out,
 *             the other is told (`Logout` event) and closed
 *   race      Login with a request racing it, then a burst of requests racing a Logout;
 *             or a Logout sent right behind the Login, before its answer
 *   mid-login socket → Login → TCP connection lost before the Login is answered
 *   no-login  socket → one request → close, never logged in
 *
 * A push is a message to another user (CreateTextMessage → SendMessageNotOss; the test
 * core echoes it to the sender as OnRecvNewMessages, which every tab must get) or, on the
 * test core, DebugEmit of a listener event. The official core (`--core official`, with the
 * embedded dev server as its IM server) is slower: use a smaller --cycles.
 *
 * After a warm-up the gateway is settled (every session gone, garbage collected in its main
 * thread and in every worker) and measured; after the last cycle again. Measured are its own
 * books and what the kernel and /metrics say (lib/soak-leaks.ts): RSS, the linear memories
 * of cores still mapped, open fds and sockets, threads, the token cache and the handshakes
 * pending. The run passes when all of the requested cycles ran (a time bound that cut them
 * short is a failure, not a smaller pass), every cycle behaved, the gateway ends with 0
 * sessions, 0 cores and 0 connections, no core was lost, nothing was logged at error level,
 * no core's memory is left, RSS grew by at most 10 % and fds, sockets and threads did not
 * grow (lib/soak-leaks.ts has the limits). Prints a table, then one JSON line; exits 1 on
 * failure, 2 on bad flags.
 */
import { join, resolve } from 'node:path';
import { startDevServer, type DevServer } from '../src/devserver/dev-server.ts';
import { okToken, startFakeIm, type FakeIm } from './lib/fake-im.ts';
import { runIfMain, scriptFlags } from './lib/flags.ts';
import type { GatewayFigures } from './lib/gateway-ipc.ts';
import { GatewayProcess } from './lib/gateway-process.ts';
import { ImSocket, type Received } from './lib/im-socket.ts';
import type { ProcFigures } from './lib/proc-figures.ts';
import { metricSum } from './lib/prom-text.ts';
import { compareReadings, describeVerdict, RSS_GROWTH_LIMIT_PCT, type LeakReading, type LeakVerdict } from './lib/soak-leaks.ts';
import { Rng, StepTimeout, sleep, until, withTimeout } from './lib/timing.ts';
import { errorText } from '../src/shared/error-text.ts';

export const SOAK_FLAGS = {
  cycles: { type: 'int', default: 10_000, min: 1, help: 'login/logout/disconnect cycles in all' },
  users: { type: 'int', default: 50, min: 1, max: 5000, help: 'distinct users (one loop each)' },
  seconds: { type: 'int', default: 900, min: 10, help: 'time bound: no new cycle starts after it minus the end checks; fewer cycles than --cycles fail the run' },
  core: { type: 'choice', default: 'test', choices: ['test', 'official'], help: 'core build' },
  'grace-ms': { type: 'int', default: 500, min: 0, max: 60_000, help: 'grace period after a session’s last socket' },
  warmup: { type: 'int', default: 0, min: 0, help: 'warm-up cycles before RSS is first measured (0: a tenth of --cycles)' },
  workers: { type: 'int', default: 2, min: 1, max: 64, help: 'gateway core workers' },
  seed: { type: 'int', default: 1, min: 0, max: 2 ** 32 - 1, help: 'seed of the scenario mix' },
  'heap-snapshots': { type: 'bool', help: 'write the gateway’s heap snapshots after warm-up and at the end (./soak-*.heapsnapshot)' },
  help: { type: 'bool', help: 'show this help' },
} as const;

export type Scenario = 'logout' | 'drop' | 'close' | 'two-tabs' | 'race' | 'mid-login' | 'no-login';

const SCENARIO_WEIGHTS: Readonly<Record<Scenario, number>> = {
  logout: 30,
  drop: 15,
  close: 10,
  'two-tabs': 15,
  race: 15,
  'mid-login': 5,
  'no-login': 10,
};

export interface SoakOptions {
  cycles: number;
  users: number;
  seconds: number;
  core: 'test' | 'official';
  graceMs: number;
  /** Cycles before the first RSS figure; 0 means a tenth of `cycles`. */
  warmup: number;
  workers: number;
  seed: number;
  /** Directory for heap snapshots of the gateway after warm-up and at the end; none when undefined. */
  heapSnapshotDir?: string;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface SoakResult {
  soak: string;
  cycles: number;
  cyclesRequested: number;
  /** Cycles after the warm-up: what the leak checks cover. */
  mainCycles: number;
  byScenario: Record<Scenario, number>;
  pushes: number;
  /** `gw.hub.size` at the end. */
  sessions: number;
  /** `gw.pool.coreCount` at the end. */
  cores: number;
  /** Cores the workers themselves still report (their last heartbeat). */
  workerCores: number;
  connections: number;
  rssStartMB: number;
  rssEndMB: number;
  rssGrowthPct: number;
  /** The gateway main thread's JS heap after GC, after warm-up and at the end (leak hunting). */
  heapStartMB: number;
  heapEndMB: number;
  seconds: number;
  cyclesPerSecond: number;
  /** The time bound stopped cycles before `cyclesRequested` (then `ok` is false). */
  timedOut: boolean;
  /** Kernel and /metrics figures after the warm-up against the end (see lib/soak-leaks.ts). */
  leaks: LeakVerdict[];
  failures: number;
  /** The first few failures, each `scenario/step: what`. */
  failureSamples: string[];
  lostCores: number;
  errorLogs: number;
  ok: boolean;
}

const PLATFORM_ID = 5;
/** A step (login, a push, a logout) that takes longer than this is a hang. */
const STEP_MS = 15_000;
const MAX_FAILURE_SAMPLES = 20;
const MB = 2 ** 20;

class CycleFailure extends Error {
  constructor(
    readonly step: string,
    detail: string,
  ) {
    super(detail);
  }
}

interface SoakUser {
  userID: string;
  token: string;
}

/** What a cycle needs: who, where, how, and somewhere to count. */
interface CycleContext {
  url: string;
  core: 'test' | 'official';
  users: readonly SoakUser[];
  rng: Rng;
  counters: { pushes: number };
}

function fail(step: string, detail: string): never {
  throw new CycleFailure(step, detail);
}

async function step<T>(name: string, work: Promise<T>): Promise<T> {
  try {
    return await withTimeout(work, STEP_MS, name);
  } catch (err) {
    if (err instanceof CycleFailure) throw err;
    fail(name, err instanceof StepTimeout ? `hang: no outcome within ${STEP_MS} ms` : errorText(err));
  }
}

function expectOk(stepName: string, r: Received): Received {
  if (r.env.errCode !== 0) fail(stepName, `errCode ${r.env.errCode} ${r.env.errMsg}`);
  return r;
}

async function open(ctx: CycleContext, user: SoakUser): Promise<ImSocket> {
  return step('handshake', ImSocket.open(ctx.url, { sendID: user.userID, token: user.token, platformID: PLATFORM_ID, operationID: `hs-${user.userID}` }));
}

async function login(s: ImSocket, user: SoakUser): Promise<void> {
  expectOk('Login', await step('Login', s.request('Login', [user.userID, user.token])));
}

/**
 * One push from `from`, checked on every socket in `tabs` (the sender's logged-in tabs):
 * a message to another user, or (test core) a DebugEmit'd listener event.
 */
async function push(ctx: CycleContext, from: SoakUser, tabs: readonly ImSocket[]): Promise<void> {
  const sender = tabs[0] as ImSocket;
  ctx.counters.pushes++;
  const useEmit = ctx.core === 'test' && ctx.rng.next() < 0.3;
  if (useEmit) {
    const marker = `emit-${ctx.rng.int(0, 1e9)}`;
    const payload = JSON.stringify([{ conversationID: `si_${from.userID}_x`, latestMsg: marker }]);
    expectOk('DebugEmit', await step('DebugEmit', sender.request('DebugEmit', ['OnConversationChanged', payload])));
    await Promise.all(
      tabs.map((t, i) =>
        step(
          `event at tab ${i + 1}`,
          t.take((r) => r.env.event === 'OnConversationChanged' && r.env.data.includes(marker)),
        ),
      ),
    );
    return;
  }
  let to = ctx.rng.pick(ctx.users);
  if (to.userID === from.userID) to = ctx.users[(ctx.users.indexOf(to) + 1) % ctx.users.length] as SoakUser;
  const created = expectOk('CreateTextMessage', await step('CreateTextMessage', sender.request('CreateTextMessage', [`soak ${from.userID}→${to.userID}`])));
  let clientMsgID: string;
  try {
    clientMsgID = String((JSON.parse(created.env.data) as { clientMsgID?: unknown }).clientMsgID);
  } catch {
    fail('CreateTextMessage', `data is not a message: ${created.env.data.slice(0, 100)}`);
  }
  expectOk('SendMessageNotOss', await step('SendMessageNotOss', sender.request('SendMessageNotOss', [created.env.data, to.userID, '', '{}', false])));
  // The test core echoes a sent message to its sender; the official core does not.
  if (ctx.core === 'test') {
    await Promise.all(
      tabs.map((t, i) =>
        step(
          `OnRecvNewMessages at tab ${i + 1}`,
          t.take((r) => r.env.event === 'OnRecvNewMessages' && r.env.data.includes(clientMsgID)),
        ),
      ),
    );
  }
}

async function pushes(ctx: CycleContext, from: SoakUser, tabs: readonly ImSocket[]): Promise<void> {
  const n = ctx.rng.int(1, 3);
  for (let i = 0; i < n; i++) await push(ctx, from, tabs);
}

/** Logout on `s`: answered with errCode 0, then the server closes the socket (1000). */
async function logout(s: ImSocket): Promise<void> {
  expectOk('Logout', await step('Logout', s.request('Logout', [])));
  const closed = await step('close after Logout', s.closed);
  if (closed.code !== 1000) fail('close after Logout', `close code ${closed.code} ${closed.reason}`);
}

const SCENARIOS: Readonly<Record<Scenario, (ctx: CycleContext, user: SoakUser) => Promise<void>>> = {
  async logout(ctx, user) {
    const s = await open(ctx, user);
    try {
      await login(s, user);
      await pushes(ctx, user, [s]);
      await logout(s);
    } finally {
      s.terminate();
    }
  },

  async drop(ctx, user) {
    const s = await open(ctx, user);
    try {
      await login(s, user);
      await pushes(ctx, user, [s]);
    } finally {
      s.terminate();
    }
  },

  async close(ctx, user) {
    const s = await open(ctx, user);
    try {
      await login(s, user);
      await pushes(ctx, user, [s]);
      await step('client close', s.close());
    } finally {
      s.terminate();
    }
  },

  async 'two-tabs'(ctx, user) {
    const opened = await Promise.allSettled([open(ctx, user), open(ctx, user)]);
    const [a, b] = opened.map((o) => (o.status === 'fulfilled' ? o.value : undefined));
    if (!a || !b) {
      a?.terminate();
      b?.terminate();
      throw (opened.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason;
    }
    try {
      // Both Logins race: they must share one outcome.
      await Promise.all([login(a, user), login(b, user)]);
      await pushes(ctx, user, [a, b]);
      const [leaver, stayer] = ctx.rng.next() < 0.5 ? [a, b] : [b, a];
      await logout(leaver);
      await step(
        'Logout event at the other tab',
        stayer.take((r) => r.env.event === 'Logout' && r.env.operationID === ''),
      );
      const closed = await step('other tab closed', stayer.closed);
      if (closed.code !== 1000) fail('other tab closed', `close code ${closed.code} ${closed.reason}`);
    } finally {
      a.terminate();
      b.terminate();
    }
  },

  async race(ctx, user) {
    const s = await open(ctx, user);
    try {
      if (ctx.rng.next() < 0.3) {
        // Logout right behind the Login: it waits for the login, then ends the session.
        const loggingIn = s.request('Login', [user.userID, user.token]).catch(() => undefined);
        expectOk('Logout behind Login', await step('Logout behind Login', s.request('Logout', [])));
        const closed = await step('close after Logout', s.closed);
        if (closed.code !== 1000) fail('close after Logout', `close code ${closed.code} ${closed.reason}`);
        const answered = await loggingIn;
        if (answered && answered.env.errCode !== 0 && answered.env.errMsg === '') fail('Login raced by Logout', `errCode ${answered.env.errCode} with an empty errMsg`);
        return;
      }
      // A request sent right behind the Login waits for it and then succeeds.
      const loggingIn = s.request('Login', [user.userID, user.token]);
      const early = s.request('GetSelfUserInfo', []);
      expectOk('Login', await step('Login', loggingIn));
      const self = expectOk('GetSelfUserInfo after Login', await step('GetSelfUserInfo after Login', early));
      if (!self.env.data.includes(JSON.stringify(user.userID))) fail('GetSelfUserInfo after Login', `not this user: ${self.env.data.slice(0, 100)}`);
      // A burst racing the Logout: each is answered (any outcome) or dropped with the socket.
      const burst = (n: number): Array<Promise<Received | undefined>> =>
        Array.from({ length: n }, (_, i) => {
          const fn = ['GetLoginStatus', 'GetSelfUserInfo', 'CreateTextMessage'][i % 3] as string;
          return s.request(fn, fn === 'CreateTextMessage' ? ['racing'] : [], { timeoutMs: STEP_MS }).then(
            (r) => r,
            (err: unknown) => {
              if (err instanceof StepTimeout) fail(`${fn} racing Logout`, 'hang: neither answered nor closed');
              return undefined; // the socket closed first: fine
            },
          );
        });
      const before = burst(ctx.rng.int(1, 8));
      const bye = s.request('Logout', []);
      const after = burst(ctx.rng.int(0, 4));
      expectOk('Logout', await step('Logout', bye));
      const closed = await step('close after Logout', s.closed);
      if (closed.code !== 1000) fail('close after Logout', `close code ${closed.code} ${closed.reason}`);
      for (const r of await Promise.all([...before, ...after])) {
        if (r && r.env.errCode !== 0 && r.env.errMsg === '') fail('request racing Logout', `errCode ${r.env.errCode} with an empty errMsg`);
      }
    } finally {
      s.terminate();
    }
  },

  async 'mid-login'(ctx, user) {
    const s = await open(ctx, user);
    s.send('Login', [user.userID, user.token], s.nextOperationID('Login'));
    // Gone before the answer: the login finishes (or not) with nobody listening.
    if (ctx.rng.next() < 0.5) await sleep(ctx.rng.int(0, 20));
    s.terminate();
    await step('socket gone', s.closed);
  },

  async 'no-login'(ctx, user) {
    const s = await open(ctx, user);
    try {
      const r = await step('GetLoginUserID before Login', s.request('GetLoginUserID', []));
      // Not logged in on this socket: "" (the user's ID only once this socket logs in).
      if (r.env.errCode !== 0 || r.env.data !== '""') fail('GetLoginUserID before Login', `answered ${r.raw.slice(0, 200)}`);
      await step('client close', s.close());
    } finally {
      s.terminate();
    }
  },
};

/** Loops of one user each, run until `claim()` says stop. */
async function runCycles(
  ctx: Omit<CycleContext, 'rng'>,
  seed: number,
  claim: () => boolean,
  onCycle: (scenario: Scenario, failure: string | undefined) => void,
): Promise<void> {
  await Promise.all(
    ctx.users.map(async (user, i) => {
      const rng = new Rng(seed * 7919 + i + 1);
      while (claim()) {
        const scenario = rng.weighted(SCENARIO_WEIGHTS);
        let failure: string | undefined;
        try {
          await SCENARIOS[scenario]({ ...ctx, rng }, user);
        } catch (err) {
          const where = err instanceof CycleFailure ? err.step : 'cycle';
          failure = `${scenario}/${where} (${user.userID}): ${errorText(err)}`;
        }
        onCycle(scenario, failure);
      }
    }),
  );
}

interface Settled {
  figures: GatewayFigures;
  connections: number;
  drained: boolean;
  leak: LeakReading;
}

/** Gauges read from /metrics when the gateway exports them ("n/a" otherwise). */
const TOKEN_CACHE_GAUGE = 'openim_jssdk_token_cache_entries';
const HANDSHAKES_PENDING_GAUGE = 'openim_jssdk_handshakes_pending';
/** How long fds must stay unchanged before they are read, and the most to wait for that. */
const FDS_STEADY_MS = 1000;
const FDS_STEADY_BOUND_MS = 8000;

/**
 * The kernel's figures once open fds have stopped changing: connections closed by either
 * side (a client gone, a kept-alive connection to the IM timing out) take a moment to leave.
 */
async function steadyProc(gw: GatewayProcess): Promise<ProcFigures> {
  const deadline = performance.now() + FDS_STEADY_BOUND_MS;
  let last = gw.procFigures();
  let since = performance.now();
  while (performance.now() < deadline) {
    await sleep(250);
    const now = gw.procFigures();
    if (now.fds !== last.fds || now.sockets !== last.sockets) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= FDS_STEADY_MS) {
      return now;
    }
  }
  return last;
}

/** Waits for the gateway to free everything, then collects garbage and reads its figures. */
async function settle(gw: GatewayProcess, graceMs: number): Promise<Settled> {
  let connections = -1;
  const drained = await until(
    async () => {
      const f = await gw.figures();
      const h = await gw.healthz();
      connections = h.body.connections ?? -1;
      return f.sessions === 0 && f.poolCores === 0 && connections === 0 && f.workers.every((w) => w.cores === 0 && w.residentCores === 0);
    },
    graceMs + 20_000,
    100,
  );
  // Freed cores' memory goes back when their worker's heap is collected (the child
  // collects in the main thread and in every worker); give the last frees a moment.
  await sleep(1000);
  const figures = await gw.settledFigures(5, 300);
  const proc = await steadyProc(gw);
  const metrics = await gw.metricsText();
  const leak: LeakReading = {
    rssBytes: figures.memory.rss,
    proc,
    tokenCacheEntries: metricSum(metrics, TOKEN_CACHE_GAUGE),
    handshakesPending: metricSum(metrics, HANDSHAKES_PENDING_GAUGE),
  };
  return { figures, connections, drained, leak };
}

function describeFigures(s: Settled): string {
  const f = s.figures;
  const cores = f.workers.map((w) => `w${w.id}:${w.cores}/${w.residentCores}`).join(' ');
  return `sessions ${f.sessions} ${JSON.stringify(f.sessionsByState)}, pool ${f.poolCores}, cores ${cores}, connections ${s.connections}`;
}

function describeMemory(s: Settled): string {
  const m = s.figures.memory;
  const p = s.leak.proc;
  const workerHeaps = s.figures.workers.map((w) => (w.heapUsedBytes / MB).toFixed(1)).join('/');
  const na = (x: number | undefined): string => (x === undefined ? 'n/a' : String(x));
  return (
    `RSS ${(m.rss / MB).toFixed(1)} MB (main heap ${(m.heapUsed / MB).toFixed(1)}, external ${(m.external / MB).toFixed(1)}, worker heaps ${workerHeaps} MB), ` +
    `fds ${na(p.fds)} (sockets ${na(p.sockets)}), threads ${na(p.threads)}, wasm memories ${na(p.wasmMemories)} (core-sized ${na(p.coreMemories)}), ` +
    `token cache ${na(s.leak.tokenCacheEntries)}, pending handshakes ${na(s.leak.handshakesPending)}`
  );
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  // Cycles stop early enough for the end checks (at most the grace period + 20 s) to fit.
  const deadline = started + Math.max(5_000, options.seconds * 1000 - options.graceMs - 25_000);
  const warmup = Math.min(options.cycles, options.warmup > 0 ? options.warmup : Math.max(1, Math.floor(options.cycles / 10)));

  let im: FakeIm | undefined;
  let dev: DevServer | undefined;
  let gw: GatewayProcess | undefined;
  const failures: string[] = [];
  let failureCount = 0;
  const byScenario = Object.fromEntries(Object.keys(SCENARIO_WEIGHTS).map((k) => [k, 0])) as Record<Scenario, number>;
  const counters = { pushes: 0 };
  let done = 0;
  let claimed = 0;
  let timedOut = false;

  try {
    if (options.core === 'test') im = await startFakeIm();
    else dev = await startDevServer({ apiPort: 0, wsPort: 0 });
    gw = await GatewayProcess.start({
      core: options.core,
      workers: options.workers,
      coresPerWorker: Math.max(50, Math.ceil((options.users * 2) / options.workers)),
      gracePeriodMs: options.graceMs,
      maxConnsPerUser: 10,
      openimApi: im?.url ?? (dev as DevServer).apiUrl,
      openimWs: dev?.wsUrl ?? 'ws://127.0.0.1:1',
      logLevel: 'warn',
    });
    log(`gateway pid ${gw.pid} at ${gw.url} (${options.core} core, ${options.workers} workers, grace ${options.graceMs} ms)`);

    const users: SoakUser[] = [];
    for (let i = 0; i < options.users; i++) {
      const userID = `soak-u${i}`;
      users.push({ userID, token: dev ? await dev.userToken(userID, PLATFORM_ID) : okToken(userID, PLATFORM_ID) });
    }
    const ctx = { url: gw.url, core: options.core, users, counters };
    const onCycle = (scenario: Scenario, failure: string | undefined): void => {
      done++;
      byScenario[scenario]++;
      if (failure !== undefined) {
        failureCount++;
        if (failures.length < MAX_FAILURE_SAMPLES) failures.push(failure);
      }
      if (done % 1000 === 0) {
        const secs = (performance.now() - started) / 1000;
        log(`${done} cycles in ${secs.toFixed(0)} s, ${failureCount} failed`);
      }
    };
    const claimUpTo = (limit: number) => (): boolean => {
      if (claimed >= limit || gw?.crashed) return false;
      if (performance.now() > deadline) {
        timedOut = true;
        return false;
      }
      claimed++;
      return true;
    };

    await runCycles(ctx, options.seed, claimUpTo(warmup), onCycle);
    const atStart = await settle(gw, options.graceMs);
    log(`after ${done} warm-up cycles: ${describeFigures(atStart)}, ${describeMemory(atStart)}`);
    if (!atStart.drained) {
      failureCount++;
      failures.push(`warm-up: the gateway did not free everything: ${describeFigures(atStart)}`);
    }

    if (options.heapSnapshotDir !== undefined) await gw.heapSnapshot(join(options.heapSnapshotDir, 'soak-start.heapsnapshot'));

    const warmupDone = done;
    const mainStarted = performance.now();
    await runCycles(ctx, options.seed + 1, claimUpTo(options.cycles), onCycle);
    const mainSeconds = (performance.now() - mainStarted) / 1000;
    const atEnd = await settle(gw, options.graceMs);
    log(`after ${done} cycles: ${describeFigures(atEnd)}, ${describeMemory(atEnd)}`);
    if (!atEnd.drained) {
      failureCount++;
      failures.push(`end: the gateway did not free everything within ${options.graceMs + 20_000} ms: ${describeFigures(atEnd)}`);
    }
    if (options.heapSnapshotDir !== undefined) await gw.heapSnapshot(join(options.heapSnapshotDir, 'soak-end.heapsnapshot'));
    const health = await gw.healthz();
    if (health.status !== 200) {
      failureCount++;
      failures.push(`end: /healthz answered ${health.status}`);
    }

    if (done < options.cycles) {
      // A soak that ran fewer cycles than asked proves less than it says: never a pass.
      failureCount++;
      const why = gw.crashed ? 'the gateway crashed' : timedOut ? `the time bound (--seconds ${options.seconds}, less its end checks) ran out` : 'it stopped early';
      failures.push(`shortfall: ${done} of ${options.cycles} cycles ran: ${why}`);
    }
    const leaks = compareReadings(atStart.leak, atEnd.leak, { tokens: users.length });
    for (const v of leaks.filter((l) => !l.ok)) {
      failureCount++;
      failures.push(`leak: ${v.name} ${describeVerdict(v)}: ${v.rule}`);
    }

    const rssStart = atStart.figures.memory.rss;
    const rssEnd = atEnd.figures.memory.rss;
    const growthPct = ((rssEnd - rssStart) / rssStart) * 100;
    const cores = atEnd.figures.poolCores;
    const workerCores = atEnd.figures.workers.reduce((n, w) => n + w.cores, 0);
    const errorLogs = gw.errorLogs();
    for (const e of errorLogs) failures.push(`gateway logged at error level ×${e.count}: ${e.example.slice(0, 300)}`);
    for (const lost of gw.lostCores.slice(0, 5)) failures.push(`core lost: ${lost.userID}/${lost.platformID} ${lost.reason}: ${lost.message}`);
    const ok =
      !gw.crashed &&
      failureCount === 0 &&
      atEnd.drained &&
      atEnd.figures.sessions === 0 &&
      cores === 0 &&
      workerCores === 0 &&
      atEnd.connections === 0 &&
      health.status === 200 &&
      done === options.cycles &&
      // RSS within RSS_GROWTH_LIMIT_PCT is one of these.
      leaks.every((l) => l.ok) &&
      gw.lostCores.length === 0 &&
      errorLogs.length === 0;
    const mainCycles = done - warmupDone;
    return {
      soak: options.core,
      cycles: done,
      cyclesRequested: options.cycles,
      mainCycles,
      byScenario,
      pushes: counters.pushes,
      sessions: atEnd.figures.sessions,
      cores,
      workerCores,
      connections: atEnd.connections,
      rssStartMB: round(rssStart / MB, 1),
      rssEndMB: round(rssEnd / MB, 1),
      rssGrowthPct: round(growthPct, 2),
      heapStartMB: round(atStart.figures.memory.heapUsed / MB, 1),
      heapEndMB: round(atEnd.figures.memory.heapUsed / MB, 1),
      seconds: round((performance.now() - started) / 1000, 1),
      cyclesPerSecond: round(mainSeconds > 0 ? mainCycles / mainSeconds : 0, 1),
      timedOut,
      leaks,
      failures: failureCount,
      failureSamples: failures,
      lostCores: gw.lostCores.length,
      errorLogs: errorLogs.length,
      ok,
    };
  } catch (err) {
    if (gw?.crashed) {
      throw new Error(`gateway crashed (${JSON.stringify(gw.exit)}):\n${gw.stderrTail.join('\n')}`, { cause: err });
    }
    throw err;
  } finally {
    await gw?.close();
    await im?.close();
    await dev?.close();
  }
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function soakTable(r: SoakResult): string {
  const rows: Array<[string, string]> = [
    ['core', r.soak],
    ['cycles', `${r.cycles} of ${r.cyclesRequested}${r.cycles < r.cyclesRequested ? ` SHORT${r.timedOut ? ': time bound hit' : ''}` : ''}`],
    ['  after warm-up', `${r.mainCycles} (what the leak checks cover)`],
    [
      '  by scenario',
      Object.entries(r.byScenario)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    ['pushes', String(r.pushes)],
    ['cycles/s (after warm-up)', String(r.cyclesPerSecond)],
    ['failed cycles / checks', String(r.failures)],
    ['sessions at end', String(r.sessions)],
    ['cores at end (pool / workers)', `${r.cores} / ${r.workerCores}`],
    ['connections at end', String(r.connections)],
    ['cores lost', String(r.lostCores)],
    ['error-level logs', String(r.errorLogs)],
    ['RSS after warm-up', `${r.rssStartMB} MB`],
    ['RSS at end', `${r.rssEndMB} MB`],
    ['RSS growth', `${r.rssGrowthPct} % (limit ${RSS_GROWTH_LIMIT_PCT} %)`],
    ...r.leaks.map((v): [string, string] => [v.name, describeVerdict(v)]),
    ['main JS heap', `${r.heapStartMB} → ${r.heapEndMB} MB`],
    ['time', `${r.seconds} s`],
    ['result', r.ok ? 'PASS' : 'FAIL'],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

async function main(): Promise<number> {
  const flags = scriptFlags('soak', SOAK_FLAGS, process.argv.slice(2));
  if (typeof flags === 'number') return flags;
  const result = await runSoak({
    cycles: flags.cycles,
    users: flags.users,
    seconds: flags.seconds,
    core: flags.core,
    graceMs: flags['grace-ms'],
    warmup: flags.warmup,
    workers: flags.workers,
    seed: flags.seed,
    ...(flags['heap-snapshots'] ? { heapSnapshotDir: resolve('.') } : {}),
    log: (line) => process.stderr.write(`soak: ${line}\n`),
  });
  process.stdout.write(`${soakTable(result)}\n`);
  for (const f of result.failureSamples) process.stdout.write(`  ! ${f}\n`);
  const { failureSamples: _samples, byScenario: _mix, leaks, ...summary } = result;
  const r1 = (x: number | undefined): number | undefined => (x === undefined ? undefined : round(x, 1));
  const leakSummary = Object.fromEntries(leaks.map((v) => [v.name, { start: r1(v.start), end: r1(v.end), limit: r1(v.limit), ok: v.ok }]));
  process.stdout.write(`${JSON.stringify({ ...summary, leaks: leakSummary })}\n`);
  return result.ok ? 0 : 1;
}

runIfMain('soak', import.meta.url, main);
