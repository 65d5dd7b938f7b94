/**
 * fuzz: property-based (fast-check) handshakes and envelopes against a running gateway.
 *
 *   npm run fuzz [-- --runs 100000 --seed N --seconds 900 --core test]
 *
 * The gateway runs in a child process (lib/gateway-child.ts). At the same time:
 *  (a) handshakes — arbitrary query strings written raw on TCP (lib/fuzz-handshake.ts):
 *      each must get the HTTP status the protocol gives it (400/401/429/503, 101 when
 *      valid) promptly, with a JSON {errCode, errMsg} body on refusals;
 *  (b) envelopes — arbitrary frames on logged-in sockets, one lane per user
 *      (lib/fuzz-frames.ts): each must get one well-formed response (errCode ≠ 0 and an
 *      errMsg for bad input, the operationID echoed, the request's frame type), and the
 *      socket must still answer GetLoginStatus = "3" afterwards;
 *  (c) a bystander session answers GetLoginStatus = "3" throughout.
 * At the end: the gateway is alive and /healthz is 200, no core was lost, nothing was
 * logged at error level, and every session and socket the fuzzer opened is gone again.
 *
 * Problems do not stop the run: each kind is recorded once with the first input that
 * showed it (and counted), so one bug does not hide the others. `--core official` (with
 * the embedded dev server) fuzzes envelopes only (its tokens are real, so the handshake
 * oracle does not apply) and is slower: use a smaller --runs.
 *
 * An answer with an internal error (10006, 20007) is a finding whatever the input, and
 * generated structures reach far beyond the JSON limits as well as just under them
 * (lib/fuzz-frames.ts, `deep-*` categories).
 *
 * Prints a table, each finding with its input, then one JSON line; exits 1 on any finding
 * or when the time bound (--seconds) stopped it before --runs inputs, 2 on bad flags.
 */
import fc from 'fast-check';
import { startDevServer, type DevServer } from '../src/devserver/dev-server.ts';
import { okToken, startFakeIm, type FakeIm } from './lib/fake-im.ts';
import { Findings, type Finding } from './lib/findings.ts';
import { runIfMain, scriptFlags } from './lib/flags.ts';
import { Bystander } from './lib/attack-bystander.ts';
import { FrameLane, frameArbitrary } from './lib/fuzz-frames.ts';
import { checkHandshake, handshakeArbitrary, type HandshakeContext, type HandshakeStats } from './lib/fuzz-handshake.ts';
import { GatewayProcess } from './lib/gateway-process.ts';
import { ImSocket } from './lib/im-socket.ts';
import { until } from './lib/timing.ts';

export const FUZZ_FLAGS = {
  runs: { type: 'int', default: 100_000, min: 1, help: 'inputs in all (handshakes + frames)' },
  seed: { type: 'int', default: 0, min: 0, max: 2 ** 31 - 1, help: 'fast-check seed (0: a new one, printed)' },
  seconds: { type: 'int', default: 900, min: 10, help: 'hard time bound for the inputs' },
  core: { type: 'choice', default: 'test', choices: ['test', 'official'], help: 'core build' },
  lanes: { type: 'int', default: 2, min: 1, max: 32, help: 'logged-in sockets fuzzed in parallel' },
  'handshake-pct': { type: 'int', default: 30, min: 0, max: 100, help: 'share of the runs spent on handshakes (test core)' },
  examples: { type: 'bool', help: 'also print the first frame answered with each errCode' },
  help: { type: 'bool', help: 'show this help' },
} as const;

export interface FuzzOptions {
  runs: number;
  seed: number;
  seconds: number;
  core: 'test' | 'official';
  lanes: number;
  handshakePct: number;
  log?: (line: string) => void;
}

export interface FuzzResult {
  fuzz: string;
  seed: number;
  inputs: number;
  /** Inputs asked for (--runs); fewer were tried when `interrupted`. */
  runs: number;
  handshakes: number;
  frames: number;
  /** Gateway process crashes (0 or 1: the run stops there). */
  crashes: number;
  coresLost: number;
  workersReplaced: number;
  hangs: number;
  /** Distinct problems found; `findingInputs` inputs showed one. */
  findings: number;
  findingInputs: number;
  bystanderProbes: number;
  bystanderFailures: number;
  bystanderMaxMs: number;
  healthz: number;
  errorLogs: number;
  handshakeStatuses: Record<string, number>;
  frameCategories: Record<string, number>;
  frameCodes: Record<string, number>;
  frameExamples: Record<string, { frame: string; response: string }>;
  frameErrors: number;
  frameSuccesses: number;
  relogins: number;
  seconds: number;
  interrupted: boolean;
  ok: boolean;
  details: Finding[];
  /** Worth reading, not failures: e.g. unclear errors of pass-through functions, which the gateway does not check. */
  notes: Finding[];
}

