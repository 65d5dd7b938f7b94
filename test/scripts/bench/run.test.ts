import { describe, expect, it } from 'vitest';
import { runOne, tsxLoader, verdict, type Outcome } from '../../../scripts/bench/run.ts';

const FIXTURE = new URL('./fixtures/goal-bench.ts', import.meta.url).pathname;

const outcome = (over: Partial<Outcome>): Outcome => ({
  name: 'x',
  code: 0,
  signal: null,
  summary: { bench: 'x', goalsMet: true, goals: { ratio: { value: 0.9, op: '>=', limit: 0.8, met: true } } },
  ...over,
});

describe('bench runner verdict', () => {
  it('passes only exit 0 with goalsMet true', () => {
    expect(verdict(outcome({}))).toMatchObject({ ok: true });
    expect(verdict(outcome({ summary: { bench: 'login', goalsMet: true, goals: {} } })).line).toMatch(/ok \(no goal set\)/);
  });

  it('fails a missed goal even when the bench exited 0, naming the goal', () => {
    const v = verdict(outcome({ summary: { bench: 'x', goalsMet: false, goals: { p50AddedMs: { value: 0.794, op: '<=', limit: 0.3, met: false } } } }));
    expect(v.ok).toBe(false);
    expect(v.line).toMatch(/FAIL goal not met: p50AddedMs 0.794 \(goal ≤ 0.3\) \(exit 0\)/);
  });

  it('fails a result line without goal verdicts, a missing result line, a non-zero exit and a kill', () => {
    expect(verdict(outcome({ summary: { bench: 'x', ratio: 0.9 } }))).toMatchObject({ ok: false, line: expect.stringMatching(/no goal verdict/) });
    expect(verdict(outcome({ summary: undefined }))).toMatchObject({ ok: false, line: expect.stringMatching(/no JSON result line/) });
    expect(verdict(outcome({ code: 1 }))).toMatchObject({ ok: false, line: expect.stringMatching(/FAIL exit 1/) });
    expect(verdict(outcome({ code: null, signal: 'SIGKILL' }))).toMatchObject({ ok: false, line: expect.stringMatching(/killed by SIGKILL/) });
  });
});

describe('a bench process with a fake measurement, through the runner', () => {
  const run = async (value: string): Promise<{ out: string; v: ReturnType<typeof verdict>; o: Outcome }> => {
    let out = '';
    const o = await runOne('goal-bench', FIXTURE, tsxLoader(), { args: [value], echo: (c) => (out += c), timeoutMs: 20_000 });
    return { out, v: verdict(o), o };
  };

  it('a missed goal: the bench prints NOT met and FAIL, exits 1, and the runner says FAIL', async () => {
    const { out, v, o } = await run('0.5');
    expect(out).toContain('goal ratio ≥ 0.8: 0.50 NOT met');
    expect(out).toContain('goal-bench: FAIL, goal not met: ratio 0.50 (goal ≥ 0.8)');
    expect(o.code).toBe(1);
    expect(v).toMatchObject({ ok: false, line: expect.stringMatching(/FAIL goal not met: ratio 0.5 \(goal ≥ 0.8\) \(exit 1\)/) });
  }, 30_000);

  it('a met goal: the bench exits 0 and the runner says ok', async () => {
    const { out, v, o } = await run('0.9');
    expect(out).toContain('goal ratio ≥ 0.8: 0.90 met');
    expect(o.code).toBe(0);
    expect(v.ok).toBe(true);
  }, 30_000);
});
