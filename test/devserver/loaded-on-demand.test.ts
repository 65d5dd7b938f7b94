/**
 * The dev server is a separate product: a gateway serving a real IM server never loads one
 * of its modules (the real CLI process, its loaded modules recorded by a loader hook), while
 * the CLI's dev server commands do — which shows the recording sees them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliGateway } from '../helpers/cli-process.ts';
import { tsxLoaderUrl } from '../../src/tsx-loader.ts';
import { startFakeIm, type FakeIm } from '../helpers/gateway.ts';

const recorder = new URL('../helpers/fixtures/module-recorder/register.ts', import.meta.url).href;
const srcDir = fileURLToPath(new URL('../../src/', import.meta.url));
const devServerDir = join(srcDir, 'devserver') + '/';

let dir: string;
let im: FakeIm;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'devserver-on-demand-'));
  im = await startFakeIm();
});

afterAll(async () => {
  await im?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The project's source modules a run recorded in `record`. */
function sourcesIn(record: string): string[] {
  return readFileSync(record, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith('file:'))
    .map((url) => fileURLToPath(url))
    .filter((path) => path.startsWith(srcDir));
}

/** Runs the gateway CLI until it listens, stops it, and returns the source modules it loaded. */
async function gatewaySources(name: string, args: string[]): Promise<string[]> {
  const record = join(dir, `${name}.txt`);
  const gw = await CliGateway.start(['--core', 'test', '--workers', '1', '--data-dir', join(dir, name), ...args], { MODULE_RECORD_FILE: record }, undefined, [
    '--import',
    recorder,
  ]);
  expect(await gw.stop()).toBe(0);
  return sourcesIn(record);
}

/** Runs a CLI subcommand to its end and returns the source modules it loaded. */
async function commandSources(name: string, args: string[]): Promise<string[]> {
  const record = join(dir, `${name}.txt`);
  const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', tsxLoaderUrl(), '--import', recorder, cli, ...args], {
    env: { ...process.env, MODULE_RECORD_FILE: record },
    stdio: 'ignore',
  });
  await new Promise((resolve) => child.once('exit', resolve));
  return sourcesIn(record);
}

describe('dev server modules are loaded only when used', () => {
  it('a gateway against a real IM server loads none of them', async () => {
    const loaded = await gatewaySources('real-im', ['--openim-api', im.url, '--openim-ws', 'ws://127.0.0.1:1']);
    expect(loaded).toContain(join(srcDir, 'server.ts'));
    expect(loaded.filter((p) => p.startsWith(devServerDir))).toEqual([]);
  });

  it('the dev server commands load them (the recording sees them)', async () => {
    // Asks an address where nothing listens: the command fails, after its modules loaded.
    const loaded = await commandSources('token', ['token', '--user', 'alice', '--api', 'http://127.0.0.1:1']);
    expect(loaded).toContain(join(devServerDir, 'dev-server-cli.ts'));
  });
});
