/**
 * The attack harness (scripts/attack.ts) at CI size, against the real CLI process with both
 * cores: every function of the protocol table and every pass-through function of the loaded
 * core, before and after Login, with a few hostile values in each argument position and
 * wrong argument counts; then, with the test core, a third of the envelope-level abuse plus
 * the frames that pin the frame size and string length, and the handshake-level abuse (the
 * full run, `npm run attack`, does both with both cores). Not one finding, no process
 * death, the bystander always answered.
 */
import { expect, it } from 'vitest';
import { attackReport, runAttack } from '../../scripts/attack.ts';

it('attack: hostile input to every function before and after Login, envelopes and handshakes, with both cores; the gateway never falls', async () => {
  const r = await runAttack({
    cores: ['test', 'official'],
    seed: 20_240_611,
    seconds: 110,
    perSlot: 2,
    heavySlots: 0,
    scale: 'short',
    envelopeAndHandshake: 'first-core',
    lanes: 2,
    workers: 2,
    maxDeaths: 3,
    rssGrowthMiB: 512,
    // Other test files load the same two CPUs: a looser bystander bound and hang threshold
    // than the script's defaults (1 000 ms each), so that a busy machine is not a finding.
    bystanderMs: 2000,
    answerTimeoutMs: 20_000,
    hangThresholdMs: 5000,
  });
  expect(r.details).toEqual([]);
  expect(r.deaths).toBe(0);
  expect(r.cores.map((c) => c.core)).toEqual(['test', 'official']);
  for (const c of r.cores) {
    expect(c.cutShort, c.core).toBeUndefined();
    expect(c.tried.functionInputs, c.core).toBe(c.planned.functionInputs);
    expect(c.tried.envelopeInputs, c.core).toBe(c.planned.envelopeInputs);
    expect(c.tried.floodFrames, c.core).toBe(c.planned.floodFrames);
    // Every function was attacked in both states (101 table rows; the test core adds 2 pass-through functions, the official core 28).
    expect(c.functions, c.core).toBeGreaterThan(100);
    expect(c.covered, c.core).toEqual({ 'before-login': c.functions, 'after-login': c.functions });
    expect(c.bystander.asked, c.core).toBeGreaterThan(20);
    expect(c.bystander.answered, c.core).toBe(c.bystander.asked);
    expect(c.stop, c.core).toEqual({ code: 0, signal: null });
  }
  expect(r.cores[0]?.tried.handshakes).toBeGreaterThan(100);
  expect(r.cores[0]?.planned.envelopeInputs).toBeGreaterThan(50);
  expect(r.ok).toBe(true);
}, 170_000);

it('attack: a run its time bound cuts short of the planned volume fails and says so', async () => {
  const r = await runAttack({
    cores: ['test'],
    seed: 1,
    seconds: 1,
    perSlot: 1,
    heavySlots: 0,
    scale: 'short',
    envelopeAndHandshake: 'none',
    lanes: 1,
    workers: 1,
    maxDeaths: 1,
    rssGrowthMiB: 512,
    bystanderMs: 2000,
    answerTimeoutMs: 10_000,
    hangThresholdMs: 5000,
  });
  const c = r.cores[0];
  expect(c?.cutShort).toMatch(/time bound/);
  expect(c?.tried.functionInputs).toBeLessThan(c?.planned.functionInputs ?? 0);
  expect(r.ok).toBe(false);
  expect(attackReport(r)).toMatch(/cut short of the planned volume/);
}, 60_000);
