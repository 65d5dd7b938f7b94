/**
 * sessions: what one logged-in session costs the gateway's process in memory, against
 * what one bare core costs in a pool with the same settings, both measured in this run.
 *
 *  - gateway: a child process runs `startServer` (official core, 2 workers × 100 cores);
 *             this process opens one socket per user and logs it in (dev server tokens),
 *             waits for each core's OnSyncServerFinish, then asks the child for its RSS
 *             (main thread + core workers) at 0, 50 and 200 sessions;
 *  - bare:    another child runs a CorePool with the same settings and starts cores with
 *             initSDK only (no login, no socket, no database), RSS at 0, 50 and 200.
 *
 * Per session = (RSS at N − RSS at 0) / N, so what the process holds before the first
 * core (V8, the compiled module, idle workers) is in neither figure. The sockets and the
 * dev server live here, outside both children's RSS (see lib/memory-host.ts).
 *
 * The last stdout line is one JSON object (the figures at the largest N).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { startDevServer } from '../../src/devserver/dev-server.ts';
import { GwClient } from './lib/gw-client.ts';
import { HelperProcess } from './lib/helper-process.ts';
import type { HostConfig, HostReply, HostRequest, MemoryReading } from './lib/memory-host.ts';
import { finishBench } from './lib/goals.ts';
import { deadline, fmt, loadNow, machineLine, mib, round, runBench, table } from './lib/report.ts';

const BENCH = 'sessions';
const STEPS = [50, 200] as const;
const PLATFORM_ID = 5;
const WORKERS = 2;
/** Room for the largest step: workers × coresPerWorker ≥ 200. */
const CORES_PER_WORKER = 100;
/** Logins in flight: enough to keep both workers busy, few enough not to starve their heartbeats. */
const LOGIN_CONCURRENCY = 4;
/**
 * Hang threshold for both pools here, instead of the default 1 s. Memory is measured, not
 * liveness; on a 2-CPU machine shared with test runs a worker starting its 150th core
 * was once silent for just over 1 s and got replaced, which voids the readings. The
 * longest silence is printed, so a worker coming close is still seen.
 */
const HANG_THRESHOLD_MS = 5000;
const SYNC_TIMEOUT_MS = 60_000;
/** The runner kills a bench after 180 s; this one takes 55–85 s on a busy 2-CPU machine. */
const DEADLINE_MS = 175_000;
/** RSS per session over RSS per bare core: ≤ 1.1 keeps ≥ 900 sessions on 24 GiB. */
const GOAL_RATIO = 1.1;
const BUSY_LOAD = 0.5;

const HOST_URL = new URL('./lib/memory-host.ts', import.meta.url).href;
const silent = pino({ level: 'silent' });

type Host = HelperProcess<HostRequest, HostReply>;

function startHost(role: 'gateway' | 'bare', config: HostConfig): Host {
  return HelperProcess.start<HostRequest, HostReply>(HOST_URL, [role, JSON.stringify(config)]);
}

async function reading(host: Host, req: HostRequest): Promise<MemoryReading & { url: string | undefined }> {
  const reply = await host.request(req);
  if (!reply.reading) throw new Error(`memory host answered ${JSON.stringify(reply)} to ${req.type}`);
  return { ...reply.reading, url: reply.url };
}

async function closeHost(host: Host): Promise<void> {
  try {
    await host.request({ type: 'close' });
  } finally {
    await host.exited();
  }
}

const delta = (a: number | undefined, b: number | undefined): number => (a === undefined || b === undefined ? NaN : a - b);

interface Step {
  n: number;
  /** MiB per session (gateway) or per core (bare), RSS and linear memory. */
  gwRss: number;
  gwLinear: number;
  /** Resident part of the wasm memories (NaN without /proc). */
  gwWasm: number;
  bareRss: number;
  bareLinear: number;
  bareWasm: number;
  loginS: number;
  /** Longest heartbeat silence of any worker while this step's cores started. */
  gwSilentMs: number;
  bareSilentMs: number;
}

