/**
 * The command line's side of the playground: against a real IM server it is off unless asked
 * for, and when asked for it serves the sign-in-with-a-token page and says where.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CliGateway, testCoreFlags } from '../helpers/cli-process.ts';
import { startFakeIm, type FakeIm } from '../helpers/gateway.ts';

let im: FakeIm;
let dataDir: string;
const running: CliGateway[] = [];

beforeAll(async () => {
  im = await startFakeIm();
  dataDir = mkdtempSync(join(tmpdir(), 'jssdk-playground-cli-'));
});
afterEach(async () => {
  for (const gw of running.splice(0)) expect(await gw.stop()).toBe(0);
});
afterAll(async () => {
  await im.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(flags: readonly string[]): Promise<CliGateway> {
  const gw = await CliGateway.start([...testCoreFlags(im.url, dataDir), ...flags]);
  running.push(gw);
  return gw;
}

describe('--playground with a real IM server', () => {
  it('is off by default: no page at /', async () => {
    const gw = await start([]);
    expect((await fetch(`http://127.0.0.1:${gw.port}/`)).status).toBe(404);
    expect(gw.log).not.toContain('playground: open');
  });

  it('on: serves the page, which asks for a userID and a token (no token route), and logs where it is', async () => {
    const gw = await start(['--playground', 'on']);
    const base = `http://127.0.0.1:${gw.port}`;
    expect((await fetch(`${base}/`)).status).toBe(200);
    expect(await (await fetch(`${base}/playground/config`)).json()).toEqual({ tokens: 'manual', apiAddr: im.url, platformID: 5 });
    const token = await fetch(`${base}/playground/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"userID":"alice"}' });
    expect(token.status).toBe(404);
    const line = gw.log.split('\n').find((l) => l.includes('playground: open this address in a browser')) ?? '{}';
    expect(JSON.parse(line)).toMatchObject({ url: `http://127.0.0.1:${gw.port}/` });
  });
});
