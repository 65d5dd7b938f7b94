/**
 * core-calls: what the pool costs around a real (official) core call, and what each extra
 * core costs in memory.
 *
 *  - bare:  one CoreInstance in this thread, called directly;
 *  - pool:  CorePool with 2 workers, one session per worker, called from this thread
 *           through session.call (comlink over a MessagePort);
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
import type { CoreSession } from '../../src/pool/core-session.ts';

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

function sessionCaller(session: CoreSession): Caller {
  return (fn, args) => session.call(fn, op(), args);
}

async function initSDK(call: Caller, who: string): Promise<void> {
  const v = await call('initSDK', [INIT_CONFIG]);
  if (!(Array.isArray(v) && v.length === 1 && v[0] === true)) {
    throw new Error(`initSDK on ${who} returned ${JSON.stringify(v)}, expected [true]`);
  }
}

/**
 * A bare core settles getLoginStatus's promise within the call itself, so a closed loop on
 * it runs entirely in microtasks and starves this thread's event loop: no timer fires and
 * no port message (the pool's heartbeat replies included) is read until the loop ends.
 * Every YIELD_EVERY_MS all loops park on one setImmediate so the event loop gets a turn;
 * otherwise the pool, silent for seconds, would declare its healthy workers hung.
 */
const YIELD_EVERY_MS = 5;

class Yielder {
  #gate: Promise<void> | undefined;
  #next = performance.now() + YIELD_EVERY_MS;

  /** Resolves at once, except about every YIELD_EVERY_MS, when it waits one event-loop turn. */
  turn(now: number): Promise<void> | undefined {
    if (this.#gate) return this.#gate;
    if (now < this.#next) return undefined;
    this.#gate = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.#gate = undefined;
      this.#next = performance.now() + YIELD_EVERY_MS;
    });
    return this.#gate;
  }
}

/**
 * Closed loop: `inFlight` callers spread round-robin over `callers`, each issuing its next
 * call as soon as the previous one settles. Counts the calls that complete inside the
 * measuring window. The windows are read off the clock, not from timers, which a
 * microtask-only loop would never let fire.
 */
async function throughput(callers: readonly Caller[], inFlight: number, warmupMs: number, measureMs: number): Promise<number> {
  const from = performance.now() + warmupMs;
  const to = from + measureMs;
  const yielder = new Yielder();
  let done = 0;
  const loop = async (call: Caller): Promise<void> => {
    for (let now = performance.now(); now < to; ) {
      await call(CALL, []);
      now = performance.now();
      if (now >= from && now < to) done++;
      const wait = yielder.turn(now);
      if (wait) await wait;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, (_, i) => loop(callers[i % callers.length] as Caller)));
  return (done * 1000) / measureMs;
}

/** One call in flight; returns latency percentiles in microseconds. */
async function latency(call: Caller, warmupMs: number, measureMs: number): Promise<{ p50: number; p99: number; n: number }> {
  const from = performance.now() + warmupMs;
  const to = from + measureMs;
  const yielder = new Yielder();
  const samples: number[] = [];
  for (let now = performance.now(); now < to; ) {
    const t = performance.now();
    await call(CALL, []);
    now = performance.now();
    if (t >= from) samples.push(now - t);
    // Outside the timed span, so the yield's own cost is not in the sample.
    const wait = yielder.turn(now);
    if (wait) await wait;
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 0.5) * 1000, p99: percentile(samples, 0.99) * 1000, n: samples.length };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const mib = (bytes: number): number => bytes / 2 ** 20;
const round = (x: number, digits = 0): number => Number(x.toFixed(digits));

function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/**
 * CorePool.close() as of this writing: a session's dispose() often (about half the time)
 * waits for a comlink reply that never comes, because the worker's core-exit notice got
 * there first and closed the port; it then returns only through an unref'd 1 s timer.
 * With nothing else keeping the loop alive, Node would exit mid-await with code 13, so
 * hold the loop open until close() has returned.
 */
