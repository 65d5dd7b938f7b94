import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

// vitest's CLI entry (not in its package exports): next to its package.json.
const vitestBin = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const config = new URL('./fixtures/skipping/vitest.config.ts', import.meta.url).pathname;

/** Runs the fixture suite (one passing test, one that skips itself) in its own vitest. */
async function runFixture(ci: string | undefined): Promise<{ code: number | null; output: string }> {
  const env = { ...process.env };
  delete env.CI;
  delete env.VITEST; // the child is a fresh vitest, not a worker of this one
  if (ci !== undefined) env.CI = ci;
  const child = spawn(process.execPath, [vitestBin, 'run', '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, output };
}

describe('no skips in CI (vitest reporter)', () => {
  it('fails a run with a self-skipped test when CI is set, naming the test and its note', async () => {
    const r = await runFixture('1');
    expect(r.code, r.output).toBe(1);
    expect(r.output).toContain('CI: 1 test(s) did not run');
    expect(r.output).toContain('skipping.fixture.ts > skips itself (a tool is missing)');
  }, 30_000);

  it('lets the same run pass outside CI', async () => {
    const r = await runFixture(undefined);
    expect(r.code, r.output).toBe(0);
    expect(r.output).not.toContain('did not run');
  }, 30_000);
});
