/**
 * Every limit a client can meet, pinned by value, and README's Limits table saying the same.
 * (The behaviour behind each is tested where it is enforced: test/protocol/json-guard,
 * envelope and request-handler, test/transport/*, the front-door e2e through the process.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../src/limits.ts';

const MiB = 2 ** 20;

describe('LIMITS', () => {
  it('holds the documented values', () => {
    expect(LIMITS).toEqual({
      frameBytes: 10 * MiB,
      json: { depth: 100, values: 100_000, entries: 10_000, stringLength: 4 * MiB },
      reqFuncNameLength: 128,
      operationIdLength: 256,
      unansweredPerSocket: 1024,
      inboundBytesPerSocket: 16 * MiB,
      inboundBytesPerSession: 32 * MiB,
      outboundBacklogBytes: 16 * MiB,
      slowConsumerMs: 5000,
      outboundBacklogHardBytes: 64 * MiB,
      requestHeadMs: 10_000,
      httpRequestMs: 30_000,
      pingIntervalMs: 25_000,
      silenceMs: 60_000,
    });
  });

  it('README states the same numbers in its Limits table', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Limits'), readme.indexOf('\n## ', readme.indexOf('## Limits') + 1));
    for (const row of [
      '| one frame | 10 MiB |',
      '| 100 levels |',
      '| 100 000 |',
      '| 10 000 |',
      '| 4 Mi characters |',
      '| 128 / 256 characters |',
      '| 1 024 |',
      '| 16 MiB / 32 MiB |',
      'above 16 MiB for 5 s, or above 64 MiB at once',
      '| 60 s (pings every 25 s) |',
      '| 4096 characters / 64 UTF-8 bytes / 256 characters | HTTP 400 |',
      '| 64 / 1 024 | HTTP 503, `Retry-After: 5` |',
      '| 10 s / 30 s |',
    ]) {
      expect(table, row).toContain(row);
    }
  });
});
