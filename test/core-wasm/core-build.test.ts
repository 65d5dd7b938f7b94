import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CoreBuildError, loadCoreBuild, packageRoot, resolveCoreFile, type LoadedCoreBuild } from '../../core-wasm/core-build.ts';
import { inspectWasm } from '../../core-wasm/wasm-binary.ts';
import { buildGoLikeModule, fixtureImports } from '../helpers/wasm-fixtures.ts';

let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'core-build-test-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function expectBuildError(promise: Promise<unknown>, file: string, problem: RegExp): Promise<CoreBuildError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CoreBuildError);
  const buildErr = err as CoreBuildError;
  expect(buildErr.file).toBe(file);
  expect(buildErr.message).toContain(file);
  expect(buildErr.message).toMatch(problem);
  expect(buildErr.message).not.toContain('\n');
  return buildErr;
}

function memoryOf(loaded: LoadedCoreBuild, importModule: string): WebAssembly.Memory {
  const instance = new WebAssembly.Instance(loaded.module, fixtureImports(importModule));
  return instance.exports['mem'] as WebAssembly.Memory;
}

describe('packageRoot', () => {
  it('finds this project', () => {
    const root = packageRoot();
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string };
    expect(pkg.name).toBe('openim-jssdk-server');
    expect(existsSync(path.join(root, 'core-wasm', 'core-build.ts'))).toBe(true);
  });
});

describe('resolveCoreFile', () => {
  it('maps official to the npm package asset', () => {
    const { kind, file } = resolveCoreFile('official');
    expect(kind).toBe('official');
    expect(file).toBe(path.join(packageRoot(), 'node_modules', '@openim', 'wasm-client-sdk', 'assets', 'openIM.wasm'));
  });

  it('maps test to the test core', () => {
    expect(resolveCoreFile('test')).toEqual({
      kind: 'test',
      file: path.join(packageRoot(), 'core-wasm', 'testcore', 'testcore.wasm'),
    });
  });

  it('resolves anything else as a path from the working directory', () => {
    expect(resolveCoreFile('some/dir/x.wasm')).toEqual({
      kind: 'custom',
      file: path.resolve(process.cwd(), 'some/dir/x.wasm'),
    });
    expect(resolveCoreFile('/abs/core.wasm')).toEqual({ kind: 'custom', file: '/abs/core.wasm' });
  });
});

