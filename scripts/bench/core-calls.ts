/**
 * core-calls: what the pool costs around a real (official) core call, and what each extra
 * core costs in memory.
 *
 *  - bare:  one CoreInstance in this thread, called directly;
 *  - pool:  CorePool with 2 workers, one core per worker, called from this thread
 *           through its handle's call (comlink over a MessagePort);
 *  - RSS:   one worker, 1 → 10 → 50 initialised cores, process RSS after each step.
 *
 * Throughput noise on a shared 2-vCPU machine is ±15–25 %, so bare and pool alternate over
 * several rounds and medians are reported. The last stdout line is one JSON object.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { loadCoreBuild } from '../../core-wasm/core-build.ts';
import { CoreInstance } from '../../core-wasm/core-instance.ts';
import type { CoreValue } from '../../core-wasm/call-result.ts';
import { CorePool } from '../../src/pool/core-pool.ts';
import type { CoreHandle } from '../../src/pool/worker/core-handle.ts';
import { closedLoopRate, sequentialLatencies, type LoopCall } from './lib/closed-loop.ts';
import { finishBench } from './lib/goals.ts';
import { deadline, keptAlive, median, mib, percentile, round, runBench, table } from './lib/report.ts';

const BENCH = 'core-calls';
const CALL = 'getLoginStatus';
const IN_FLIGHT = 64;
const ROUNDS = 3;
const WARMUP_MS = 1000;
const MEASURE_MS = 3000;
const LATENCY_WARMUP_MS = 200;
const LATENCY_MS = 1000;
const POOL_WORKERS = 2;
const RSS_STEPS = [1, 10, 50] as const;
const SETTLE_MS = 500;
/** The whole bench normally takes well under a minute; this only stops a stuck one. */
const DEADLINE_MS = 115_000;
/** rssPerCoreMB is in MiB, like the linear memory it tracks (24 MiB per initialised core). */
const GOALS = { ratio: 0.8, rssPerCoreMB: 26 };

const INIT_CONFIG = JSON.stringify({
  platformID: 5,
  apiAddr: 'http://127.0.0.1:1',
  wsAddr: 'ws://127.0.0.1:1',
  dataDir: './',
  logLevel: 1,
  isLogStandardOutput: false,
  logFilePath: './',
});

const silent = pino({ level: 'silent' });
let opSeq = 0;
const op = (): string => `bench-${++opSeq}`;

/** One call to the core; rejects on any failure so a broken setup cannot pass for fast. */
type Caller = (fn: string, args: unknown[]) => Promise<CoreValue>;

function bareCaller(core: CoreInstance): Caller {
  return async (fn, args) => {
    const r = await core.call(fn, op(), args);
    if (!r.ok) throw new Error(`${fn}: ${r.error.kind}: ${r.error.message}`);
    return r.value;
  };
}

function coreCaller(core: CoreHandle): Caller {
  return (fn, args) => core.call(fn, op(), args);
}

async function initSDK(call: Caller, who: string): Promise<void> {
  const v = await call('initSDK', [INIT_CONFIG]);
  if (!(Array.isArray(v) && v.length === 1 && v[0] === true)) {
    throw new Error(`initSDK on ${who} returned ${JSON.stringify(v)}, expected [true]`);
  }
}

/** `CALL` with no arguments, as the closed loops issue it. */
const callOf =
  (call: Caller): LoopCall =>
  () =>
    call(CALL, []);

/** One call in flight; returns latency percentiles in microseconds. */
async function latency(call: Caller, warmupMs: number, measureMs: number): Promise<{ p50: number; p99: number; n: number }> {
  const samples = await sequentialLatencies([callOf(call)], warmupMs, measureMs);
  return { p50: percentile(samples, 0.5) * 1000, p99: percentile(samples, 0.99) * 1000, n: samples.length };
}

interface RssResult {
  steps: Array<{ cores: number; rssMiB: number; linearMiB: number }>;
  perCoreMB: number;
  slope1to10MB: number;
}

/** Fresh 1-worker pool: RSS after 1, 10 and 50 initialised cores. Runs first, in a clean process. */
async function measureRss(): Promise<RssResult> {
  const pool = await CorePool.start({
    core: 'official',
    workers: 1,
    coresPerWorker: Math.max(...RSS_STEPS),
    logLevel: 'warn',
    logger: silent,
  });
  const steps: RssResult['steps'] = [];
  try {
    let n = 0;
    for (const target of RSS_STEPS) {
      for (; n < target; n++) {
        const s = await pool.startCore({ userID: `rss-${n}`, platformID: 5 });
        await initSDK(coreCaller(s), `rss-${n}`);
      }
      await sleep(SETTLE_MS);
      // Heartbeat figures are at most one interval old; after the settle they cover every core.
      const linear = pool.workers().reduce((sum, w) => sum + w.coreMemoryBytes, 0);
      steps.push({ cores: target, rssMiB: mib(process.memoryUsage().rss), linearMiB: mib(linear) });
    }
  } finally {
    await keptAlive(() => pool.close());
  }
  const first = steps[0] as RssResult['steps'][number];
  const second = steps[1] as RssResult['steps'][number];
  const last = steps[steps.length - 1] as RssResult['steps'][number];
  return {
    steps,
    perCoreMB: (last.rssMiB - first.rssMiB) / (last.cores - first.cores),
    slope1to10MB: (second.rssMiB - first.rssMiB) / (second.cores - first.cores),
  };
}

