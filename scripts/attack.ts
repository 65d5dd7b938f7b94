/**
 * attack: hostile input, black-box, against the real command-line gateway.
 *
 *   npm run attack [-- --core both|test|official --seed N --seconds 1800 --per-slot 0 …]
 *
 * The gateway runs as `openim-jssdk-server` does (src/cli.ts in its own process, see
 * lib/attack-target.ts) against an OpenIM dev server in another process. For every function
 * a client can name — every row of the protocol table and every pass-through function of the
 * loaded core — before and after Login, it sends hostile arguments in every position (deep
 * and wide structures at and beyond the limits, huge strings and arrays, prototype keys, lone
 * surrogates, numbers beyond 2^53 and int32, number-like texts, wrong types, JSON texts
 * holding hostile JSON) and wrong argument counts (lib/attack-plan.ts, lib/attack-values.ts);
 * then envelope-level abuse (lib/attack-envelope.ts) and handshake-level abuse
 * (lib/attack-handshake.ts). Each input gets the answer the protocol gives it, or a finding.
 * After each batch the process must be alive, /healthz 200, a bystander session answering
 * promptly, RSS bounded, and /metrics must count no internal error (lib/attack-run.ts).
 *
 * Prints per core: inputs tried (of planned), process deaths, bystander answered/asked,
 * peak RSS growth, then each finding with the first input that showed it, then one JSON
 * line. Exits 1 on any finding or when the time bound or too many deaths cut the run short
 * of its planned volume, 2 on bad flags. Seeded: the same seed sends the same inputs.
 */
import { startImProxy } from './lib/attack-im-proxy.ts';
import { CoreAttack, type CoreAttackResult } from './lib/attack-run.ts';
import { DevServerProcess } from './lib/attack-target.ts';
import { Findings, type Finding } from './lib/findings.ts';
import { runIfMain, scriptFlags } from './lib/flags.ts';

export const ATTACK_FLAGS = {
  core: { type: 'choice', default: 'both', choices: ['both', 'test', 'official'], help: 'core build(s) to attack' },
  seed: { type: 'int', default: 0, min: 0, max: 2 ** 31 - 1, help: 'seed of every random choice (0: a new one, printed)' },
  seconds: { type: 'int', default: 1200, min: 10, help: 'time bound for the whole run' },
  'per-slot': { type: 'int', default: 0, min: 0, max: 1000, help: 'hostile values per function, Login state and argument position (0: the whole catalog)' },
  'heavy-slots': { type: 'int', default: 24, min: 0, max: 10_000, help: 'slots that also get the megabyte values, per core' },
  scale: { type: 'choice', default: 'full', choices: ['full', 'short'], help: 'envelope and handshake volume' },
  'envelope-and-handshake': {
    type: 'choice',
    default: 'every-core',
    choices: ['every-core', 'first-core', 'none'],
    help: 'cores whose run goes on with envelope- and handshake-level abuse',
  },
  lanes: { type: 'int', default: 2, min: 1, max: 8, help: 'attacker sockets per Login state' },
  workers: { type: 'int', default: 2, min: 1, max: 64, help: "the gateway's --workers" },
  'max-deaths': { type: 'int', default: 10, min: 1, max: 1000, help: 'gateway deaths after which the run stops (each is restarted until then)' },
  'rss-growth-mib': { type: 'int', default: 512, min: 16, help: "bound on the gateway's RSS above its baseline" },
  'bystander-ms': { type: 'int', default: 1000, min: 50, help: "bound on the bystander's GetLoginStatus round trip" },
  'answer-timeout-ms': { type: 'int', default: 20_000, min: 1000, help: 'bound on the answer to one input' },
  'hang-threshold': { type: 'int', default: 1000, min: 100, help: "the gateway's --hang-threshold (raise it on a busy machine)" },
  help: { type: 'bool', help: 'show this help' },
} as const;

export interface AttackOptions {
  cores: ReadonlyArray<'test' | 'official'>;
  seed: number;
  seconds: number;
  perSlot: number;
  heavySlots: number;
  scale: 'full' | 'short';
  envelopeAndHandshake: 'every-core' | 'first-core' | 'none';
  lanes: number;
  workers: number;
  maxDeaths: number;
  rssGrowthMiB: number;
  bystanderMs: number;
  answerTimeoutMs: number;
  hangThresholdMs: number;
  log?: (line: string) => void;
}

export interface AttackResult {
  attack: 'openim-jssdk-server';
  seed: number;
  cores: CoreAttackResult[];
  inputs: number;
  deaths: number;
  findings: number;
  findingInputs: number;
  /** Why the run fell short of its planned volume, per core ("" when it did not). */
  cutShort: string[];
  seconds: number;
  ok: boolean;
  details: Finding[];
}

