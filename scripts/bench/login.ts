/**
 * login: how long a Login takes through the gateway, first time and returning, and how
 * much of it is the gateway's rather than the core's own.
 *
 *  - gateway: `startServer` (official core, 2 workers) in this process; a client opens a
 *             socket and sends Login. Timed from the Login frame to its reply (e2e), and to
 *             OnSyncServerFinish (ready). Then Logout, a new socket, Login again:
 *             the returning login, whose core reopens the user's SQLite file and only
 *             syncs what changed.
 *  - core:    the same on a CorePool with the same settings, called from this thread:
 *             startCore, initSDK, login, each timed; then logout, a new core, again.
 *
 * Both talk to the same embedded dev server, and each user has the same chat history
 * there (lib/dev-history.ts) before its first login. Every sample is a fresh user, one
 * login at a time; gateway and core samples alternate so a drift in machine load hits
 * both alike.
 *
 * The gateway's share is e2e − the core's own `login` call: everything from the Login
 * frame to the core's login starting (socket read, session, core start, initSDK, the hop
 * to the worker) and from its end to the reply. The table splits it into core start +
 * initSDK (pool figures) and the rest, which is the gateway's own code and hops.
 *
 * The last stdout line is one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { defaultServerOptions } from '../../src/config/options.ts';
import { startDevServer, type DevServer } from '../../src/devserver/dev-server.ts';
import { CorePool } from '../../src/pool/core-pool.ts';
import type { CoreHandle } from '../../src/pool/worker/core-handle.ts';
import { parseCoreEvent } from '../../src/protocol/events.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { buildSdkConfig } from '../../src/sessions/sdk-config.ts';
import { seedHistory, type HistoryShape } from './lib/dev-history.ts';
import { GwClient } from './lib/gw-client.ts';
import { finishBench } from './lib/goals.ts';
import { ascending, deadline, keptAlive, loadNow, machineLine, percentile, round, runBench, table } from './lib/report.ts';

const BENCH = 'login';
const PLATFORM_ID = 5;
const WORKERS = 2;
const ROUNDS = 3;
/** Fresh users per round and side; each gives one first and one returning login. */
const PER_ROUND = 20;
const HISTORY: HistoryShape = { peers: 5, messagesPerPeer: 20 };
/** A login whose sync never finishes is a broken setup, not a slow one. */
const SYNC_TIMEOUT_MS = 15_000;
/** 30–60 s on a busy 2-CPU machine; this only stops a stuck run. */
const DEADLINE_MS = 170_000;
/** Above this 1-minute load average (on this many CPUs) other work shares the machine. */
const BUSY_LOAD = 0.5;

const silent = pino({ level: 'silent' });
let opSeq = 0;
const op = (): string => `bench-login-${++opSeq}`;

interface Timing {
  /** Login frame → Login reply (gateway), or the core's login call (pool). */
  loginMs: number;
  /** Login sent (gateway), or core start begun (pool), → OnSyncServerFinish: the same span. */
  readyMs: number;
}

interface GatewaySample {
  first: Timing;
  returning: Timing;
}

interface CoreTiming extends Timing {
  createMs: number;
  initMs: number;
}

interface CoreSample {
  first: CoreTiming;
  returning: CoreTiming;
}

// ───────────────────────────── gateway side ─────────────────────────────

