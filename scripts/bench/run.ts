/**
 * Benchmark runner. `npm run bench -- NAME` runs one benchmark, `npm run bench` runs all.
 *
 * Each benchmark runs in its own Node process so that its RSS figures do not include what
 * an earlier benchmark left behind (freed wasm memory, compiled code, worker threads).
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** name → module, relative to this directory. A module runs its benchmark when executed. */
const BENCHMARKS: Readonly<Record<string, string>> = {
  'core-calls': './core-calls.ts',
  storage: './storage.ts',
  gateway: './gateway.ts',
  sessions: './sessions.ts',
  login: './login.ts',
  recovery: './recovery.ts',
};

/** A benchmark promises to finish within ~2 min; this only catches one that hangs. */
const CHILD_TIMEOUT_MS = 180_000;

interface Outcome {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The benchmark's last output line, when it is a JSON object. */
  summary: Record<string, unknown> | undefined;
}

function tsxLoader(): string {
  // By absolute URL so the child resolves it regardless of its cwd.
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  return pathToFileURL(join(tsxDir, 'dist', 'loader.mjs')).href;
}

function runOne(name: string, file: string, loader: string): Promise<Outcome> {
  return new Promise((resolve) => {
    // stdout is piped (and echoed) only to pick up the final JSON line; stderr passes straight through.
    const child = fork(file, [], { execArgv: ['--import', loader], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let tail = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      process.stdout.write(chunk);
      tail = (tail + chunk).slice(-64 * 1024);
    });
    const timer = setTimeout(() => {
      process.stderr.write(`bench ${name}: no result after ${CHILD_TIMEOUT_MS / 1000} s, killing it\n`);
      child.kill('SIGKILL');
    }, CHILD_TIMEOUT_MS);
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

async function main(): Promise<number> {
  const names = process.argv.slice(2).filter((a) => a !== '--');
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
    outcomes.push(await runOne(name, join(here, rel), loader));
  }
  let failed = 0;
  if (selected.length > 1) process.stdout.write('\n=== summary ===\n');
  for (const o of outcomes) {
    const ok = o.code === 0 && o.summary !== undefined;
    if (!ok) failed++;
    if (selected.length > 1 || !ok) {
      const how = o.signal ? `killed by ${o.signal}` : `exit ${o.code}`;
      process.stdout.write(`${o.name.padEnd(16)} ${ok ? 'ok  ' : 'FAIL'} ${ok ? JSON.stringify(o.summary) : `${how}${o.summary ? '' : ', no JSON result line'}`}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