interface Round {
  bareRate: number;
  poolRate: number;
  bareP50: number;
  poolP50: number;
}

async function main(): Promise<void> {
  deadline(BENCH, DEADLINE_MS);
  const started = performance.now();

  console.log(`${BENCH}: ${CALL} on the official core; ${IN_FLIGHT} calls in flight, ${ROUNDS} rounds of ${WARMUP_MS / 1000}+${MEASURE_MS / 1000} s each side`);

  const rss = await measureRss();

  const build = await loadCoreBuild('official', { memoryLimitMiB: 256 });
  const bare = await CoreInstance.start({ module: build.module, abi: build.identity.goAbi, name: 'bench/5', logger: silent });
  const bareCall = bareCaller(bare);
  await initSDK(bareCall, 'the bare core');

  const pool = await CorePool.start({ core: 'official', workers: POOL_WORKERS, logLevel: 'warn', logger: silent });
  const rounds: Round[] = [];
  try {
    const cores: CoreHandle[] = [];
    for (let i = 0; i < POOL_WORKERS; i++) cores.push(await pool.startCore({ userID: `bench-${i}`, platformID: 5 }));
    const workerIds = new Set(cores.map((s) => s.workerId));
    if (workerIds.size !== POOL_WORKERS) throw new Error(`expected one core per worker, got workers ${[...workerIds].join(',')}`);
    const poolCalls = cores.map(coreCaller);
    for (const [i, c] of poolCalls.entries()) await initSDK(c, `pool core ${i}`);

    for (let r = 0; r < ROUNDS; r++) {
      const bareRate = await closedLoopRate([callOf(bareCall)], IN_FLIGHT, WARMUP_MS, MEASURE_MS);
      const poolRate = await closedLoopRate(poolCalls.map(callOf), IN_FLIGHT, WARMUP_MS, MEASURE_MS);
      const bareLat = await latency(bareCall, LATENCY_WARMUP_MS, LATENCY_MS);
      const poolLat = await latency(poolCalls[0] as Caller, LATENCY_WARMUP_MS, LATENCY_MS);
      rounds.push({ bareRate, poolRate, bareP50: bareLat.p50, poolP50: poolLat.p50 });
    }
  } finally {
    bare.dispose();
    await keptAlive(() => pool.close());
  }

  const bareRate = median(rounds.map((r) => r.bareRate));
  const poolRate = median(rounds.map((r) => r.poolRate));
  const ratio = poolRate / bareRate;
  const bareP50 = median(rounds.map((r) => r.bareP50));
  const poolP50 = median(rounds.map((r) => r.poolP50));

  console.log('\nthroughput (calls/s) and single-call latency (µs), bare core in this thread vs pool (2 workers, 1 core each)');
  console.log(
    table(
      ['round', 'bare /s', 'pool /s', 'pool/bare', 'bare p50 µs', 'pool p50 µs'],
      [
        ...rounds.map((r, i) => [String(i + 1), round(r.bareRate), round(r.poolRate), round(r.poolRate / r.bareRate, 2).toFixed(2), round(r.bareP50), round(r.poolP50)]),
        ['median', round(bareRate), round(poolRate), round(ratio, 2).toFixed(2), round(bareP50), round(poolP50)],
      ],
    ),
  );

  console.log('\nprocess RSS, 1 worker, initialised cores (linear memory as reported by the worker heartbeat)');
  console.log(
    table(
      ['cores', 'RSS MiB', 'linear MiB'],
      rss.steps.map((s) => [String(s.cores), round(s.rssMiB, 1).toFixed(1), round(s.linearMiB, 1).toFixed(1)]),
    ),
  );
  console.log(`RSS per extra core: ${rss.perCoreMB.toFixed(1)} MiB (1→50), ${rss.slope1to10MB.toFixed(1)} MiB (1→10)`);

  finishBench(
    BENCH,
    [
      { name: 'ratio', value: ratio, op: '>=', limit: GOALS.ratio },
      { name: 'rssPerCoreMB', value: rss.perCoreMB, op: '<=', limit: GOALS.rssPerCoreMB, digits: 1 },
    ],
    [`took ${((performance.now() - started) / 1000).toFixed(1)} s`],
    { bareRate: round(bareRate), poolRate: round(poolRate), ratio: round(ratio, 3), rssPerCoreMB: round(rss.perCoreMB, 1) },
  );
}

await runBench(BENCH, main);