async function closePool(pool: CorePool): Promise<void> {
  const keepAlive = setInterval(() => {}, 1000);
  try {
    await pool.close();
  } finally {
    clearInterval(keepAlive);
  }
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
        const s = await pool.createSession({ userID: `rss-${n}`, platformID: 5 });
        await initSDK(sessionCaller(s), `rss-${n}`);
      }
      await sleep(SETTLE_MS);
      // Heartbeat figures are at most one interval old; after the settle they cover every core.
      const linear = pool.workers().reduce((sum, w) => sum + w.coreMemoryBytes, 0);
      steps.push({ cores: target, rssMiB: mib(process.memoryUsage().rss), linearMiB: mib(linear) });
    }
  } finally {
    await closePool(pool);
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
  const deadline = setTimeout(() => {
    process.stderr.write(`${BENCH}: still running after ${DEADLINE_MS / 1000} s, giving up\n`);
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();
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
    const sessions: CoreSession[] = [];
    for (let i = 0; i < POOL_WORKERS; i++) sessions.push(await pool.createSession({ userID: `bench-${i}`, platformID: 5 }));
    const workerIds = new Set(sessions.map((s) => s.workerId));
    if (workerIds.size !== POOL_WORKERS) throw new Error(`expected one session per worker, got workers ${[...workerIds].join(',')}`);
    const poolCalls = sessions.map(sessionCaller);
    for (const [i, c] of poolCalls.entries()) await initSDK(c, `pool session ${i}`);

    for (let r = 0; r < ROUNDS; r++) {
      const bareRate = await throughput([bareCall], IN_FLIGHT, WARMUP_MS, MEASURE_MS);
      const poolRate = await throughput(poolCalls, IN_FLIGHT, WARMUP_MS, MEASURE_MS);
      const bareLat = await latency(bareCall, LATENCY_WARMUP_MS, LATENCY_MS);
      const poolLat = await latency(poolCalls[0] as Caller, LATENCY_WARMUP_MS, LATENCY_MS);
      rounds.push({ bareRate, poolRate, bareP50: bareLat.p50, poolP50: poolLat.p50 });
    }
  } finally {
    bare.dispose();
    await closePool(pool);
  }

  const bareRate = median(rounds.map((r) => r.bareRate));
  const poolRate = median(rounds.map((r) => r.poolRate));
  const ratio = poolRate / bareRate;
  const bareP50 = median(rounds.map((r) => r.bareP50));
  const poolP50 = median(rounds.map((r) => r.poolP50));

  console.log('\nthroughput (calls/s) and single-call latency (µs), bare core in this thread vs pool (2 workers, 1 session each)');
  console.log(
    table(
      ['round', 'bare /s', 'pool /s', 'pool/bare', 'bare p50 µs', 'pool p50 µs'],
      [
        ...rounds.map((r, i) => [
          String(i + 1),
          round(r.bareRate),
          round(r.poolRate),
          round(r.poolRate / r.bareRate, 2).toFixed(2),
          round(r.bareP50),
          round(r.poolP50),
        ]),
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

  const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  console.log(`\ngoal ratio ≥ ${GOALS.ratio}: ${ratio.toFixed(2)} ${met(ratio >= GOALS.ratio)}`);
  console.log(`goal rssPerCoreMB ≤ ${GOALS.rssPerCoreMB}: ${rss.perCoreMB.toFixed(1)} ${met(rss.perCoreMB <= GOALS.rssPerCoreMB)}`);
  console.log(`took ${((performance.now() - started) / 1000).toFixed(1)} s`);

  console.log(
    JSON.stringify({
      bench: BENCH,
      bareRate: round(bareRate),
      poolRate: round(poolRate),
      ratio: round(ratio, 3),
      rssPerCoreMB: round(rss.perCoreMB, 1),
    }),
  );
}

try {
  await main();
} catch (err) {
  process.stderr.write(`${BENCH} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
