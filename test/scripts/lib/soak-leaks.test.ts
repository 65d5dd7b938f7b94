import { describe, expect, it } from 'vitest';
import { compareReadings, describeVerdict, FD_SLACK, RSS_GROWTH_LIMIT_PCT, SOCKET_SLACK, type LeakReading } from '../../../scripts/lib/soak-leaks.ts';

const MiB = 2 ** 20;

function reading(over: Partial<Omit<LeakReading, 'proc'>> & { proc?: Partial<LeakReading['proc']> } = {}): LeakReading {
  return {
    rssBytes: 150 * MiB,
    tokenCacheEntries: 20,
    handshakesPending: 0,
    ...over,
    proc: { fds: 36, sockets: 4, threads: 14, wasmMemories: 8, coreMemories: 0, wasmResidentBytes: 400_000, ...over.proc },
  };
}

const ctx = { tokens: 20 };

function failing(start: LeakReading, end: LeakReading): string[] {
  return compareReadings(start, end, ctx)
    .filter((v) => !v.ok)
    .map((v) => v.name);
}

describe('soak leak checks', () => {
  it('pass when the end reads like the start', () => {
    expect(failing(reading(), reading())).toEqual([]);
  });

  it('fail on one core memory left, even one already there after the warm-up', () => {
    expect(failing(reading(), reading({ proc: { coreMemories: 1 } }))).toEqual(['core-sized wasm memories']);
    expect(failing(reading({ proc: { coreMemories: 1 } }), reading({ proc: { coreMemories: 1 } }))).toEqual(['core-sized wasm memories']);
  });

  it('fail on one more thread', () => {
    expect(failing(reading(), reading({ proc: { threads: 15 } }))).toEqual(['threads']);
  });

  it(`let fds and sockets grow by their slack (${FD_SLACK}, ${SOCKET_SLACK}) and fail one beyond`, () => {
    expect(failing(reading(), reading({ proc: { fds: 36 + FD_SLACK, sockets: 4 + SOCKET_SLACK } }))).toEqual([]);
    expect(failing(reading(), reading({ proc: { fds: 37 + FD_SLACK } }))).toEqual(['open fds']);
    expect(failing(reading(), reading({ proc: { sockets: 5 + SOCKET_SLACK } }))).toEqual(['sockets']);
  });

  it(`let RSS grow by ${RSS_GROWTH_LIMIT_PCT} % and fail above`, () => {
    expect(failing(reading(), reading({ rssBytes: 150 * MiB * (1 + RSS_GROWTH_LIMIT_PCT / 100) }))).toEqual([]);
    expect(failing(reading(), reading({ rssBytes: 150 * MiB * (1 + RSS_GROWTH_LIMIT_PCT / 100) + MiB }))).toEqual(['RSS MiB']);
  });

  it('fail on a token cache holding more entries than distinct tokens, and on a handshake left pending', () => {
    expect(failing(reading(), reading({ tokenCacheEntries: 21 }))).toEqual(['token cache entries']);
    expect(failing(reading(), reading({ handshakesPending: 1 }))).toEqual(['pending handshakes']);
  });

  it('report a figure missing at the end as n/a (a build without the gauges, no /proc) and pass it', () => {
    const absent = { tokenCacheEntries: undefined, handshakesPending: undefined };
    const noProc = { fds: undefined, sockets: undefined, threads: undefined, wasmMemories: undefined, coreMemories: undefined, wasmResidentBytes: undefined };
    const verdicts = compareReadings(reading({ ...absent, proc: noProc }), reading({ ...absent, proc: noProc }), ctx);
    expect(verdicts.filter((v) => v.name !== 'RSS MiB').map(describeVerdict)).toEqual(Array(6).fill('n/a'));
    expect(verdicts.every((v) => v.ok)).toBe(true);
  });

  it('describe a failure with start, end, limit and LEAK', () => {
    const v = compareReadings(reading(), reading({ proc: { coreMemories: 3 } }), ctx).find((x) => x.name === 'core-sized wasm memories');
    expect(v && describeVerdict(v)).toBe('0 → 3 (limit 0) LEAK');
  });
});
