import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonBudget, parseBoundedJson, scanJson, type JsonLimits } from '../../src/protocol/json-guard.ts';
import { LIMITS } from '../../src/limits.ts';

/** What the scan must measure, computed the obvious (recursive) way on small values. */
function measure(value: unknown, depth = 0): { depth: number; values: number; entries: number; stringLength: number } {
  if (typeof value === 'string') return { depth, values: 1, entries: 0, stringLength: value.length };
  if (typeof value !== 'object' || value === null) return { depth, values: 1, entries: 0, stringLength: 0 };
  const items = Array.isArray(value) ? value : Object.values(value);
  const keys = Array.isArray(value) ? [] : Object.keys(value);
  const m = { depth: depth + 1, values: 1, entries: items.length, stringLength: Math.max(0, ...keys.map((k) => k.length)) };
  for (const item of items) {
    const c = measure(item, depth + 1);
    m.depth = Math.max(m.depth, c.depth);
    m.values += c.values;
    m.entries = Math.max(m.entries, c.entries);
    m.stringLength = Math.max(m.stringLength, c.stringLength);
  }
  return m;
}

const small: JsonLimits = { depth: 4, values: 40, entries: 6, stringLength: 12 };

describe('LIMITS.json (pinned: README documents these numbers)', () => {
  it('depth 100, 100 000 values, 10 000 entries, 4 MiB strings', () => {
    expect(LIMITS.json).toEqual({ depth: 100, values: 100_000, entries: 10_000, stringLength: 4 * 2 ** 20 });
  });

  it('the defaults are enforced at exactly those numbers', () => {
    const at = (text: string): string | undefined => scanJson(text, new JsonBudget(), 'x')?.limit;
    expect(at('['.repeat(100) + ']'.repeat(100))).toBeUndefined();
    expect(at('['.repeat(101) + ']'.repeat(101))).toBe('depth');
    expect(at(JSON.stringify(Array(10_000).fill(0)))).toBeUndefined();
    expect(at(JSON.stringify(Array(10_001).fill(0)))).toBe('entries');
    // 1 + 41 × (1 + 2 438) = 100 000 values exactly; one more is over.
    const full = Array.from({ length: 41 }, () => Array<number>(2_438).fill(0));
    expect(at(JSON.stringify(full))).toBeUndefined();
    full[40]!.push(0);
    expect(at(JSON.stringify(full))).toBe('values');
    expect(at(JSON.stringify('x'.repeat(4 * 2 ** 20)))).toBeUndefined();
    expect(at(JSON.stringify('x'.repeat(4 * 2 ** 20 + 1)))).toBe('stringLength');
  });
});

describe('scanJson', () => {
  it('agrees with a recursive measurement on any JSON value, however it is spaced', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.boolean(), (value, spaced) => {
        const text = spaced ? JSON.stringify(value, null, 2) : JSON.stringify(value);
        const m = measure(JSON.parse(text));
        const within = m.depth <= small.depth && m.values <= small.values && m.entries <= small.entries && m.stringLength <= small.stringLength;
        const over = scanJson(text, new JsonBudget(small), 'v');
        expect(over === undefined, `${text} → ${over?.message}`).toBe(within);
      }),
      { numRuns: 3000 },
    );
  });

  it('charges every text of a request to one budget', () => {
    const budget = new JsonBudget(small);
    expect(scanJson(JSON.stringify(Array(5).fill(1)), budget, 'frame')).toBeUndefined(); // 6 values
    expect(budget.values).toBe(6);
    expect(scanJson(JSON.stringify(Array(5).fill([1, 1, 1, 1, 1])), budget, 'data')).toBeUndefined(); // 31 more
    expect(scanJson('[1,2,3]', budget, 'argument 1 (list)')).toEqual({
      limit: 'values',
      message: 'argument 1 (list) holds more than 40 values in one request',
    });
  });

  it('counts escaped characters once and does not end strings at escaped quotes', () => {
    const limits = { ...small, stringLength: 3 };
    expect(scanJson('"\\u0041\\"\\\\"', new JsonBudget(limits), 's')).toBeUndefined(); // A"\ : 3
    expect(scanJson('"\\u0041\\"\\\\x"', new JsonBudget(limits), 's')?.limit).toBe('stringLength');
    // Brackets inside strings are text, not structure.
    expect(scanJson(JSON.stringify(['[[[[[[[[', '\\"[[[[[[']), new JsonBudget(small), 's')).toBeUndefined();
  });

  it('names the place and the limit in its message', () => {
    expect(scanJson('[[[[[[]]]]]]', new JsonBudget(small), 'argument 2 (message)')).toEqual({
      limit: 'depth',
      message: 'argument 2 (message) nests arrays and objects deeper than 4 levels',
    });
    expect(scanJson('{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7}', new JsonBudget(small), 'data')?.message).toBe(
      'data holds an array or object with more than 6 entries',
    );
  });

  it('never throws or loops on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', ',', ':', 'u', '0', ' '), maxLength: 200 }), (text) => {
        scanJson(text, new JsonBudget(small), 't');
      }),
      { numRuns: 5000 },
    );
  });

  it('stops hostile texts early, before the parser would spend seconds on them', () => {
    const M = 10 * 2 ** 20;
    const t0 = performance.now();
    expect(scanJson('['.repeat(M / 2) + ']'.repeat(M / 2), new JsonBudget(), 'f')?.limit).toBe('depth');
    expect(scanJson('[' + '{},'.repeat(M / 3 - 1) + '{}]', new JsonBudget(), 'f')?.limit).toBe('entries');
    expect(scanJson('[' + '[0],'.repeat(M / 4 - 1) + '[0]]', new JsonBudget(), 'f')?.limit).toBe('entries');
    expect(scanJson(JSON.stringify('\\"'.repeat(M / 8)), new JsonBudget(), 'f')).toBeUndefined();
    // Loose bound (not a benchmark): the parser alone takes over 1 s on the first text.
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('parseBoundedJson', () => {
  it('parses texts within the limits and reports syntax errors and limits apart', () => {
    expect(parseBoundedJson('[1,"a"]', new JsonBudget(small), 'd')).toEqual({ ok: true, value: [1, 'a'] });
    expect(parseBoundedJson('[1,', new JsonBudget(small), 'd')).toMatchObject({ ok: false, syntax: expect.any(String) });
    expect(parseBoundedJson('[[[[[1]]]]]', new JsonBudget(small), 'd')).toMatchObject({ ok: false, limit: { limit: 'depth' } });
  });
});
