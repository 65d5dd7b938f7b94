/**
 * What the kernel says a process holds, read from /proc/<pid> from outside it: open file
 * descriptors (and how many are sockets), threads, and its WebAssembly linear memories.
 *
 * These are the soak's counts that do not rely on the gateway's own bookkeeping: a core
 * the pool forgot but never disposed keeps its linear memory mapped, its SQLite files and
 * IM socket open, whatever `pool.coreCount` says.
 *
 * Every figure is `undefined` where /proc is missing (not Linux) or the process is gone.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcFigures {
  /** Entries of /proc/<pid>/fd. */
  fds: number | undefined;
  /** Those of them that are sockets (`socket:[inode]`): TCP to clients and IM, IPC, pipes excluded. */
  sockets: number | undefined;
  /** Entries of /proc/<pid>/task: the main thread, worker threads, V8 and libuv helpers. */
  threads: number | undefined;
  /** Linear memories found in /proc/<pid>/smaps (see `wasmMemories`). */
  wasmMemories: number | undefined;
  /** Those of at least CORE_MEMORY_MIN_BYTES: a Go core's (or a module's that size). */
  coreMemories: number | undefined;
  /** Resident bytes of all linear memories. */
  wasmResidentBytes: number | undefined;
}

/**
 * A Go js/wasm program starts with a linear memory of 16 MiB or more (the test core
 * 17 MiB, the official core 24 MiB); the other modules in the process (undici's HTTP
 * parser, one per thread that used fetch) have a few hundred KiB.
 */
export const CORE_MEMORY_MIN_BYTES = 4 * 2 ** 20;

export function procFigures(pid: number | 'self'): ProcFigures {
  const fd = fdFigures(pid);
  const wasm = wasmMemories(readOrUndefined(`/proc/${pid}/smaps`));
  return {
    ...fd,
    threads: countEntries(`/proc/${pid}/task`),
    wasmMemories: wasm?.count,
    coreMemories: wasm?.coreSized,
    wasmResidentBytes: wasm?.residentBytes,
  };
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function countEntries(dir: string): number | undefined {
  try {
    return readdirSync(dir).length;
  } catch {
    return undefined;
  }
}

function fdFigures(pid: number | 'self'): Pick<ProcFigures, 'fds' | 'sockets'> {
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return { fds: undefined, sockets: undefined };
  }
  let sockets = 0;
  for (const name of names) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${name}`).startsWith('socket:')) sockets++;
    } catch {
      // Closed between the listing and the readlink: it no longer counts anyway.
    }
  }
  return { fds: names.length, sockets };
}

interface Mapping {
  start: bigint;
  end: bigint;
  perms: string;
  rssBytes: number;
}

/**
 * The linear memories in an smaps text, and how much of them is resident. V8 reserves each
 * memory with a guard region of several GiB (inaccessible) right after its accessible part,
 * so an accessible mapping followed directly by a ≥ 4 GiB `---p` mapping is one linear
 * memory. Besides the cores that finds a few tiny ones (undici's HTTP parser, one per
 * thread that used fetch), which stay the same from one reading to the next.
 */
export function wasmMemories(smaps: string | undefined): { count: number; coreSized: number; residentBytes: number } | undefined {
  if (smaps === undefined) return undefined;
  const maps: Mapping[] = [];
  let current: Mapping | undefined;
  for (const line of smaps.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) /.exec(line);
    if (head) {
      current = { start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), perms: head[3] as string, rssBytes: 0 };
      maps.push(current);
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && current) current.rssBytes = Number(rss[1]) * 1024;
  }
  let count = 0;
  let coreSized = 0;
  let residentBytes = 0;
  for (let i = 1; i < maps.length; i++) {
    const guard = maps[i] as Mapping;
    const body = maps[i - 1] as Mapping;
    if (guard.perms.startsWith('---') && guard.end - guard.start >= 2n ** 32n && body.end === guard.start && body.perms.startsWith('rw')) {
      count++;
      if (body.end - body.start >= BigInt(CORE_MEMORY_MIN_BYTES)) coreSized++;
      residentBytes += body.rssBytes;
    }
  }
  return { count, coreSized, residentBytes };
}
