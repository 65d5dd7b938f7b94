import { afterEach, describe, expect, it, vi } from 'vitest';
import { finishBench, goalFields, goalLine, judge, unmetLine } from '../../../scripts/bench/lib/goals.ts';

describe('judge', () => {
  it('meets a ≥ goal at or above its limit and a ≤ goal at or below it', () => {
    const v = judge([
      { name: 'ratio', value: 0.8, op: '>=', limit: 0.8 },
      { name: 'ratio2', value: 0.79, op: '>=', limit: 0.8 },
      { name: 'ms', value: 0.3, op: '<=', limit: 0.3 },
      { name: 'ms2', value: 0.794, op: '<=', limit: 0.3 },
    ]);
    expect(v.map((x) => x.met)).toEqual([true, false, true, false]);
  });

  it('never meets a goal with a measurement that is not a number', () => {
    const v = judge([
      { name: 'a', value: NaN, op: '<=', limit: 1 },
      { name: 'b', value: NaN, op: '>=', limit: 1 },
      { name: 'c', value: -Infinity, op: '<=', limit: 1 },
      { name: 'd', value: Infinity, op: '>=', limit: 1 },
    ]);
    expect(v.every((x) => !x.met)).toBe(true);
  });
});

describe('goal lines and fields', () => {
  const [met, missed] = judge([
    { name: 'ratio', value: 0.874, op: '>=', limit: 0.8 },
    { name: 'p50AddedMs', value: 0.7941, op: '<=', limit: 0.3, digits: 3 },
  ]);

  it('say met / NOT met with the limit, and name each missed goal in one FAIL line', () => {
    expect(goalLine(met!)).toBe('goal ratio ≥ 0.8: 0.87 met');
    expect(goalLine(missed!)).toBe('goal p50AddedMs ≤ 0.3: 0.794 NOT met');
    expect(unmetLine('gateway', [met!, missed!])).toBe('gateway: FAIL, goal not met: p50AddedMs 0.794 (goal ≤ 0.3)');
    expect(unmetLine('gateway', [met!])).toBeUndefined();
  });

  it('give goalsMet false when one goal is missed, true when none is set', () => {
    expect(goalFields([met!, missed!])).toMatchObject({
      goalsMet: false,
      goals: { ratio: { met: true }, p50AddedMs: { value: 0.7941, op: '<=', limit: 0.3, met: false } },
    });
    expect(goalFields([])).toEqual({ goalsMet: true, goals: {} });
  });
});

describe('finishBench', () => {
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it('with a missed goal: prints NOT met and FAIL before the JSON line, which stays last, and sets exit code 1', () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    finishBench('b', [{ name: 'ratio', value: 0.5, op: '>=', limit: 0.8 }], ['took 1 s'], { ratio: 0.5 });
    expect(process.exitCode).toBe(1);
    expect(lines).toContain('goal ratio ≥ 0.8: 0.50 NOT met');
    expect(lines).toContain('b: FAIL, goal not met: ratio 0.50 (goal ≥ 0.8)');
    expect(JSON.parse(lines.at(-1) as string)).toEqual({ bench: 'b', ratio: 0.5, goalsMet: false, goals: { ratio: { value: 0.5, op: '>=', limit: 0.8, met: false } } });
  });

  it('with every goal met: no FAIL line and the exit code left alone', () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    finishBench('b', [{ name: 'ratio', value: 0.9, op: '>=', limit: 0.8 }], [], { ratio: 0.9 });
    expect(process.exitCode).toBeUndefined();
    expect(lines.some((l) => l.includes('FAIL'))).toBe(false);
    expect(JSON.parse(lines.at(-1) as string)).toMatchObject({ goalsMet: true });
  });
});
