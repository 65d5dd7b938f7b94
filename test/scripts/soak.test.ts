/**
 * The soak script (scripts/soak.ts) at CI size: the same scenarios and end checks as
 * `npm run soak`, 300 cycles over 20 users instead of 10 000 over 50.
 */
import { expect, it } from 'vitest';
import { runSoak } from '../../scripts/soak.ts';

it('soak: 300 login/logout/disconnect cycles leave no session, core or connection behind', async () => {
  const r = await runSoak({ cycles: 300, users: 20, seconds: 45, core: 'test', graceMs: 500, warmup: 100, workers: 2, seed: 1 });
  expect(r.failureSamples).toEqual([]);
  expect(r).toMatchObject({ cycles: 300, timedOut: false, sessions: 0, cores: 0, connections: 0, lostCores: 0, errorLogs: 0 });
  // Every scenario ran at least once, so each path was really exercised.
  for (const [scenario, n] of Object.entries(r.byScenario)) expect(n, scenario).toBeGreaterThan(0);
  expect(r.rssGrowthPct).toBeLessThanOrEqual(10);
  expect(r.ok).toBe(true);
}, 60_000);