async function main(): Promise<void> {
  deadline(BENCH, DEADLINE_MS);
  const started = performance.now();
  const loadAtStart = loadNow();
  const maxN = Math.max(...STEPS);
  console.log(
    `${BENCH}: RSS per logged-in session through the gateway (official core, dev server) vs per bare core after initSDK; ` +
      `${WORKERS} workers × ${CORES_PER_WORKER} cores, N = ${STEPS.join(' and ')}`,
  );
  console.log(machineLine());

  const dataDir = mkdtempSync(join(tmpdir(), 'bench-sessions-'));
  const dev = await startDevServer({ apiPort: 0, wsPort: 0, logger: silent });
  const base = { apiUrl: dev.apiUrl, wsUrl: dev.wsUrl, workers: WORKERS, coresPerWorker: CORES_PER_WORKER, hangThresholdMs: HANG_THRESHOLD_MS };
  const users: Array<{ userID: string; token: string }> = [];
  for (let i = 0; i < maxN; i++) users.push({ userID: `sess${i}`, token: await dev.userToken(`sess${i}`, PLATFORM_ID) });

  const clients: GwClient[] = [];
  let bare: Host | undefined;
  let gateway: Host | undefined;
  const steps: Step[] = [];
  let bare0: MemoryReading;
  let gw0: MemoryReading;
  try {
    // Bare first, in its own process, gone before the gateway starts: the two never run at once.
    const bareStarted = performance.now();
    bare = startHost('bare', { ...base, dataDir: join(dataDir, 'bare') });
    bare0 = await reading(bare, { type: 'measure', cores: 0 });
    const bareSteps: MemoryReading[] = [];
    for (const n of STEPS) bareSteps.push(await reading(bare, { type: 'grow', cores: n }));
    if (bareSteps.some((b) => b.workersReplaced > 0)) throw new Error('a worker of the bare pool was replaced (hung or died); readings void');
    await closeHost(bare);
    bare = undefined;
    console.log(`bare pool: ${maxN} cores measured in ${((performance.now() - bareStarted) / 1000).toFixed(1)} s`);

    gateway = startHost('gateway', { ...base, dataDir: join(dataDir, 'gateway') });
    const first = await reading(gateway, { type: 'measure', cores: 0 });
    gw0 = first;
    const url = first.url;
    if (url === undefined) throw new Error('the gateway host did not say where it listens');

    const logIn = async (u: { userID: string; token: string }): Promise<void> => {
      const c = await GwClient.connect(url, u.userID, u.token, PLATFORM_ID);
      clients.push(c);
      const mark = c.mark;
      await c.login(u.token);
      // Logged in is not settled: the core's first sync allocates as it goes.
      await c.event('OnSyncServerFinish', mark, SYNC_TIMEOUT_MS);
    };
    for (const [i, n] of STEPS.entries()) {
      const t0 = performance.now();
      let next = clients.length;
      const lane = async (): Promise<void> => {
        while (next < n) await logIn(users[next++] as { userID: string; token: string });
      };
      await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, lane));
      const loginS = (performance.now() - t0) / 1000;
      const r = await reading(gateway, { type: 'measure', cores: n });
      if (r.workersReplaced > 0) throw new Error(`a core worker of the gateway was replaced (hung or died) on the way to ${n} sessions; readings void`);
      if (r.loggedIn !== n) throw new Error(`expected ${n} logged-in sessions, the gateway has ${String(r.loggedIn)}`);
      const b = bareSteps[i] as MemoryReading;
      steps.push({
        n,
        gwRss: mib(r.rssBytes - gw0.rssBytes) / n,
        gwLinear: mib(r.linearBytes) / n,
        gwWasm: mib(delta(r.wasmResidentBytes, gw0.wasmResidentBytes)) / n,
        bareRss: mib(b.rssBytes - bare0.rssBytes) / n,
        bareLinear: mib(b.linearBytes) / n,
        bareWasm: mib(delta(b.wasmResidentBytes, bare0.wasmResidentBytes)) / n,
        loginS,
        gwSilentMs: r.maxSilentMs,
        bareSilentMs: b.maxSilentMs,
      });
      console.log(`gateway: ${n} sessions logged in and synced (${loginS.toFixed(1)} s for the last ${n - (i === 0 ? 0 : (STEPS[i - 1] as number))})`);
    }
    await closeHost(gateway);
    gateway = undefined;
  } finally {
    bare?.kill();
    gateway?.kill();
    await Promise.all(clients.map((c) => c.close()));
    await dev.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  console.log('\nmemory per session (gateway) and per bare core, MiB: (reading at N − reading at 0) / N');
  console.log(
    table(
      ['N', 'gw RSS', 'gw wasm', 'gw other', 'gw linear', 'bare RSS', 'bare wasm', 'bare other', 'bare linear', 'ratio'],
      steps.map((s) => [
        String(s.n),
        s.gwRss.toFixed(2),
        fmt(s.gwWasm, 2),
        fmt(s.gwRss - s.gwWasm, 2),
        s.gwLinear.toFixed(1),
        s.bareRss.toFixed(2),
        fmt(s.bareWasm, 2),
        fmt(s.bareRss - s.bareWasm, 2),
        s.bareLinear.toFixed(1),
        (s.gwRss / s.bareRss).toFixed(3),
      ]),
    ),
  );
  console.log(
    `RSS at 0: gateway ${mib(gw0.rssBytes).toFixed(0)} MiB, bare pool ${mib(bare0.rssBytes).toFixed(0)} MiB. wasm = resident pages of the\n` +
      "cores' linear memories (smaps); other = RSS − wasm: SQLite, sockets, JS objects, worker heaps; linear = the cores'\n" +
      'linear memory size (heartbeat), which the Go runtime grows and never returns, resident or not',
  );
  for (const s of steps) {
    const extra = s.gwRss - s.bareRss;
    const wasmExtra = s.gwWasm - s.bareWasm;
    console.log(
      `N = ${s.n}: a session costs ${extra.toFixed(2)} MiB more than a bare core: ${fmt(wasmExtra, 2)} in the core's wasm memory ` +
        `(login, sync, its socket to the IM server), ${fmt(extra - wasmExtra, 2)} outside it`,
    );
  }
  if (steps.length >= 2) {
    // From one step to the next the one-off costs (first logins of each worker) cancel out.
    const a = steps[steps.length - 2] as Step;
    const b = steps[steps.length - 1] as Step;
    const gwMarginal = (b.gwRss * b.n - a.gwRss * a.n) / (b.n - a.n);
    const bareMarginal = (b.bareRss * b.n - a.bareRss * a.n) / (b.n - a.n);
    console.log(
      `marginal ${a.n} → ${b.n}: ${gwMarginal.toFixed(2)} MiB per session vs ${bareMarginal.toFixed(2)} per bare core, ratio ${(gwMarginal / bareMarginal).toFixed(3)}`,
    );
  }
  console.log(
    `longest heartbeat silence of a worker while cores started (hang threshold here ${HANG_THRESHOLD_MS} ms, default 1000): ` +
      steps.map((s) => `N = ${s.n}: gateway ${s.gwSilentMs.toFixed(0)} ms, bare ${s.bareSilentMs.toFixed(0)} ms`).join('; '),
  );
  const last = steps[steps.length - 1] as Step;
  const ratio = last.gwRss / last.bareRss;
  const extra = steps.map(
    (s) => `at N = ${s.n}: ${Math.floor((24 * 1024) / s.gwRss)} sessions would fit in 24 GiB at ${s.gwRss.toFixed(1)} MiB each (before the fixed part)`,
  );
  const loadAtEnd = loadNow();
  if (Math.max(loadAtStart, loadAtEnd) > BUSY_LOAD) {
    extra.push(`note: load average ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end: other processes shared the machine`);
  }
  extra.push(`took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  finishBench(BENCH, [{ name: 'ratio', value: ratio, op: '<=', limit: GOAL_RATIO, what: `at N = ${last.n}`, digits: 3 }], extra, {
    sessions: last.n,
    rssPerSessionMB: round(last.gwRss, 2),
    bareInstanceMB: round(last.bareRss, 2),
    ratio: round(ratio, 3),
    steps: steps.map((s) => ({ sessions: s.n, rssPerSessionMB: round(s.gwRss, 2), bareInstanceMB: round(s.bareRss, 2), ratio: round(s.gwRss / s.bareRss, 3) })),
  });
}

await runBench(BENCH, main);
