/**
 * A bench's goals and their verdicts. A bench states each goal as a figure, a direction
 * and a limit; `finishBench` prints one line per goal, the result line, and makes the
 * bench exit 1 when any goal is not met, so `npm run bench` can never print "ok" over a
 * missed goal. The JSON result line carries `goalsMet` and each verdict, which
 * scripts/bench/run.ts reads.
 */

export interface Goal {
  /** The figure's key in the JSON result line, e.g. `ratio`. */
  name: string;
  value: number;
  /** `<=`: the figure must not exceed `limit`; `>=`: it must reach it. */
  op: '<=' | '>=';
  limit: number;
  /** What the figure is, in words, for the goal line (e.g. "at N = 200"). */
  what?: string;
  /** Digits shown for value (default 2). */
  digits?: number;
}

export interface GoalVerdict extends Goal {
  met: boolean;
}

/** A measurement that is not a number (NaN, ±Infinity from an empty sample) never meets a goal. */
export function judge(goals: readonly Goal[]): GoalVerdict[] {
  return goals.map((g) => ({ ...g, met: Number.isFinite(g.value) && (g.op === '<=' ? g.value <= g.limit : g.value >= g.limit) }));
}

const SIGN = { '<=': '≤', '>=': '≥' } as const;

export function goalLine(v: GoalVerdict): string {
  const what = v.what === undefined ? '' : ` ${v.what}`;
  return `goal ${v.name} ${SIGN[v.op]} ${v.limit}${what}: ${v.value.toFixed(v.digits ?? 2)} ${v.met ? 'met' : 'NOT met'}`;
}

/** One line for a failed bench: which goals, by how much. */
export function unmetLine(bench: string, verdicts: readonly GoalVerdict[]): string | undefined {
  const unmet = verdicts.filter((v) => !v.met);
  if (unmet.length === 0) return undefined;
  return `${bench}: FAIL, goal not met: ${unmet.map((v) => `${v.name} ${v.value.toFixed(v.digits ?? 2)} (goal ${SIGN[v.op]} ${v.limit})`).join('; ')}`;
}

/** What the JSON result line says about the goals (`goals: {}` for a bench that sets none). */
export function goalFields(verdicts: readonly GoalVerdict[]): {
  goalsMet: boolean;
  goals: Record<string, { value: number; op: Goal['op']; limit: number; met: boolean }>;
} {
  return {
    goalsMet: verdicts.every((v) => v.met),
    goals: Object.fromEntries(verdicts.map((v) => [v.name, { value: v.value, op: v.op, limit: v.limit, met: v.met }])),
  };
}

/**
 * The end of every bench: goal lines, `extraLines` (timing, notes), a FAIL line naming any
 * goal not met, then the JSON result line (always last: the runner reads it) with the goal
 * fields added. Sets the exit code to 1 when a goal was not met.
 */
export function finishBench(bench: string, goals: readonly Goal[], extraLines: readonly string[], result: Record<string, unknown>): GoalVerdict[] {
  const verdicts = judge(goals);
  console.log('');
  if (verdicts.length === 0) console.log('no goal set for this bench: its figures are for comparing runs');
  for (const v of verdicts) console.log(goalLine(v));
  for (const line of extraLines) console.log(line);
  const unmet = unmetLine(bench, verdicts);
  if (unmet !== undefined) {
    console.log(unmet);
    process.exitCode = 1;
  }
  console.log(JSON.stringify({ bench, ...result, ...goalFields(verdicts) }));
  return verdicts;
}
