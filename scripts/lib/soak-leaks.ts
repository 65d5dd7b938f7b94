/**
 * What the soak compares between the settled gateway after its warm-up and at the end:
 * figures the kernel and /metrics give, not only the gateway's own session counts (a core
 * the pool forgot without disposing it is 0 in those, and still alive).
 *
 * What one leaked core adds, measured on this project's machine by a scratch change that
 * kept every 20th released core alive, undisposed and out of the worker's books (the
 * gateway had logged it out first, as it does, so its SQLite file and IM socket were
 * already closed):
 *
 *   figure                   test core        official core
 *   core-sized memories      +1               +1
 *   RSS                      ≈ +2.5 MiB       ≈ +30 MiB (its linear memory after login and sync)
 *   open fds, sockets        0                0
 *
 * So the count of core-sized linear memories is what catches a leaked core, whatever its
 * build and size: with no session left, its limit is 0. RSS catches it only by the
 * handful (10 % of ≈ 150 MiB is 6 test cores). fds, sockets and threads catch other leaks
 * (a connection or file never closed, a worker never ended). The CI sizes and the
 * arithmetic of what they catch are in test/scripts/soak.test.ts.
 */
import type { ProcFigures } from './proc-figures.ts';

/** One settled reading of the gateway process. */
export interface LeakReading {
  rssBytes: number;
  proc: ProcFigures;
  /** Gauge `openim_jssdk_token_cache_entries`; undefined when this build does not export it. */
  tokenCacheEntries: number | undefined;
  /** Gauge `openim_jssdk_handshakes_pending`; undefined when this build does not export it. */
  handshakesPending: number | undefined;
}

export interface LeakContext {
  /** Distinct tokens the soak used (one per user): the most a token cache may hold. */
  tokens: number;
}

export interface LeakVerdict {
  name: string;
  start: number | undefined;
  end: number | undefined;
  /** The highest end value that passes; undefined when a reading is missing (n/a). */
  limit: number | undefined;
  ok: boolean;
  /** Why the limit is what it is (printed with a failure). */
  rule: string;
}

/**
 * RSS may end this much above its reading after the warm-up (README: "RSS within 10 %").
 * Every worker collects its garbage before each reading (freed cores' memories are
 * unmapped only then), so RSS is steady to a few % once the warm-up has let the official
 * core's hot code tier up (its RSS grows ≈ 7 % from 60 to 300 cycles, then levels off).
 */
export const RSS_GROWTH_LIMIT_PCT = 10;

/**
 * Open file descriptors beyond the reading after the warm-up that still pass. Both
 * readings wait until the count has stayed unchanged for a second (closed connections
 * take a moment to leave); in every run seen it was then the same at both ends. The slack
 * absorbs a kept-alive HTTP connection (to the IM server, to /metrics) that outlived that
 * wait; a leak of one per cycle or per session is hundreds.
 */
export const FD_SLACK = 2;
/** Sockets among them, with the same slack. */
export const SOCKET_SLACK = 2;

interface LeakCheck {
  name: string;
  read(r: LeakReading): number | undefined;
  /** Highest end value that passes; `start` is the same figure after the warm-up. */
  limit(start: number | undefined, ctx: LeakContext): number | undefined;
  rule: string;
}

const grows =
  (slack: number) =>
  (start: number | undefined): number | undefined =>
    start === undefined ? undefined : start + slack;

const LEAK_CHECKS: readonly LeakCheck[] = [
  {
    name: 'core-sized wasm memories',
    read: (r) => r.proc.coreMemories,
    // Absolute, not growth: with no session left no core may be left, warm-up or not.
    limit: () => 0,
    rule: 'no session is left, so no linear memory of a core may be left either',
  },
  {
    name: 'threads',
    read: (r) => r.proc.threads,
    limit: grows(0),
    rule: 'the pool keeps its workers; a replaced worker that never ended would be one more',
  },
  {
    name: 'open fds',
    read: (r) => r.proc.fds,
    limit: grows(FD_SLACK),
    rule: `at most ${FD_SLACK} more than after the warm-up (kept-alive connections)`,
  },
  {
    name: 'sockets',
    read: (r) => r.proc.sockets,
    limit: grows(SOCKET_SLACK),
    rule: `at most ${SOCKET_SLACK} more than after the warm-up (kept-alive connections)`,
  },
  {
    name: 'RSS MiB',
    read: (r) => r.rssBytes / 2 ** 20,
    limit: (start) => (start === undefined ? undefined : start * (1 + RSS_GROWTH_LIMIT_PCT / 100)),
    rule: `at most ${RSS_GROWTH_LIMIT_PCT} % above the reading after the warm-up`,
  },
  {
    name: 'token cache entries',
    read: (r) => r.tokenCacheEntries,
    limit: (_start, ctx) => ctx.tokens,
    rule: 'one entry per distinct token at most',
  },
  {
    name: 'pending handshakes',
    read: (r) => r.handshakesPending,
    limit: () => 0,
    rule: 'no handshake left half-done once every client is gone',
  },
];

/**
 * Every check, start against end. A figure missing at the end (no /proc, a gauge this
 * build does not export) is n/a and passes; one present at the end is judged even if the
 * start lacked it, where the rule needs no start (pending handshakes, token cache).
 */
export function compareReadings(start: LeakReading, end: LeakReading, ctx: LeakContext): LeakVerdict[] {
  return LEAK_CHECKS.map((c) => {
    const s = c.read(start);
    const e = c.read(end);
    const limit = c.limit(s, ctx);
    const ok = e === undefined || limit === undefined || e <= limit;
    return { name: c.name, start: s, end: e, limit: e === undefined ? undefined : limit, ok, rule: c.rule };
  });
}

const show = (x: number | undefined): string => (x === undefined ? 'n/a' : Number.isInteger(x) ? String(x) : x.toFixed(1));

/** `start → end (limit L)`, or `n/a`. */
export function describeVerdict(v: LeakVerdict): string {
  if (v.end === undefined) return 'n/a';
  return `${show(v.start)} → ${show(v.end)}${v.limit === undefined ? '' : ` (limit ${show(v.limit)})`}${v.ok ? '' : ' LEAK'}`;
}
