/** A core's own crashes are forgiven up to a limit within a sliding window. */
import { describe, expect, it } from 'vitest';
import { CrashBudget } from '../../src/sessions/crash-budget.ts';

describe('CrashBudget', () => {
  it('is spent at the limit-th crash within the window', () => {
    const budget = new CrashBudget(60_000, 3);
    expect(budget.spent(0)).toBe(false);
    expect(budget.spent(10_000)).toBe(false);
    expect(budget.spent(20_000)).toBe(true);
    expect(budget.count).toBe(3);
  });

  it('forgets crashes older than the window', () => {
    const budget = new CrashBudget(60_000, 3);
    budget.spent(0);
    budget.spent(10_000);
    // The first crash is 60 s old: it no longer counts.
    expect(budget.spent(60_000)).toBe(false);
    expect(budget.count).toBe(2);
    expect(budget.spent(65_000)).toBe(true);
  });
});