async function gatewayLogin(gw: RunningServer, dev: DevServer, userID: string): Promise<Timing> {
  const token = await dev.userToken(userID, PLATFORM_ID);
  const c = await GwClient.connect(gw.url, userID, token, PLATFORM_ID);
  const mark = c.mark;
  const reply = await c.login(token);
  const sync = await c.event('OnSyncServerFinish', mark, SYNC_TIMEOUT_MS);
  const timing = { loginMs: reply.at - reply.sentAt, readyMs: sync.at - reply.sentAt };
  const out = await c.request('Logout');
  if (out.env.errCode !== 0) throw new Error(`Logout of ${userID}: ${out.env.errCode} ${out.env.errMsg}`);
  await c.closed;
  // The core is freed after the reply; a returning login must find its database closed.
  for (let i = 0; gw.hub.get(userID, PLATFORM_ID) !== undefined; i++) {
    if (i > 500) throw new Error(`session of ${userID} still open 5 s after Logout`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return timing;
}

async function gatewaySample(gw: RunningServer, dev: DevServer, userID: string): Promise<GatewaySample> {
  const first = await gatewayLogin(gw, dev, userID);
  const returning = await gatewayLogin(gw, dev, userID);
  return { first, returning };
}

// ───────────────────────────── core side ─────────────────────────────

async function coreLogin(pool: CorePool, sdkConfig: string, userID: string, token: string): Promise<CoreTiming> {
  let synced: (at: number) => void = () => {};
  const syncedAt = new Promise<number>((resolve) => (synced = resolve));
  const t0 = performance.now();
  const core: CoreHandle = await pool.startCore({
    userID,
    platformID: PLATFORM_ID,
    onEvent: (json) => {
      const e = parseCoreEvent(json);
      if ('event' in e && e.event === 'OnSyncServerFinish') synced(performance.now());
    },
  });
  const t1 = performance.now();
  const init = await core.call('initSDK', op(), [sdkConfig]);
  if (!Array.isArray(init) || init[0] !== true) throw new Error(`initSDK for ${userID} answered ${JSON.stringify(init)}`);
  const t2 = performance.now();
  await core.call('login', op(), [userID, token]);
  const t3 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ready = await Promise.race([
    syncedAt,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${userID}: no OnSyncServerFinish within ${SYNC_TIMEOUT_MS} ms`)), SYNC_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  // With the IM round trip, as the gateway's Logout does.
  await core.call('logout', op(), []);
  await core.dispose();
  return { createMs: t1 - t0, initMs: t2 - t1, loginMs: t3 - t2, readyMs: ready - t0 };
}

async function coreSample(pool: CorePool, sdkConfig: string, dev: DevServer, userID: string): Promise<CoreSample> {
  const token = await dev.userToken(userID, PLATFORM_ID);
  const first = await coreLogin(pool, sdkConfig, userID, token);
  const returning = await coreLogin(pool, sdkConfig, userID, token);
  return { first, returning };
}

// ───────────────────────────── report ─────────────────────────────

interface Stats {
  p50: number;
  p99: number;
}

function stats(xs: readonly number[]): Stats {
  const s = ascending(xs);
  return { p50: percentile(s, 0.5), p99: percentile(s, 0.99) };
}

async function main(): Promise<void> {
  deadline(BENCH, DEADLINE_MS);
  const started = performance.now();
  const loadAtStart = loadNow();
  console.log(
    `${BENCH}: Login on the official core with the dev server, one at a time; ${ROUNDS} rounds × ${PER_ROUND} fresh users per side, ` +
      `each with ${HISTORY.peers} conversations × ${HISTORY.messagesPerPeer} messages waiting`,
  );
  console.log(machineLine());

  const dataDir = mkdtempSync(join(tmpdir(), 'bench-login-'));
  const dev = await startDevServer({ apiPort: 0, wsPort: 0, logger: silent });
  let gw: RunningServer | undefined;
  let pool: CorePool | undefined;
  const gwSamples: GatewaySample[] = [];
  const coreSamples: CoreSample[] = [];
  try {
    gw = await startServer({
      ...defaultServerOptions(),
      host: '127.0.0.1',
      port: 0,
      core: 'official',
      workers: WORKERS,
      openimApi: dev.apiUrl,
      openimWs: dev.wsUrl,
      dataDir: join(dataDir, 'gateway'),
      logLevel: 'silent',
      logger: silent,
    });
    // The gateway's pool settings, so a core costs the same on both sides.
    pool = await CorePool.start({
      core: 'official',
      workers: WORKERS,
      coresPerWorker: gw.pool.options.coresPerWorker,
      coreMemoryLimitMiB: gw.pool.options.coreMemoryLimitMiB,
      logLevel: 'silent',
      logger: silent,
      dataDir: join(dataDir, 'core', 'users'),
    });
    const sdkConfig = buildSdkConfig({ openimApi: dev.apiUrl, openimWs: dev.wsUrl, dataDir: join(dataDir, 'core'), logLevel: 'silent' }, PLATFORM_ID);
    const g = gw;
    const p = pool;

    // Warm-up, not counted: the first core on each worker pays for compiling and caches.
    for (let i = 0; i < WORKERS; i++) {
      await seedHistory(dev, `gw-warm${i}`, HISTORY);
      await gatewaySample(g, dev, `gw-warm${i}`);
      await seedHistory(dev, `core-warm${i}`, HISTORY);
      await coreSample(p, sdkConfig, dev, `core-warm${i}`);
    }

    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < PER_ROUND; i++) {
        const gwUser = `gw-r${r}u${i}`;
        const coreUser = `core-r${r}u${i}`;
        await seedHistory(dev, gwUser, HISTORY);
        await seedHistory(dev, coreUser, HISTORY);
        if ((r + i) % 2 === 0) {
          gwSamples.push(await gatewaySample(g, dev, gwUser));
          coreSamples.push(await coreSample(p, sdkConfig, dev, coreUser));
        } else {
          coreSamples.push(await coreSample(p, sdkConfig, dev, coreUser));
          gwSamples.push(await gatewaySample(g, dev, gwUser));
        }
      }
      console.log(`round ${r + 1}/${ROUNDS} done at ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
  } finally {
    if (gw) await keptAlive(() => (gw as RunningServer).close());
    if (pool) await keptAlive(() => (pool as CorePool).close());
    await dev.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const kinds = ['first', 'returning'] as const;
  const rows: Array<Array<string | number>> = [];
  const summary: Record<string, number> = {};
  for (const kind of kinds) {
    const e2e = stats(gwSamples.map((s) => s[kind].loginMs));
    const gwReady = stats(gwSamples.map((s) => s[kind].readyMs));
    const create = stats(coreSamples.map((s) => s[kind].createMs));
    const init = stats(coreSamples.map((s) => s[kind].initMs));
    const login = stats(coreSamples.map((s) => s[kind].loginMs));
    const coreTotal = stats(coreSamples.map((s) => s[kind].createMs + s[kind].initMs + s[kind].loginMs));
    const coreReady = stats(coreSamples.map((s) => s[kind].readyMs));
    const share = e2e.p50 - login.p50;
    // Against the pool's whole start + initSDK + login per sample: a difference of two
    // medians, not a sum of three, which would carry the noise of each.
    const own = e2e.p50 - coreTotal.p50;
    rows.push([
      kind,
      e2e.p50.toFixed(0),
      e2e.p99.toFixed(0),
      login.p50.toFixed(0),
      login.p99.toFixed(0),
      share.toFixed(0),
      `${((100 * share) / e2e.p50).toFixed(0)} %`,
      create.p50.toFixed(0),
      init.p50.toFixed(1),
      coreTotal.p50.toFixed(0),
      own.toFixed(1),
      gwReady.p50.toFixed(0),
      coreReady.p50.toFixed(0),
    ]);
    summary[`${kind}P50Ms`] = round(e2e.p50);
    summary[`${kind}P99Ms`] = round(e2e.p99);
    summary[`${kind}CoreP50Ms`] = round(login.p50);
    summary[`${kind}GatewayShareP50Ms`] = round(share);
    summary[`${kind}GatewayOwnP50Ms`] = round(own, 1);
    summary[`${kind}ReadyP50Ms`] = round(gwReady.p50);
  }

  console.log(`\nlatency (ms), ${gwSamples.length} logins per cell; p99 of this few is close to the maximum`);
  console.log(
    table(['login', 'e2e p50', 'e2e p99', 'core p50', 'core p99', 'gw share', 'of e2e', 'core start', 'initSDK', 'pool all', 'gw own', 'gw ready', 'core ready'], rows),
  );
  console.log(
    "e2e = Login frame → reply through the gateway; core = the core's own login call on a pool; gw share = e2e p50 − core p50;\n" +
      "core start + initSDK are what the gateway has done before the core's login starts (pool p50s); pool all = start +\n" +
      "initSDK + login per pool sample; gw own = e2e p50 − pool all p50: the gateway's own code and hops;\n" +
      "ready = Login sent (pool: core start begun) → OnSyncServerFinish: the core's sync runs on after its login returns,\n" +
      'and a returning login finds most of it in its database',
  );

  const extra: string[] = [];
  const loadAtEnd = loadNow();
  if (Math.max(loadAtStart, loadAtEnd) > BUSY_LOAD) {
    extra.push(`note: load average ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end: other processes shared the machine`);
  }
  extra.push(`took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // No goal is set for login; the figures are for comparing runs and builds.
  finishBench(BENCH, [], extra, { samples: gwSamples.length, ...summary });
}

await runBench(BENCH, main);
