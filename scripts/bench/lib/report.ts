/**
 * Figures and tables shared by every bench: medians, percentiles, the plain-text table
 * every bench prints, and the machine line.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function ascending(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

export const mib = (bytes: number): number => bytes / 2 ** 20;
export const round = (x: number, digits = 0): number => Number(x.toFixed(digits));
export const fmt = (x: number | undefined, digits = 0): string => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(digits));

/** First column left-aligned, the rest right-aligned, two spaces apart. */
export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? 'unknown CPU';
  } catch {
    return 'unknown CPU';
  }
}

/** One line naming the machine: benches on a shared box are only comparable within a run. */
export function machineLine(): string {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return (
    `machine: ${cpuModel()}, ${availableParallelism()} CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ` +
    `Node ${process.version}, load average ${load} (1/5/15 min)`
  );
}

/** The 1-minute load average, for the "others were busy" warning at the end of a bench. */
export function loadNow(): number {
  return loadavg()[0] ?? 0;
}

/**
 * Stops a bench that got stuck (a login that never answers, a core that never exits),
 * so `npm run bench` always ends. Unref'd: it never holds the process open by itself.
 */
export function deadline(bench: string, ms: number): void {
  setTimeout(() => {
    process.stderr.write(`${bench}: still running after ${ms / 1000} s, giving up\n`);
    process.exit(1);
  }, ms).unref();
}

/**
 * CorePool.close() (also inside a server's close()) can return only through an unref'd
 * timer; with nothing else keeping the loop alive, Node would exit mid-await with code 13.
 */
export async function keptAlive<T>(work: () => Promise<T>): Promise<T> {
  const keepAlive = setInterval(() => {}, 1000);
  try {
    return await work();
  } finally {
    clearInterval(keepAlive);
  }
}

/** Runs a bench's main and turns a failure into one stderr line and exit code 1. */
export async function runBench(bench: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    process.stderr.write(`${bench} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  }
}
