/**
 * Benchmark runner. `npm run bench -- NAME` runs one benchmark, `npm run bench` runs all.
 *
 * Each benchmark runs in its own Node process so that its RSS figures do not include what
 * an earlier benchmark left behind (freed wasm memory, compiled code, worker threads).
 *
 * A bench passes only when it exited 0 and its last line is a JSON result saying every
 * goal was met (`goalsMet: true`, see lib/goals.ts); anything else prints FAIL with the
 * reason and makes the runner exit 1.
 */
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tsxLoaderUrl } from '../../src/tsx-loader.ts';

/** name → module, relative to this directory. A module runs its benchmark when executed. */
const BENCHMARKS: Readonly<Record<string, string>> = {
  'core-calls': './core-calls.ts',
  storage: './storage.ts',
  gateway: './gateway.ts',
  sessions: './sessions.ts',
  login: './login.ts',
  recovery: './recovery.ts',
  handover: './handover.ts',
  density: './density.ts',
  storm: './storm.ts',
};

/** Benches that take longer than the default bound (density logs in hundreds to thousands of official cores). */
const TIMEOUTS_MS: Readonly<Record<string, number>> = {
  density: 45 * 60_000,
  // Six storms of 200 logins, half of them into unshared memories (≈ 20 s each).
  storm: 10 * 60_000,
};

/** A benchmark promises to finish within ~2 min; this only catches one that hangs. */
const CHILD_TIMEOUT_MS = 180_000;

export interface Outcome {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The benchmark's last output line, when it is a JSON object. */
  summary: Record<string, unknown> | undefined;
}

export const tsxLoader = tsxLoaderUrl;

/** Runs one bench module in a child process; `echo` receives its stdout as it comes. */
export function runOne(
  name: string,
  file: string,
  loader: string,
  options: { args?: readonly string[]; echo?: (chunk: string) => void; timeoutMs?: number } = {},
): Promise<Outcome> {
  const echo = options.echo ?? ((chunk: string) => void process.stdout.write(chunk));
  const timeoutMs = options.timeoutMs ?? CHILD_TIMEOUT_MS;
  return new Promise((resolve) => {
    // stdout is piped (and echoed) only to pick up the final JSON line; stderr passes straight through.
    const child = fork(file, [...(options.args ?? [])], { execArgv: ['--import', loader], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let tail = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      echo(chunk);
      tail = (tail + chunk).slice(-64 * 1024);
    });
    const timer = setTimeout(() => {
      process.stderr.write(`bench ${name}: no result after ${timeoutMs / 1000} s, killing it\n`);
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ name, code, signal, summary: lastJsonLine(tail) });
    });
  });
}

function lastJsonLine(text: string): Record<string, unknown> | undefined {
  const last = text.trimEnd().split('\n').pop()?.trim();
  if (!last?.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(last);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

interface GoalField {
  value?: unknown;
  op?: unknown;
  limit?: unknown;
  met?: unknown;
}

/**
 * Whether a bench passed, and one line saying so. Only an exit 0 with a result line whose
 * `goalsMet` is true passes: a bench that crashed, hung, printed no result, or printed one
 * without goal verdicts fails too.
 */
export function verdict(o: Outcome): { ok: boolean; line: string } {
  const s = o.summary;
  const goals = s && typeof s.goals === 'object' && s.goals !== null ? (s.goals as Record<string, GoalField>) : undefined;
  const unmet = goals ? Object.entries(goals).filter(([, g]) => g.met !== true) : [];
  const unmetText = unmet.map(([name, g]) => `${name} ${String(g.value)} (goal ${g.op === '<=' ? '≤' : '≥'} ${String(g.limit)})`).join('; ');
  const fail = (why: string): { ok: boolean; line: string } => ({ ok: false, line: `${o.name.padEnd(16)} FAIL ${why}` });
  if (o.signal) return fail(`killed by ${o.signal}`);
  if (s === undefined) return fail(`exit ${o.code}, no JSON result line`);
  if (s.goalsMet === false || unmet.length > 0) return fail(`goal not met: ${unmetText || 'goalsMet is false'} (exit ${o.code})`);
  if (o.code !== 0) return fail(`exit ${o.code}`);
  if (s.goalsMet !== true || goals === undefined) return fail('its result line has no goal verdict (goalsMet)');
  const noGoal = Object.keys(goals).length === 0 ? ' (no goal set)' : '';
  return { ok: true, line: `${o.name.padEnd(16)} ok${noGoal}   ${JSON.stringify(s)}` };
}

async function main(): Promise<number> {
  // `NAME [--flag value …]`: flags after a name go to that bench.
  const names: string[] = [];
  const argsOf = new Map<string, string[]>();
  for (const arg of process.argv.slice(2).filter((a) => a !== '--')) {
    const last = names.at(-1);
    if (arg.startsWith('-') || (last !== undefined && (argsOf.get(last)?.at(-1)?.startsWith('--') ?? false) && !(arg in BENCHMARKS))) {
      if (last === undefined) {
        process.stderr.write(`flag ${arg} before any benchmark name: write NAME ${arg} …\n`);
        return 2;
      }
      argsOf.get(last)!.push(arg);
      continue;
    }
    names.push(arg);
    argsOf.set(arg, []);
  }
  const known = Object.keys(BENCHMARKS);
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark ${unknown.map((n) => JSON.stringify(n)).join(', ')}; known: ${known.join(', ')}\n`);
    return 2;
  }
  const selected = names.length > 0 ? names : known;
  const here = dirname(fileURLToPath(import.meta.url));
  const loader = tsxLoader();
  const outcomes: Outcome[] = [];
  for (const name of selected) {
    const rel = BENCHMARKS[name] as string; // checked against the table above
    process.stdout.write(`\n=== bench ${name} ===\n`);
    outcomes.push(
      await runOne(name, join(here, rel), loader, { args: argsOf.get(name) ?? [], ...(TIMEOUTS_MS[name] !== undefined && { timeoutMs: TIMEOUTS_MS[name] }) }),
    );
  }
  let failed = 0;
  process.stdout.write('\n=== summary ===\n');
  for (const o of outcomes) {
    const v = verdict(o);
    if (!v.ok) failed++;
    process.stdout.write(`${v.line}\n`);
  }
  if (failed > 0) process.stdout.write(`FAIL: ${failed} of ${outcomes.length} benchmarks missed a goal or did not finish\n`);
  return failed > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
