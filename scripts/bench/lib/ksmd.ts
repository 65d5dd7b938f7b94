/**
 * The kernel's merging daemon, as a bench may drive it: its settings under
 * /sys/kernel/mm/ksm (host-wide: a bench changes them only as root and puts them back), and
 * the CPU time its thread has used.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseThreadStatCpuMs } from '../../../src/pool/thread-cpu.ts';

const KSM_DIR = '/sys/kernel/mm/ksm';

/** The settings a bench changes, as the files spell them. */
export interface KsmdSettings {
  run?: string;
  pages_to_scan?: string;
  sleep_millisecs?: string;
}

export class Ksmd {
  readonly #saved: KsmdSettings;
  readonly #pid: number | undefined;

  private constructor(saved: KsmdSettings, pid: number | undefined) {
    this.#saved = saved;
    this.#pid = pid;
  }

  /**
   * Remembers the current settings and applies `settings`. Undefined (with the reason)
   * where the files cannot be written (not root, no KSM): the bench then runs with the host's.
   */
  static take(settings: KsmdSettings): Ksmd | string {
    const saved: KsmdSettings = {};
    try {
      for (const name of Object.keys(settings) as Array<keyof KsmdSettings>) saved[name] = readFileSync(`${KSM_DIR}/${name}`, 'utf8').trim();
    } catch (err) {
      return `ksmd settings cannot be read: ${(err as Error).message}`;
    }
    const ksmd = new Ksmd(saved, findKsmdPid());
    const problem = ksmd.apply(settings);
    if (problem !== undefined) {
      ksmd.restore();
      return problem;
    }
    return ksmd;
  }

  apply(settings: KsmdSettings): string | undefined {
    try {
      // run last, so the daemon starts with the scan settings already in place.
      for (const [name, value] of Object.entries(settings).sort(([a], [b]) => (a === 'run' ? 1 : b === 'run' ? -1 : 0))) {
        writeFileSync(`${KSM_DIR}/${name}`, String(value));
      }
      return undefined;
    } catch (err) {
      return `ksmd settings cannot be written (root is needed): ${(err as Error).message}`;
    }
  }

  /** Puts back what was there before. */
  restore(): void {
    this.apply(this.#saved);
  }

  /** CPU seconds the ksmd thread has used (undefined where it cannot be read). */
  cpuSeconds(): number | undefined {
    return this.#pid === undefined ? undefined : threadCpuSeconds(this.#pid);
  }

  /** Full scans done so far. */
  static fullScans(): number | undefined {
    try {
      return Number(readFileSync(`${KSM_DIR}/full_scans`, 'utf8'));
    } catch {
      return undefined;
    }
  }
}

function findKsmdPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'ksmd') return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

/** utime + stime of a process or thread, in seconds. */
export function threadCpuSeconds(pid: number): number | undefined {
  try {
    const ms = parseThreadStatCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return ms === undefined ? undefined : ms / 1000;
  } catch {
    return undefined;
  }
}
