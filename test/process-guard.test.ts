import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tsxLoaderUrl } from '../src/tsx-loader.ts';

const tsxLoader = tsxLoaderUrl();
const guard = new URL('../src/process-guard.ts', import.meta.url).href;

/** Runs `body` in a fresh Node process with the guard installed; returns its exit code and output. */
function run(body: string, install = true): { status: number | null; stdout: string } {
  const script = `
    import { pino } from 'pino';
    import { installProcessGuard } from ${JSON.stringify(guard)};
    let caught = 0;
    if (${install}) installProcessGuard(pino({ level: 'silent' }), () => caught++);
    ${body}
    setTimeout(() => { console.log('alive, caught ' + caught); }, 100);
  `;
  const r = spawnSync(process.execPath, ['--import', tsxLoader, '--input-type=module', '-e', script], { encoding: 'utf8', cwd: process.cwd() });
  return { status: r.status, stdout: r.stdout };
}

describe('process guard', () => {
  it('keeps the process alive and counts an uncaught exception and an unhandled rejection', () => {
    const r = run(`setTimeout(() => { throw new RangeError('boom'); }, 10); void Promise.reject(new Error('nope'));`);
    expect(r.stdout.trim()).toBe('alive, caught 2');
    expect(r.status).toBe(0);
  });

  it('without it the same faults end the process (what the guard is for)', () => {
    const r = run(`setTimeout(() => { throw new RangeError('boom'); }, 10);`, false);
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain('alive');
  });
});