export async function runAttack(options: AttackOptions): Promise<AttackResult> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const seed = options.seed > 0 ? options.seed : Date.now() % 2 ** 31;
  const findings = new Findings();
  const cores: CoreAttackResult[] = [];
  const dev = await DevServerProcess.start();
  const proxy = await startImProxy(dev.apiUrl);
  log(`seed ${seed}; dev server pid ${dev.cli.pid} at ${dev.apiUrl}, IM proxy at ${proxy.url}`);
  try {
    for (const [i, core] of options.cores.entries()) {
      const attack = new CoreAttack({
        core,
        dev,
        proxy,
        seed,
        perSlot: options.perSlot,
        heavySlots: options.heavySlots,
        scale: options.scale,
        envelopeAndHandshake: options.envelopeAndHandshake === 'every-core' || (options.envelopeAndHandshake === 'first-core' && i === 0),
        lanesPerState: options.lanes,
        workers: options.workers,
        deadline,
        maxDeaths: options.maxDeaths,
        rssGrowthBoundMiB: options.rssGrowthMiB,
        bystanderMs: options.bystanderMs,
        answerTimeoutMs: options.answerTimeoutMs,
        hangThresholdMs: options.hangThresholdMs,
        findings,
        log,
      });
      cores.push(await attack.run());
    }
  } finally {
    await proxy.close();
    await dev.close();
  }
  const all = findings.all();
  const inputs = cores.reduce((n, c) => n + c.tried.functionInputs + c.tried.envelopeInputs + c.tried.floodFrames + c.tried.handshakes, 0);
  const cutShort = cores.map((c) => c.cutShort ?? '');
  return {
    attack: 'openim-jssdk-server',
    seed,
    cores,
    inputs,
    deaths: cores.reduce((n, c) => n + c.deaths, 0),
    findings: all.length,
    findingInputs: findings.total,
    cutShort,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    ok: all.length === 0 && cutShort.every((c) => c === '') && cores.length === options.cores.length,
    details: all,
  };
}

export function attackReport(r: AttackResult): string {
  const lines: string[] = [];
  for (const c of r.cores) {
    const p = c.planned;
    const t = c.tried;
    const hs = c.handshake;
    const codes = Object.entries(c.byCode)
      .sort(([, a], [, b]) => b - a)
      .map(([k, v]) => `${k}:${v}`)
      .join(' ');
    const proc = (f: typeof c.procStart): string =>
      f ? `${(f.rssBytes / 2 ** 20).toFixed(0)} MiB RSS, ${f.threads} threads, ${f.fds} fds (${f.sockets} sockets)` : 'n/a';
    const rows: Array<[string, string]> = [
      ['core', c.core],
      ['functions attacked', `${c.functions} (table rows + the core's pass-through functions), before and after Login`],
      [
        'function inputs',
        `${t.functionInputs} of ${p.functionInputs} planned; functions reached: ${c.covered['before-login']} before Login, ${c.covered['after-login']} after`,
      ],
      ['envelope inputs', `${t.envelopeInputs} of ${p.envelopeInputs} planned, plus ${t.floodFrames} of ${p.floodFrames} flood frames`],
      [
        'handshakes',
        `${t.handshakes}${
          hs
            ? `  ${Object.entries(hs.byStatus)
                .map(([k, v]) => `${k}:${v}`)
                .join(' ')}`
            : ''
        }`,
      ],
      ['answers by errCode', codes],
      ['process deaths', String(c.deaths)],
      ['bystander', `${c.bystander.answered} answered of ${c.bystander.asked} asked, slowest ${c.bystander.maxMs} ms`],
      ['peak RSS growth', `${c.rss.peakGrowthMiB} MiB above a ${c.rss.baselineMiB} MiB baseline`],
      ['process at start', proc(c.procStart)],
      ['process at end', `${proc(c.procEnd)} (every client closed, settled)`],
      ...(hs
        ? ([
            ['refused-token flood', `${hs.refusedFloodSize} handshakes cost ${hs.refusedFloodChecks} IM token checks`],
            ['concurrent flood', `${hs.concurrentFloodSize} handshakes, at most ${hs.concurrentFloodPeakChecks} token checks in flight`],
          ] as Array<[string, string]>)
        : []),
      ['stop (SIGTERM)', c.stop ? `exit code ${c.stop.code}${c.stop.signal ? `, signal ${c.stop.signal}` : ''}` : 'n/a'],
      ['time', `${c.seconds} s`],
      ['cut short', c.cutShort ?? 'no'],
    ];
    const w = Math.max(...rows.map(([k]) => k.length));
    lines.push(...rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`), '');
  }
  lines.push(`inputs in all: ${r.inputs}; process deaths: ${r.deaths}; findings: ${r.findings} distinct, ${r.findingInputs} inputs; ${r.seconds} s`);
  lines.push(`result: ${r.ok ? 'PASS' : 'FAIL'}${r.cutShort.some((c) => c !== '') ? ' (cut short of the planned volume)' : ''}`);
  r.details.forEach((f, i) => {
    lines.push('', `finding ${i + 1} [${f.area}] ×${f.count}: ${f.problem}`);
    if (f.variants.length > 0) lines.push(`  seen in: ${f.variants.join(', ')}`);
    lines.push(`  first input: ${f.input}`, `  observed:    ${f.observed.split('\n').join('\n               ')}`);
  });
  return lines.join('\n');
}

async function main(): Promise<number> {
  const flags = scriptFlags('attack', ATTACK_FLAGS, process.argv.slice(2));
  if (typeof flags === 'number') return flags;
  const result = await runAttack({
    cores: flags.core === 'both' ? ['test', 'official'] : [flags.core],
    seed: flags.seed,
    seconds: flags.seconds,
    perSlot: flags['per-slot'],
    heavySlots: flags['heavy-slots'],
    scale: flags.scale,
    envelopeAndHandshake: flags['envelope-and-handshake'],
    lanes: flags.lanes,
    workers: flags.workers,
    maxDeaths: flags['max-deaths'],
    rssGrowthMiB: flags['rss-growth-mib'],
    bystanderMs: flags['bystander-ms'],
    answerTimeoutMs: flags['answer-timeout-ms'],
    hangThresholdMs: flags['hang-threshold'],
    log: (line) => process.stderr.write(`attack: ${line}\n`),
  });
  process.stdout.write(`${attackReport(result)}\n`);
  const { details: _details, ...summary } = result;
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return result.ok ? 0 : 1;
}

runIfMain('attack', import.meta.url, main);
