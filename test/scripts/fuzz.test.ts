/**
 * The fuzz script (scripts/fuzz.ts) at CI size: the same properties as `npm run fuzz`, with
 * fixed seeds — 3 000 inputs (handshakes and frames) with the test core, 1 000 frames with the
 * official core (whose 100+ functions the test core lacks, so its frames reach a real core
 * with a SQLite handle, an IM socket and timers) — and the rule that a run cut short by its
 * time bound is not a pass.
 */
import { expect, it } from 'vitest';
import { fuzzReport, runFuzz } from '../../scripts/fuzz.ts';

/** Frame categories that nest structures past three levels, up to and beyond the limits. */
const DEEP = ['deep-arg', 'deep-json-text', 'deep-restringified', 'deep-frame'];

it('fuzz: 3 000 handshakes and frames with the test core, every one answered properly, bystander unaffected', async () => {
  const r = await runFuzz({ runs: 3000, seed: 20_240_601, seconds: 45, core: 'test', lanes: 2, handshakePct: 30 });
  expect(r.details).toEqual([]);
  expect(r).toMatchObject({ inputs: 3000, interrupted: false, crashes: 0, coresLost: 0, workersReplaced: 0, hangs: 0, bystanderFailures: 0, healthz: 200, errorLogs: 0 });
  expect(r.handshakes).toBeGreaterThan(0);
  expect(r.bystanderProbes).toBeGreaterThan(0);
  for (const category of DEEP) expect(r.frameCategories[category], category).toBeGreaterThan(0);
  expect(r.ok).toBe(true);
}, 60_000);

it('fuzz: 1 000 frames with the official core, deep and wide ones included, every one answered properly, never an internal error', async () => {
  const r = await runFuzz({ runs: 1000, seed: 20_240_602, seconds: 40, core: 'official', lanes: 2, handshakePct: 0 });
  expect(r.details).toEqual([]);
  expect(r).toMatchObject({
    inputs: 1000,
    frames: 1000,
    interrupted: false,
    crashes: 0,
    coresLost: 0,
    workersReplaced: 0,
    hangs: 0,
    bystanderFailures: 0,
    healthz: 200,
    errorLogs: 0,
  });
  for (const category of DEEP) expect(r.frameCategories[category], category).toBeGreaterThan(0);
  // Frames reached the core's own functions, not only the gateway's refusals.
  expect(r.frameSuccesses).toBeGreaterThan(20);
  expect(r.ok).toBe(true);
}, 70_000);

it('fuzz: a run its time bound cuts short of --runs fails and says so', async () => {
  // Handshakes only: whatever frames would find, this run can only end by its time bound.
  const r = await runFuzz({ runs: 1_000_000, seed: 20_240_603, seconds: 1, core: 'test', lanes: 1, handshakePct: 100 });
  expect(r.interrupted).toBe(true);
  expect(r.inputs).toBeGreaterThan(0);
  expect(r.inputs).toBeLessThan(1_000_000);
  expect(r.ok).toBe(false);
  expect(fuzzReport(r)).toMatch(/CUT SHORT by the time bound/);
  expect(fuzzReport(r)).toMatch(/FAIL \(the time bound cut the run short/);
}, 30_000);
