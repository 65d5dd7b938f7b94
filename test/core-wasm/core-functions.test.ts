import { describe, expect, it } from 'vitest';
import { SYNC_FUNCTIONS, checkSyncArguments } from '../../core-wasm/core-functions.ts';

const sample = { string: 's', int: 3, number: 1.5, bool: true } as const;

describe('sync-style function table', () => {
  it.each(Object.entries(SYNC_FUNCTIONS))('%s accepts exactly its parameters', (fn, spec) => {
    const good = spec.params.map((p) => sample[p]);
    expect(checkSyncArguments(fn, spec, good)).toBeUndefined();
    expect(checkSyncArguments(fn, spec, [...good, 'extra'])).toContain(fn);
    if (good.length > 0) {
      expect(checkSyncArguments(fn, spec, good.slice(1))).toMatch(new RegExp(`^${fn} takes`));
      const wrong: unknown[] = [...good];
      wrong[0] = spec.params[0] === 'string' ? 1 : 'x';
      expect(checkSyncArguments(fn, spec, wrong)).toMatch(new RegExp(`^${fn} argument 1 must be`));
    }
  });

  it('refuses fractions and non-finite numbers for integers', () => {
    const spec = SYNC_FUNCTIONS.createFaceMessage!;
    expect(checkSyncArguments('createFaceMessage', spec, [1.5, 'x'])).toMatch(/must be an integer, got number 1.5/);
    expect(checkSyncArguments('createFaceMessage', spec, [Number.NaN, 'x'])).toMatch(/integer/);
    expect(checkSyncArguments('createLocationMessage', SYNC_FUNCTIONS.createLocationMessage!, ['d', Infinity, 1])).toMatch(/number/);
  });
});
