import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OBJECTS_SUBDIR, runDevServerCli, type CliIo } from '../../src/devserver/dev-server-cli.ts';
import { callApi } from './helpers/im-client.ts';

function io(stop?: Promise<string>): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    untilStopped: () => stop ?? new Promise(() => undefined),
  };
}

describe('runDevServerCli', () => {
  it('dev-server runs until stopped; token registers the user and prints a working token', async () => {
    let stop!: (signal: string) => void;
    const server = io(new Promise((resolve) => (stop = resolve)));
    const dataDir = mkdtempSync(join(tmpdir(), 'devserver-cli-'));
    // leftovers of an earlier run: their index is gone with it
    const objects = join(dataDir, OBJECTS_SUBDIR);
    mkdirSync(objects);
    writeFileSync(join(objects, 'stale'), 'from a run before');
    writeFileSync(join(dataDir, 'keep.txt'), 'not ours');
    const running = runDevServerCli(['dev-server', '--api-port', '0', '--ws-port', '0', '--log-level', 'silent', '--data-dir', dataDir], server);
    let banner = '';
    for (let i = 0; i < 200 && banner === ''; i++) {
      await new Promise((r) => setTimeout(r, 10));
      banner = server.err.join('');
    }
    expect(banner).toContain('NOT FOR PRODUCTION');
    expect(readdirSync(objects).sort(), 'uploads go under --data-dir, emptied at start').toEqual(['objects', 'parts']);
    expect(banner).toContain('gone when the process stops');
    const api = /API:\s+(http:\/\/\S+)/.exec(banner)?.[1];
    expect(api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const first = io();
    expect(await runDevServerCli(['token', '--user', 'cli_alice', '--api', api!], first)).toBe(0);
    const token = first.out.join('').trim();
    const parsed = await callApi(api!, '/auth/parse_token', { token });
    expect(parsed.json?.data).toMatchObject({ userID: 'cli_alice', platformID: 5 });
    // a second run for an existing user still works (another platform)
    const second = io();
    expect(await runDevServerCli(['token', '--user', 'cli_alice', '--platform', '2', '--api', api!], second)).toBe(0);
    expect(second.out.join('')).toMatch(/^ey/);
    // a wrong secret is reported, not thrown
    const wrong = io();
    expect(await runDevServerCli(['token', '--user', 'cli_bob', '--api', api!, '--secret', 'nope'], wrong)).toBe(1);
    expect(wrong.err.join('')).toContain('1002');

    stop('SIGTERM');
    expect(await running).toBe(0);
    expect(existsSync(objects), 'emptied at stop').toBe(false);
    expect(existsSync(join(dataDir, 'keep.txt')), 'nothing else in --data-dir is touched').toBe(true);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('usage errors exit 2 with one line', async () => {
    for (const argv of [
      ['token'],
      ['token', '--user', 'a b'],
      ['token', '--user', 'x', '--platform', '10'],
      ['dev-server', '--api-port', 'x'],
      ['dev-server', '--bogus'],
      ['dev-server', '--data-dir', ''],
      ['nope'],
    ]) {
      const out = io();
      expect(await runDevServerCli(argv, out), argv.join(' ')).toBe(2);
      expect(out.err.join('').trim().split('\n')).toHaveLength(1);
    }
  });

  it('token against nothing listening fails with 1', async () => {
    const out = io();
    expect(await runDevServerCli(['token', '--user', 'x', '--api', 'http://127.0.0.1:1'], out)).toBe(1);
    expect(out.err.join('')).toMatch(/ECONNREFUSED|fetch failed/);
  });

  it('--help', async () => {
    const out = io();
    expect(await runDevServerCli(['dev-server', '--help'], out)).toBe(0);
    expect(out.out.join('')).toContain('--api-port');
  });
});