const PLATFORM_ID = 5;
const CROWD = { userID: 'fuzz-crowd', platformID: PLATFORM_ID };
const MAX_CONNS_PER_USER = 10;
const GRACE_MS = 1000;
const BYSTANDER_INTERVAL_MS = 20;
const BYSTANDER_TIMEOUT_MS = 5000;

async function openLoggedIn(url: string, userID: string, token: string): Promise<ImSocket> {
  const s = await ImSocket.open(url, { sendID: userID, token, platformID: PLATFORM_ID });
  const r = await s.request('Login', [userID, token], { timeoutMs: 30_000 });
  if (r.env.errCode !== 0) throw new Error(`Login of ${userID} failed: ${r.raw}`);
  return s;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const seed = options.seed > 0 ? options.seed : Date.now() % 2 ** 31;
  const findings = new Findings();
  const notes = new Findings();
  const handshakeRuns = options.core === 'test' ? Math.round((options.runs * options.handshakePct) / 100) : 0;
  const frameRuns = options.runs - handshakeRuns;

  let im: FakeIm | undefined;
  let dev: DevServer | undefined;
  let gw: GatewayProcess | undefined;
  const sockets: ImSocket[] = [];
  const lanes: FrameLane[] = [];
  let bystander: Bystander | undefined;
  try {
    if (options.core === 'test') im = await startFakeIm();
    else dev = await startDevServer({ apiPort: 0, wsPort: 0 });
    gw = await GatewayProcess.start({
      core: options.core,
      workers: 2,
      coresPerWorker: 50,
      gracePeriodMs: GRACE_MS,
      maxConnsPerUser: MAX_CONNS_PER_USER,
      openimApi: im?.url ?? (dev as DevServer).apiUrl,
      openimWs: dev?.wsUrl ?? 'ws://127.0.0.1:1',
      logLevel: 'warn',
    });
    const token = async (userID: string): Promise<string> => (dev ? dev.userToken(userID, PLATFORM_ID) : okToken(userID, PLATFORM_ID));
    log(`gateway pid ${gw.pid} at ${gw.url} (${options.core} core); seed ${seed}; ${handshakeRuns} handshakes, ${frameRuns} frames over ${options.lanes} lanes`);

    // (c) the bystander, and the crowd that keeps one user+platform at its connection limit.
    const bystanderSocket = await openLoggedIn(gw.url, 'fuzz-bystander', await token('fuzz-bystander'));
    sockets.push(bystanderSocket);
    if (handshakeRuns > 0) {
      const crowdToken = await token(CROWD.userID);
      for (let i = 0; i < MAX_CONNS_PER_USER; i++) sockets.push(await ImSocket.open(gw.url, { sendID: CROWD.userID, token: crowdToken, platformID: CROWD.platformID }));
    }
    for (let i = 0; i < options.lanes; i++) {
      const userID = `fuzz-lane-${i}`;
      const imHost = new URL(im?.url ?? (dev as DevServer).apiUrl).host;
      const lane = new FrameLane(gw.url, { userID, token: await token(userID) }, PLATFORM_ID, gw, findings, notes, [imHost]);
      await lane.open();
      lanes.push(lane);
    }
    const baseline = await gw.figures();
    const baselineConns = (await gw.healthz()).body.connections ?? -1;
    bystander = new Bystander(bystanderSocket, BYSTANDER_TIMEOUT_MS, (p) =>
      findings.add('bystander', 'bystander GetLoginStatus is not "3"', 'GetLoginStatus on an unrelated session', p.observed),
    );
    bystander.start(BYSTANDER_INTERVAL_MS);

    const deadline = started + options.seconds * 1000;
    const remaining = (): number => Math.max(1000, deadline - performance.now());
    let interrupted = false;
    const checkParams = (runs: number, laneSeed: number): fc.Parameters<unknown> => ({
      numRuns: runs,
      seed: laneSeed,
      endOnFailure: true,
      plugins: [fc.interruptAfterTimeLimit(remaining())],
    });
    const note = (what: string, d: fc.RunDetails<unknown>): void => {
      if (d.interrupted) interrupted = true;
      // A property only fails when the harness itself broke (e.g. a lane could not log in again).
      if (d.failed) findings.add('harness', `${what} stopped: ${String(d.errorInstance)}`, fc.stringify(d.counterexample), String(d.errorInstance));
    };

    // (a) handshakes
    const hsStats: HandshakeStats = { handshakes: 0, byStatus: {} };
    const hsContext: HandshakeContext = { port: gw.port, crowd: CROWD, imUrl: im?.url ?? (dev as DevServer).apiUrl };
    let hsSeq = 0;
    const handshakeRun =
      handshakeRuns === 0
        ? Promise.resolve()
        : fc
            .check(
              fc.asyncProperty(handshakeArbitrary, async (c) => {
                await checkHandshake(c, ++hsSeq, hsContext, findings, hsStats);
                return true;
              }),
              checkParams(handshakeRuns, seed),
            )
            .then((d) => note('handshakes', d));

    // (b) frames, one property per lane
    const frameRunsPerLane = (i: number): number => Math.floor(frameRuns / lanes.length) + (i < frameRuns % lanes.length ? 1 : 0);
    const frameRunsDone = lanes.map(async (lane, i) => {
      const runs = frameRunsPerLane(i);
      if (runs === 0) return;
      let n = 0;
      const arb = frameArbitrary({ self: lane.user.userID, coreFunctions: gw!.coreFunctions });
      const d = await fc.check(
        fc.asyncProperty(arb, async (spec) => {
          await lane.exchange(spec, ++n);
          return true;
        }),
        checkParams(runs, seed + 1 + i),
      );
      note(`frame lane ${i}`, d);
    });

    const progress = setInterval(() => {
      const frames = lanes.reduce((s, l) => s + l.stats.frames, 0);
      log(`${((performance.now() - started) / 1000).toFixed(0)} s: ${hsStats.handshakes} handshakes, ${frames} frames, ${findings.size} findings`);
    }, 15_000);
    try {
      await Promise.all([handshakeRun, ...frameRunsDone]);
    } finally {
      clearInterval(progress);
    }
    await bystander.stop();

    // End state: the gateway alive and healthy, everything the fuzzer opened gone again.
    const crashed = gw.crashed;
    let healthz = 0;
    let errorLogs = 0;
    if (!crashed) {
      healthz = (await gw.healthz()).status;
      if (healthz !== 200) findings.add('gateway', `/healthz answered ${healthz} after fuzzing`, '', '');
      let last = baseline;
      let conns = -1;
      const back = await until(
        async () => {
          last = await gw!.figures();
          conns = (await gw!.healthz()).body.connections ?? -1;
          return last.sessions === baseline.sessions && last.poolCores === baseline.poolCores && conns === baselineConns;
        },
        GRACE_MS + 15_000,
        100,
      );
      if (!back) {
        findings.add(
          'gateway',
          'sessions, cores or connections left behind by fuzzed inputs',
          `baseline: ${baseline.sessions} sessions, ${baseline.poolCores} cores, ${baselineConns} connections`,
          `now: ${last.sessions} sessions ${JSON.stringify(last.sessionsByState)}, ${last.poolCores} cores, ${conns} connections`,
        );
      }
      for (const e of gw.errorLogs()) {
        errorLogs += e.count;
        findings.add('gateway', `logged at error level: ${e.msg}`, `×${e.count}`, e.example);
      }
    } else {
      findings.add('gateway', 'gateway process crashed', JSON.stringify(gw.exit), gw.stderrTail.join('\n'));
    }
    const attributed = new Set(lanes.map((l) => l.user.userID));
    for (const lost of gw.lostCores) {
      if (!attributed.has(lost.userID)) findings.add('gateway', `core of a session the fuzzer did not touch was lost (${lost.reason})`, lost.userID, lost.message);
    }
    for (const w of gw.workerReplacements) findings.add('gateway', `core worker replaced (${w.reason})`, `worker ${w.workerId}`, `${w.lostCores} cores lost`);

    const all = findings.all();
    const frames = lanes.reduce((s, l) => s + l.stats.frames, 0);
    const byCategory: Record<string, number> = {};
    for (const l of lanes) for (const [k, v] of Object.entries(l.stats.byCategory)) byCategory[k] = (byCategory[k] ?? 0) + v;
    const byCode: Record<string, number> = {};
    const examples: FuzzResult['frameExamples'] = {};
    for (const l of lanes) for (const [k, v] of Object.entries(l.stats.byCode)) byCode[k] = (byCode[k] ?? 0) + v;
    for (const l of lanes) for (const [k, v] of Object.entries(l.stats.examples)) examples[k] ??= v;
    const hangs = all.filter((f) => /no response within|no HTTP status within|neither answered/.test(f.problem)).reduce((s, f) => s + f.count, 0);
    return {
      fuzz: options.core,
      seed,
      inputs: hsStats.handshakes + frames,
      runs: options.runs,
      handshakes: hsStats.handshakes,
      frames,
      crashes: crashed ? 1 : 0,
      coresLost: gw.lostCores.length,
      workersReplaced: gw.workerReplacements.length,
      hangs,
      findings: all.length,
      findingInputs: findings.total,
      bystanderProbes: bystander.asked,
      bystanderFailures: bystander.asked - bystander.answered,
      bystanderMaxMs: Math.round(bystander.maxMs),
      healthz,
      errorLogs,
      handshakeStatuses: hsStats.byStatus,
      frameCategories: byCategory,
      frameCodes: byCode,
      frameExamples: examples,
      frameErrors: lanes.reduce((s, l) => s + l.stats.errors, 0),
      frameSuccesses: lanes.reduce((s, l) => s + l.stats.successes, 0),
      relogins: lanes.reduce((s, l) => s + l.stats.relogins, 0),
      seconds: Math.round((performance.now() - started) / 100) / 10,
      interrupted,
      // A run the time bound cut short did not try what it advertised: not a pass.
      ok: all.length === 0 && !crashed && !interrupted,
      details: all,
      notes: notes.all(),
    };
  } finally {
    await bystander?.stop();
    for (const l of lanes) await l.close().catch(() => {});
    for (const s of sockets) s.terminate();
    await gw?.close();
    await im?.close();
    await dev?.close();
  }
}

