import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { loadCoreBuild, type CoreBuildSpec, type LoadedCoreBuild } from '../../core-wasm/core-build.ts';
import { CoreInstance, type CoreInstanceOptions } from '../../core-wasm/core-instance.ts';

const builds = new Map<string, Promise<LoadedCoreBuild>>();

/** Compiles a core build once per test file (and memory cap). */
export function coreBuild(spec: CoreBuildSpec = 'test', memoryLimitMiB = 256): Promise<LoadedCoreBuild> {
  const key = `${spec}@${memoryLimitMiB}`;
  let b = builds.get(key);
  if (!b) {
    b = loadCoreBuild(spec, { memoryLimitMiB });
    builds.set(key, b);
  }
  return b;
}

/** A pino logger whose JSON lines are kept in `lines` for assertions. */
export function captureLogger(level = 'debug'): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

export const silentLogger: Logger = pino({ level: 'silent' });

export async function startCore(name: string, extra: Partial<CoreInstanceOptions> = {}, spec: CoreBuildSpec = 'test', memoryLimitMiB = 256): Promise<CoreInstance> {
  const build = await coreBuild(spec, memoryLimitMiB);
  return CoreInstance.start({ module: build.module, abi: build.identity.goAbi, name, logger: silentLogger, ...extra });
}

export const TEST_SDK_CONFIG = JSON.stringify({
  platformID: 5,
  apiAddr: 'http://127.0.0.1:1',
  wsAddr: 'ws://127.0.0.1:1',
  dataDir: './',
  logLevel: 1,
  isLogStandardOutput: false,
  logFilePath: './',
});

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until it holds (or fails the test after `timeoutMs`). */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached in time');
    await sleep(10);
  }
}
