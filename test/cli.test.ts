import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeIm, TestClient, tokenFor, type FakeIm } from './helpers/gateway.ts';
import type { RunningServer } from '../src/server.ts';

const tsxLoader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
const cliPath = new URL('../src/cli.ts', import.meta.url).pathname;

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', tsxLoader, cliPath, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function finish(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const m = /"port":(\d+).*gateway listening/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`cli exited early: ${buf}`)));
  });
}

describe('command line', () => {
  let im: FakeIm;
  beforeAll(async () => {
    im = await startFakeIm();
  });
  afterAll(() => im.close());

  it('--help lists every flag and exits 0', async () => {
    const r = await finish(runCli(['--help']));
    expect(r.code).toBe(0);
    for (const flag of ['--port', '--openim-api', '--core', '--cores-per-worker', '--grace-period', '--admin-token']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it.each([
    [['--workers', 'lots'], /--workers/],
    [['--new-message-events', 'maybe'], /--new-message-events.*batch/],
    [['--no-such-flag'], /no-such-flag/],
  ])('%j exits 2 with one line naming the problem', async (args, message) => {
    const r = await finish(runCli(args));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('in production, missing IM addresses exit 2 instead of starting the dev server', async () => {
    const r = await finish(runCli([], { NODE_ENV: 'production' }));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--openim-api and --openim-ws are required in production/);
  });

  it('without IM addresses it embeds the dev server, says so loudly, and serves logins', async () => {
    const child = runCli(['--core', 'test', '--port', '0', '--host', '127.0.0.1', '--workers', '1'], { OPENIM_JSSDK_LOG_LEVEL: 'info' });
    const done = finish(child);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const port = await listeningPort(child);
    expect(stderr).toMatch(/EMBEDDED OPENIM DEV SERVER.*NOT FOR PRODUCTION/);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    // The banner's own recipe: get a token from the embedded server, then log in with it.
    const tokenRun = await finish(runCli(['token', '--user', 'alice', '--api', 'http://127.0.0.1:10002']));
    expect(tokenRun.code).toBe(0);
    const token = tokenRun.stdout.trim();
    const c = await TestClient.connect({ url: `ws://127.0.0.1:${port}` } as RunningServer, 'alice', 5, token);
    expect((await c.login('alice', token)).errCode).toBe(0);
    child.kill('SIGTERM');
    expect((await done).code).toBe(0);
  });

  it('a core file that is not wasm stops start-up with one line naming it', async () => {
    const r = await finish(runCli(['--openim-api', im.url, '--openim-ws', 'ws://127.0.0.1:1', '--core', cliPath, '--port', '0']));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('cli.ts');
  });

  it('SIGTERM: sockets closed with 1001, cores logged out, exit 0 within 10 s', async () => {
    const child = runCli(
      ['--openim-api', im.url, '--openim-ws', 'ws://127.0.0.1:1', '--core', 'test', '--port', '0', '--host', '127.0.0.1', '--workers', '1'],
      { OPENIM_JSSDK_LOG_LEVEL: 'info' },
    );
    const done = finish(child);
    const port = await listeningPort(child);
    const gw = { url: `ws://127.0.0.1:${port}` } as RunningServer;
    const c = await TestClient.connect(gw, 'quinn', 5, tokenFor('quinn'));
    expect((await c.login('quinn')).errCode).toBe(0);
    const started = Date.now();
    child.kill('SIGTERM');
    expect((await c.closed).code).toBe(1001);
    const r = await done;
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.stdout).toContain('session closed');
    expect(r.stdout).not.toContain(tokenFor('quinn'));
  });
});
