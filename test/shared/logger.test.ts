/**
 * Log format: readable on a terminal, JSON anywhere else. The choice is checked as a rule,
 * then end to end with the real command line: under a real pseudo-terminal (util-linux
 * `script`) and through a pipe.
 */
import { spawn } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveLogFormat } from '../../src/shared/logger.ts';
import { tsxLoaderUrl } from '../../src/tsx-loader.ts';
import { startFakeIm, type FakeIm } from '../helpers/gateway.ts';
import { testCoreFlags } from '../helpers/cli-process.ts';

const cliPath = new URL('../../src/cli.ts', import.meta.url).pathname;
const LISTENING = /gateway listening/;
const START_TIMEOUT_MS = 30_000;

let im: FakeIm;
let dataDir: string;
beforeAll(async () => {
  im = await startFakeIm();
  dataDir = mkdtempSync(join(tmpdir(), 'jssdk-logger-'));
});
afterAll(async () => {
  await im.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function quote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * Starts the gateway (test core, fake IM), collects what it prints until it listens, then stops
 * it with SIGTERM. `terminal`: stdout is a pseudo-terminal, as when someone runs it by hand.
 */
async function outputUntilListening(flags: readonly string[], terminal: boolean): Promise<string> {
  const argv = ['--import', tsxLoaderUrl(), cliPath, '--host', '127.0.0.1', '--port', '0', ...testCoreFlags(im.url, dataDir), ...flags];
  const child = terminal
    ? spawn('script', ['-qec', [process.execPath, ...argv].map(quote).join(' '), '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "gateway listening" within ${START_TIMEOUT_MS} ms: ${out.slice(-2000)}`)), START_TIMEOUT_MS);
      const onData = (chunk: Buffer): void => {
        out += chunk.toString();
        if (LISTENING.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then(() => reject(new Error(`exited before listening: ${out.slice(-2000)}`)));
    });
  } finally {
    // The whole group: under `script`, the server is the terminal's child, not ours.
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
  return stripVTControlCharacters(out).replaceAll('\r\n', '\n');
}

describe('log format', () => {
  it('auto means pretty on a terminal and JSON otherwise; json and pretty are taken as given', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('on a terminal the CLI prints readable lines by default, and JSON with --log-format json', async () => {
    const pretty = await outputUntilListening([], true);
    expect(pretty).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: gateway listening$/m);
    expect(pretty).toMatch(/^ {4}port: \d+$/m);
    expect(pretty).not.toMatch(/^\{"level"/m);
    const json = await outputUntilListening(['--log-format', 'json'], true);
    const line = json.split('\n').find((l) => LISTENING.test(l)) ?? '';
    const parsed = JSON.parse(line) as { level: number; msg: string; port: unknown };
    expect(parsed).toMatchObject({ level: 30, msg: 'gateway listening' });
    expect(typeof parsed.port).toBe('number');
  }, 60_000);

  it('through a pipe the CLI prints JSON by default, and readable lines with --log-format pretty', async () => {
    const json = await outputUntilListening([], false);
    expect(JSON.parse(json.split('\n').find((l) => LISTENING.test(l)) ?? '')).toMatchObject({ msg: 'gateway listening' });
    const pretty = await outputUntilListening(['--log-format', 'pretty'], false);
    expect(pretty).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: gateway listening$/m);
  }, 60_000);
});
