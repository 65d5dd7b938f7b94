/**
 * The fuzz script (scripts/fuzz.ts) at CI size: the same properties as `npm run fuzz`,
 * 3 000 inputs (handshakes and frames) with a fixed seed instead of 100 000.
 */
import { expect, it } from 'vitest';
import { runFuzz } from '../../scripts/fuzz.ts';

it('fuzz: 3 000 handshakes and frames, every one answered properly, bystander unaffected', async () => {
  const r = await runFuzz({ runs: 3000, seed: 20_240_601, seconds: 45, core: 'test', lanes: 2, handshakePct: 30 });
  expect(r.details).toEqual([]);
  expect(r).toMatchObject({ inputs: 3000, interrupted: false, crashes: 0, coresLost: 0, workersReplaced: 0, hangs: 0, bystanderFailures: 0, healthz: 200, errorLogs: 0 });
  expect(r.handshakes).toBeGreaterThan(0);
  expect(r.bystanderProbes).toBeGreaterThan(0);
}, 60_000);