export function fuzzReport(r: FuzzResult): string {
  const rows: Array<[string, string]> = [
    ['core', r.fuzz],
    ['seed', String(r.seed)],
    ['inputs', `${r.inputs} of ${r.runs}${r.interrupted ? ' — CUT SHORT by the time bound (--seconds)' : ''}`],
    [
      'handshakes',
      `${r.handshakes}  ${Object.entries(r.handshakeStatuses)
        .map(([k, v]) => `${k}:${v}`)
        .join(' ')}`,
    ],
    ['frames', `${r.frames}  (${r.frameErrors} errors, ${r.frameSuccesses} successes, ${r.relogins} logouts + re-logins)`],
    [
      '  by category',
      Object.entries(r.frameCategories)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    [
      '  by errCode',
      Object.entries(r.frameCodes)
        .sort(([, a], [, b]) => b - a)
        .map(([k, v]) => `${k}:${v}`)
        .join(' '),
    ],
    ['gateway crashes', String(r.crashes)],
    ['cores lost', String(r.coresLost)],
    ['workers replaced', String(r.workersReplaced)],
    ['hangs', String(r.hangs)],
    ['bystander', `${r.bystanderProbes} probes, ${r.bystanderFailures} failed, slowest ${r.bystanderMaxMs} ms`],
    ['/healthz at end', String(r.healthz)],
    ['error-level logs', String(r.errorLogs)],
    ['findings', `${r.findings} distinct, ${r.findingInputs} inputs`],
    ['notes', `${r.notes.length} (not failures)`],
    ['time', `${r.seconds} s`],
    ['result', r.ok ? 'PASS' : `FAIL${r.interrupted ? ' (the time bound cut the run short of its --runs)' : ''}`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
  const show = (label: string, f: Finding): void => {
    lines.push('', `${label} [${f.area}] ×${f.count}: ${f.problem}`);
    if (f.variants.length > 0) lines.push(`  seen with: ${f.variants.join(', ')}`);
    lines.push(`  input:    ${f.input}`, `  observed: ${f.observed}`);
  };
  r.details.forEach((f, i) => show(`finding ${i + 1}`, f));
  r.notes.forEach((f, i) => show(`note ${i + 1} (not a failure)`, f));
  return lines.join('\n');
}

async function main(): Promise<number> {
  const flags = scriptFlags('fuzz', FUZZ_FLAGS, process.argv.slice(2));
  if (typeof flags === 'number') return flags;
  const result = await runFuzz({
    runs: flags.runs,
    seed: flags.seed,
    seconds: flags.seconds,
    core: flags.core,
    lanes: flags.lanes,
    handshakePct: flags['handshake-pct'],
    log: (line) => process.stderr.write(`fuzz: ${line}\n`),
  });
  process.stdout.write(`${fuzzReport(result)}\n`);
  if (flags.examples) {
    for (const [code, e] of Object.entries(result.frameExamples)) process.stdout.write(`\nerrCode ${code}\n  frame:    ${e.frame}\n  response: ${e.response}\n`);
  }
  const { details: _details, notes: _notes, handshakeStatuses: _s, frameCategories: _c, frameCodes: _k, frameExamples: _e, ...summary } = result;
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return result.ok ? 0 : 1;
}

runIfMain('fuzz', import.meta.url, main);