describe('loadCoreBuild with custom files', () => {
  it('loads a Go-shaped module and caps its memory', async () => {
    const file = path.join(tmp, 'go-like.wasm');
    const bytes = buildGoLikeModule({ memory: { min: 32 } });
    await writeFile(file, bytes);

    const loaded = await loadCoreBuild(file, { memoryLimitMiB: 16 });
    expect(loaded.identity).toEqual({
      kind: 'custom',
      file,
      sizeBytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      version: undefined,
      goAbi: 'gojs',
    });
    expect(loaded.memoryLimitMiB).toBe(16);
    expect(loaded.initialMemoryMiB).toBe(2);

    const mem = memoryOf(loaded, 'gojs');
    expect(mem.buffer.byteLength).toBe(2 * 1024 * 1024);
    expect(mem.grow(16 * 16 - 32)).toBe(32);
    expect(() => mem.grow(1)).toThrow(RangeError);
  });

  it('declares the memory shared unless told not to', async () => {
    const file = path.join(tmp, 'shared.wasm');
    await writeFile(file, buildGoLikeModule({ memory: { min: 4 } }));
    expect(memoryOf(await loadCoreBuild(file, { memoryLimitMiB: 16 }), 'gojs').buffer).toBeInstanceOf(SharedArrayBuffer);
    const unshared = memoryOf(await loadCoreBuild(file, { memoryLimitMiB: 16, sharedMemory: false }), 'gojs');
    expect(unshared.buffer).toBeInstanceOf(ArrayBuffer);
  });

  it('accepts the Go 1.19 ABI', async () => {
    const file = path.join(tmp, 'go119.wasm');
    await writeFile(file, buildGoLikeModule({ importModule: 'go' }));
    const loaded = await loadCoreBuild(file, { memoryLimitMiB: 64 });
    expect(loaded.identity.goAbi).toBe('go');
    expect(loaded.initialMemoryMiB).toBe(1 / 16);
  });

  it('reports a missing file', async () => {
    const file = path.join(tmp, 'nope.wasm');
    await expectBuildError(loadCoreBuild(file, { memoryLimitMiB: 64 }), file, /does not exist/);
  });

  it('reports a directory', async () => {
    const dir = path.join(tmp, 'a-dir.wasm');
    await mkdir(dir);
    await expectBuildError(loadCoreBuild(dir, { memoryLimitMiB: 64 }), dir, /is a directory/);
  });

  it('reports a text file as not WebAssembly', async () => {
    const file = path.join(tmp, 'readme.wasm');
    await writeFile(file, 'this is not wasm\n');
    await expectBuildError(loadCoreBuild(file, { memoryLimitMiB: 64 }), file, /: not a WebAssembly module: bad magic bytes$/);
  });

  it('reports a truncated module', async () => {
    const file = path.join(tmp, 'truncated.wasm');
    const bytes = buildGoLikeModule();
    await writeFile(file, bytes.subarray(0, bytes.length - 2));
    await expectBuildError(loadCoreBuild(file, { memoryLimitMiB: 64 }), file, /: not a valid WebAssembly module: truncated section 10 at byte \d+$/);
  });

  it('rejects valid WebAssembly that does not import from gojs or go', async () => {
    const file = path.join(tmp, 'not-go.wasm');
    const bytes = buildGoLikeModule({ importModule: 'env' });
    await WebAssembly.compile(bytes); // valid, just not Go
    await writeFile(file, bytes);
    await expectBuildError(
      loadCoreBuild(file, { memoryLimitMiB: 64 }),
      file,
      /not a Go js\/wasm program: imports neither from 'gojs' nor from 'go' \(imports from 'env'\)/,
    );
  });

  it('rejects a gojs module lacking the Go exports', async () => {
    const file = path.join(tmp, 'no-exports.wasm');
    await writeFile(file, buildGoLikeModule({ exports: ['run', 'mem'] }));
    await expectBuildError(loadCoreBuild(file, { memoryLimitMiB: 64 }), file, /not a Go js\/wasm program: missing exports resume, getsp$/);
  });

  it('rejects a limit below the initial memory, naming both numbers', async () => {
    const file = path.join(tmp, 'big-initial.wasm');
    await writeFile(file, buildGoLikeModule({ memory: { min: 20 * 16 } }));
    await expectBuildError(loadCoreBuild(file, { memoryLimitMiB: 16 }), file, /coreMemoryLimitMiB 16 is below the module's initial memory of 20 MiB/);
  });

  it('reports compile failures', async () => {
    const file = path.join(tmp, 'bad-body.wasm');
    const bytes = buildGoLikeModule();
    // Replace the final `end` opcode of the last function body with `unreachable`,
    // which keeps the section structure intact but makes the body invalid.
    expect(bytes[bytes.length - 1]).toBe(0x0b);
    bytes[bytes.length - 1] = 0x00;
    await writeFile(file, bytes);
    await expectBuildError(loadCoreBuild(file, { memoryLimitMiB: 64 }), file, /WebAssembly compilation failed/);
  });

  it.each([15, 4097, 64.5, Number.NaN])('rejects coreMemoryLimitMiB %s', async (limit) => {
    const file = path.join(tmp, 'go-like-limit.wasm');
    await writeFile(file, buildGoLikeModule());
    await expect(loadCoreBuild(file, { memoryLimitMiB: limit })).rejects.toThrow(/coreMemoryLimitMiB must be an integer between 16 and 4096/);
  });

  it('accepts the 4096 MiB ceiling', async () => {
    const file = path.join(tmp, 'go-like-4g.wasm');
    await writeFile(file, buildGoLikeModule());
    const loaded = await loadCoreBuild(file, { memoryLimitMiB: 4096 });
    expect(loaded.memoryLimitMiB).toBe(4096);
  });
});

describe('loadCoreBuild official', () => {
  it('loads the OpenIM core from the npm package', async () => {
    const loaded = await loadCoreBuild('official', { memoryLimitMiB: 512 });
    const { identity } = loaded;
    expect(identity.kind).toBe('official');
    expect(identity.file).toBe(resolveCoreFile('official').file);
    expect(identity.sizeBytes).toBeGreaterThan(30e6);
    expect(identity.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(identity.sha256).toBe(createHash('sha256').update(readFileSync(identity.file)).digest('hex'));
    expect(identity.version).toMatch(/^v3\.8/);
    expect(identity.goAbi).toBe('gojs');
    expect(loaded.memoryLimitMiB).toBe(512);

    const original = inspectWasm(readFileSync(identity.file));
    expect(loaded.initialMemoryMiB).toBe(original.memory!.initialPages / 16);
    expect(loaded.initialMemoryMiB).toBeGreaterThan(0);

    // Go cores have no start function, so instantiating with inert stubs runs
    // no Go code; it only lets us look at the memory the module declares.
    const stubs: Record<string, Record<string, () => void>> = {};
    for (const imp of WebAssembly.Module.imports(loaded.module)) {
      expect(imp.kind).toBe('function');
      (stubs[imp.module] ??= {})[imp.name] = () => {};
    }
    const mem = new WebAssembly.Instance(loaded.module, stubs).exports['mem'] as WebAssembly.Memory;
    const pages = mem.buffer.byteLength / 65536;
    expect(pages).toBe(original.memory!.initialPages);
    expect(mem.grow(512 * 16 - pages)).toBe(pages);
    expect(() => mem.grow(1)).toThrow(RangeError);
  });
});

describe('loadCoreBuild test', () => {
  it('loads the Go 1.19 test core', async () => {
    const loaded = await loadCoreBuild('test', { memoryLimitMiB: 64 });
    expect(loaded.identity.kind).toBe('test');
    expect(loaded.identity.file).toBe(path.join(packageRoot(), 'core-wasm', 'testcore', 'testcore.wasm'));
    expect(loaded.identity.goAbi).toBe('go');
    expect(loaded.identity.version).toBeUndefined();
    expect(loaded.identity.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
