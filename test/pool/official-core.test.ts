import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorePool } from '../../src/pool/core-pool.ts';
import type { CoreHandle } from '../../src/pool/worker/core-handle.ts';
import { silentLogger, TEST_SDK_CONFIG } from '../helpers/cores.ts';

// The real OpenIM core (@openim/wasm-client-sdk 3.8.5), twelve instances in one worker.
describe('CorePool with the official core', () => {
  let pool: CorePool;
  let cores: CoreHandle[];

  beforeAll(async () => {
    pool = await CorePool.start({ core: 'official', workers: 1, coresPerWorker: 12, logger: silentLogger, logLevel: 'silent' });
    cores = await Promise.all(Array.from({ length: 12 }, (_, i) => pool.startCore({ userID: `user${i}`, platformID: 5 })));
  }, 120_000);
  afterAll(() => pool?.close());

  it('identifies the build', () => {
    expect(pool.build).toMatchObject({ kind: 'official', goAbi: 'gojs', version: 'v3.8.4-alpha.8-e-v1.1.11' });
    expect(pool.build.sizeBytes).toBeGreaterThan(30e6);
    expect(pool.build.functions.length).toBeGreaterThan(100);
    expect(pool.build.functions).toEqual(expect.arrayContaining(['initSDK', 'login', 'getLoginStatus', 'createTextMessage']));
    expect(new Set(cores.map((c) => c.workerId)).size).toBe(1);
  });

  it('keeps twelve instances in one worker isolated: initSDK in half of them only', async () => {
    const before = await Promise.all(cores.map((c) => c.call('getLoginStatus', 'op', [])));
    expect(before).toEqual(cores.map(() => [-1001]));
    const half = cores.filter((_, i) => i % 2 === 0);
    expect(await Promise.all(half.map((c) => c.call('initSDK', 'op-init', [TEST_SDK_CONFIG])))).toEqual(half.map(() => [true]));
    const after = await Promise.all(cores.map((c) => c.call('getLoginStatus', 'op', [])));
    expect(after).toEqual(cores.map((_, i) => (i % 2 === 0 ? [1] : [-1001])));
  });

  it('refuses a bad initSDK config and a missing sync argument without losing the instance', async () => {
    const c = cores[1]!;
    expect(await c.call('initSDK', 'op', [JSON.stringify({ platformID: 5, apiAddr: 'nope', wsAddr: 'nope' })])).toEqual([false]);
    await expect(c.call('createTextMessage', 'op', [])).rejects.toMatchObject({ kind: 'invalid-arguments' });
    await expect(c.call('noSuchThing', 'op', [])).rejects.toMatchObject({ kind: 'unknown-function' });
    // Not logged in: the core's own error code comes back unchanged.
    await expect(cores[0]!.call('getSelfUserInfo', 'op', [])).rejects.toMatchObject({ kind: 'core-error', errCode: 10005 });
    // Before a successful initSDK the glue itself fails (nil session): errCode 100.
    await expect(c.call('getSelfUserInfo', 'op', [])).rejects.toMatchObject({ kind: 'core-error', errCode: 100 });
    expect(await c.call('getLoginStatus', 'op', [])).toEqual([-1001]);
  });

  it('reports per-core memory near the measured ~24 MiB', async () => {
    const stats = await cores[0]!.stats();
    expect(stats.memoryBytes / 2 ** 20).toBeGreaterThan(15);
    expect(stats.memoryBytes / 2 ** 20).toBeLessThan(64);
  });
});
