import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeIm, TestClient, tokenFor, type FakeIm } from './helpers/gateway.ts';
import { DATA_DIR_MARKER } from '../src/config/data-dir.ts';
import type { RunningServer } from '../src/server.ts';
import { tsxLoaderUrl } from '../src/tsx-loader.ts';

const tsxLoader = tsxLoaderUrl();
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
    const c = await TestClient.connect({ url: `ws://127.0.0.1:${port}` }, 'alice', 5, token);
    expect((await c.login('alice', token)).errCode).toBe(0);
    child.kill('SIGTERM');
    const r = await done;
    expect(r.code).toBe(0);
    // Its own data directory: a fresh temporary one, marked as dev-server data, gone at exit.
    const line = r.stdout.split('\n').find((l) => l.includes('"msg":"data directory"'));
    const logged = JSON.parse(line ?? '{}') as { dataDir?: string; kind?: string };
    expect(logged.kind).toBe('dev-server');
    expect(logged.dataDir?.startsWith(join(tmpdir(), 'openim-jssdk-dev-'))).toBe(true);
    expect(existsSync(logged.dataDir!)).toBe(false);
  });

  it('--core test is refused when NODE_ENV=production: exit 2, one line', async () => {
    const r = await finish(runCli(['--openim-api', im.url, '--openim-ws', 'ws://127.0.0.1:1', '--core', 'test'], { NODE_ENV: 'production' }));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--core test is refused when NODE_ENV=production');
  });

  it('a core file with debug hooks (the test core by path) is refused when NODE_ENV=production: exit 2, one line', async () => {
    const testcore = new URL('../core-wasm/testcore/testcore.wasm', import.meta.url).pathname;
    const dataDir = mkdtempSync(join(tmpdir(), 'jssdk-cli-'));
    const child = runCli(['--openim-api', im.url, '--openim-ws', 'ws://127.0.0.1:1', '--core', testcore, '--port', '0', '--data-dir', dataDir], {
      NODE_ENV: 'production',
    });
    const deadline = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const r = await finish(child);
    clearTimeout(deadline);
    rmSync(dataDir, { recursive: true, force: true });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/is refused when NODE_ENV=production: it registers debug hooks \(debug\w+(, debug\w+)*\)/);
  });

  it('--memory-merge on refuses to start where merging cannot take effect (ksmd off), with one line saying how to turn it on', async () => {
    const ksmdOn = existsSync('/sys/kernel/mm/ksm/run') && readFileSync('/sys/kernel/mm/ksm/run', 'utf8').trim() === '1';
    const dataDir = mkdtempSync(join(tmpdir(), 'jssdk-cli-'));
    const child = runCli(['--openim-api', im.url, '--openim-ws', 'ws://127.0.0.1:1', '--core', 'test', '--port', '0', '--data-dir', dataDir, '--memory-merge', 'on']);
    // Collect output from the start: the line that says merging is on comes before "listening".
    const done = finish(child);
    const started = await listeningPort(child).then(
      () => true,
      () => false,
    );
    if (started) child.kill('SIGTERM');
    const r = await done;
    rmSync(dataDir, { recursive: true, force: true });
    if (started) {
      // Only where it can work: ksmd running (and the addon built, the kernel recent enough).
      expect(ksmdOn).toBe(true);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('page merging on');
      return;
    }
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--memory-merge on cannot take effect: .*(ksmd is off.*echo 1 > \/sys\/kernel\/mm\/ksm\/run|Linux 6\.4|not built)/);
  });

  describe('data directories', () => {
    let root: string;
    beforeAll(() => {
      root = mkdtempSync(join(tmpdir(), 'jssdk-cli-data-'));
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    const realIm = (): string[] => ['--openim-api', im.url, '--openim-ws', 'ws://127.0.0.1:1'];
    const marker = (dir: string): unknown => JSON.parse(readFileSync(join(dir, DATA_DIR_MARKER), 'utf8'));
    async function refused(args: string[], message: RegExp): Promise<void> {
      const child = runCli(args);
      // A refusal is immediate; a process that started serving instead must not outlive the test.
      const deadline = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const r = await finish(child);
      clearTimeout(deadline);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    /** Starts and stops a gateway on the directory (the marker is written before the pool starts). */
    async function serve(args: string[]): Promise<void> {
      const child = runCli([...args, '--core', 'test', '--port', '0', '--host', '127.0.0.1', '--workers', '1'], { OPENIM_JSSDK_LOG_LEVEL: 'info' });
      const done = finish(child);
      await listeningPort(child);
      child.kill('SIGTERM');
      expect((await done).code).toBe(0);
    }

    it('the embedded dev server refuses a directory a real IM server used (marked, or holding files without a marker)', async () => {
      const real = join(root, 'real');
      await serve([...realIm(), '--data-dir', real]);
      expect(marker(real)).toMatchObject({ kind: 'openim' });
      await refused(
        ['--data-dir', real],
        new RegExp(`--data-dir "${real}" holds data of a real IM server; the embedded dev server \\(whose tokens anyone can mint\\) must not open it`),
      );

      const legacy = join(root, 'legacy');
      mkdirSync(join(legacy, 'users'), { recursive: true });
      await refused(['--data-dir', legacy], /already holds data without a \.openim-jssdk-data\.json, so it counts as a real IM server's/);
      // Through the environment too.
      const envChild = runCli([], { OPENIM_JSSDK_DATA_DIR: legacy });
      const envDeadline = setTimeout(() => envChild.kill('SIGKILL'), 10_000);
      const env = await finish(envChild);
      clearTimeout(envDeadline);
      expect(env.code).toBe(2);
      expect(existsSync(join(legacy, DATA_DIR_MARKER))).toBe(false);
    });

    it('a real IM server refuses a directory the dev server used; adopts an old unmarked one', async () => {
      const dev = join(root, 'dev');
      mkdirSync(dev);
      writeFileSync(join(dev, DATA_DIR_MARKER), JSON.stringify({ kind: 'dev-server', createdAt: '' }));
      await refused([...realIm(), '--data-dir', dev], /holds data of the embedded dev server; a real IM server's users must not share it/);

      const old = join(root, 'old');
      mkdirSync(join(old, 'users'), { recursive: true });
      await serve([...realIm(), '--data-dir', old]);
      expect(marker(old)).toMatchObject({ kind: 'openim' });

      const garbled = join(root, 'garbled');
      mkdirSync(garbled);
      writeFileSync(join(garbled, DATA_DIR_MARKER), '{"kind":"maybe"}');
      await refused([...realIm(), '--data-dir', garbled], /has an unreadable \.openim-jssdk-data\.json/);
    });
  });

  it('a core file that is not wasm stops start-up with one line naming it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jssdk-cli-'));
    const r = await finish(runCli(['--openim-api', im.url, '--openim-ws', 'ws://127.0.0.1:1', '--data-dir', dataDir, '--core', cliPath, '--port', '0']));
    rmSync(dataDir, { recursive: true, force: true });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('cli.ts');
  });

  it('SIGTERM while starting: the server finishes starting, then stops cleanly (exit 0)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jssdk-cli-'));
    const child = runCli(['--openim-api', im.url, '--openim-ws', 'ws://127.0.0.1:1', '--data-dir', dataDir, '--core', 'test', '--port', '0', '--workers', '1'], {
      OPENIM_JSSDK_LOG_LEVEL: 'info',
    });
    const done = finish(child);
    let out = '';
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('"msg":"data directory"')) resolve();
      });
    });
    child.kill('SIGTERM');
    const r = await done;
    rmSync(dataDir, { recursive: true, force: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/"signal":"SIGTERM"[^\n]*"msg":"shutting down"/);
    expect(r.stdout).toContain('"msg":"stopped"');
  });

  it('SIGTERM: sockets closed with 1001, cores logged out, exit 0 within 10 s', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jssdk-cli-'));
    const child = runCli(
      ['--openim-api', im.url, '--openim-ws', 'ws://127.0.0.1:1', '--data-dir', dataDir, '--core', 'test', '--port', '0', '--host', '127.0.0.1', '--workers', '1'],
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
    const closed = r.stdout
      .split('\n')
      .filter((l) => l.includes('"msg":"session closed"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(closed).toEqual([expect.objectContaining({ userID: 'quinn', why: 'server shutdown', coreLoggedOut: true })]);
    expect(r.stdout).not.toContain(tokenFor('quinn'));
    rmSync(dataDir, { recursive: true, force: true });
  });
});
