/**
 * Resolving, validating and compiling the OpenIM core build chosen by config.
 *
 * Everything that can be wrong with a build is detected here, once, at startup,
 * and reported as a one-line CoreBuildError naming the file, so that operators
 * are not left to decode a failure deep inside a worker thread.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { inspectWasm, WasmFormatError, withMemoryMaximum, type GoAbi } from './wasm-binary.ts';

/** `official`, `test`, or a path to any .wasm file. */
// `string & {}` keeps the two keywords visible in editor completion without
// narrowing what is accepted.
export type CoreBuildSpec = 'official' | 'test' | (string & {});

export type CoreBuildKind = 'official' | 'test' | 'custom';

export class CoreBuildError extends Error {
  override readonly name = 'CoreBuildError';

  constructor(
    readonly file: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`core build ${file}: ${problem}`, options);
  }
}

export interface CoreBuildIdentity {
  kind: CoreBuildKind;
  file: string;
  sizeBytes: number;
  /** Hex SHA-256 of the file as shipped (before the memory rewrite). */
  sha256: string;
  /** Known up front only for the official build; otherwise filled in later from the core's own output. */
  version: string | undefined;
  goAbi: GoAbi;
}

export interface LoadedCoreBuild {
  identity: CoreBuildIdentity;
  /** Compiled from the rewritten bytes, so its memory maximum is memoryLimitMiB. */
  module: WebAssembly.Module;
  memoryLimitMiB: number;
  /** May be fractional: the module's initial pages / 16. */
  initialMemoryMiB: number;
}

const PACKAGE_NAME = 'openim-jssdk-server';
const OFFICIAL_PACKAGE = '@openim/wasm-client-sdk';
const PAGES_PER_MIB = 16; // 1 MiB / 64 KiB
const MIN_LIMIT_MIB = 16;
const MAX_LIMIT_MIB = 4096; // 65536 pages: the whole 32-bit address space
const GO_EXPORTS = ['run', 'resume', 'getsp', 'mem'] as const;

let cachedRoot: string | undefined;

/**
 * Directory holding this project's package.json. Found by walking up rather than
 * by a fixed `..` count because this file runs both from sources and from dist/.
 */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  const startDir = path.dirname(fileURLToPath(import.meta.url));
  let dir = startDir;
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate) && readPackageName(candidate) === PACKAGE_NAME) {
      cachedRoot = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the ${PACKAGE_NAME} package.json above ${startDir}`);
    }
    dir = parent;
  }
}

function readPackageName(file: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'name' in parsed && typeof parsed.name === 'string') {
      return parsed.name;
    }
  } catch {
    // An unreadable or malformed package.json on the way up is not ours.
  }
  return undefined;
}

function officialPackageDir(): string {
  try {
    return path.dirname(createRequire(import.meta.url).resolve(`${OFFICIAL_PACKAGE}/package.json`));
  } catch {
    // The package's "exports" map does not expose package.json
    // (ERR_PACKAGE_PATH_NOT_EXPORTED), so look for it the way Node would.
  }
  let dir = packageRoot();
  for (;;) {
    const candidate = path.join(dir, 'node_modules', ...OFFICIAL_PACKAGE.split('/'));
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const expected = path.join(packageRoot(), 'node_modules', ...OFFICIAL_PACKAGE.split('/'), 'assets', 'openIM.wasm');
  throw new CoreBuildError(expected, `package ${OFFICIAL_PACKAGE} is not installed`);
}

export function resolveCoreFile(spec: CoreBuildSpec): { kind: CoreBuildKind; file: string } {
  if (spec === 'official') {
    return { kind: 'official', file: path.join(officialPackageDir(), 'assets', 'openIM.wasm') };
  }
  if (spec === 'test') {
    return { kind: 'test', file: path.join(packageRoot(), 'core-wasm', 'testcore', 'testcore.wasm') };
  }
  return { kind: 'custom', file: path.resolve(spec) };
}

function checkMemoryLimit(memoryLimitMiB: number): void {
  if (!Number.isInteger(memoryLimitMiB) || memoryLimitMiB < MIN_LIMIT_MIB || memoryLimitMiB > MAX_LIMIT_MIB) {
    throw new RangeError(`coreMemoryLimitMiB must be an integer between ${MIN_LIMIT_MIB} and ${MAX_LIMIT_MIB}, got ${memoryLimitMiB}`);
  }
}

/**
 * Unlike the shared errorText, names the errno code (ENOENT, EACCES…) of a file error too:
 * the one line an operator gets for a bad `--core` path must say what the system refused.
 */
function fileErrorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== undefined && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

async function readBuildFile(file: string): Promise<Uint8Array> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CoreBuildError(file, 'file does not exist', { cause: err });
    }
    throw new CoreBuildError(file, `cannot access file (${fileErrorText(err)})`, { cause: err });
  }
  if (info.isDirectory()) throw new CoreBuildError(file, 'is a directory, not a .wasm file');
  if (!info.isFile()) throw new CoreBuildError(file, 'is not a regular file');
  try {
    return await readFile(file);
  } catch (err) {
    throw new CoreBuildError(file, `cannot read file (${fileErrorText(err)})`, { cause: err });
  }
}

function readOfficialVersion(wasmFile: string): string | undefined {
  try {
    const text = readFileSync(path.join(path.dirname(wasmFile), 'version'), 'utf8').trim();
    return text === '' ? undefined : text;
  } catch {
    // The version file is informational; without it the runtime learns the
    // version from the core's own output.
    return undefined;
  }
}

export interface CoreBuildOptions {
  memoryLimitMiB: number;
  /**
   * Declare each instance's linear memory shared (default true). V8 counts an unshared
   * wasm memory as external memory of its isolate, and a worker holding hundreds of cores
   * then runs a GC for every few cores that start or grow: measured, 200 logins into one
   * worker cost 163 ms of CPU each unshared and 65 ms shared
   * (docs/runtime.md#many-cores-in-one-worker). `false` exists so benches can measure that.
   */
  sharedMemory?: boolean;
}

export async function loadCoreBuild(spec: CoreBuildSpec, opts: CoreBuildOptions): Promise<LoadedCoreBuild> {
  const { memoryLimitMiB, sharedMemory = true } = opts;
  checkMemoryLimit(memoryLimitMiB);
  const { kind, file } = resolveCoreFile(spec);
  const bytes = await readBuildFile(file);

  let info;
  try {
    info = inspectWasm(bytes);
  } catch (err) {
    if (err instanceof WasmFormatError) {
      // Avoid "not a WebAssembly module (not a WebAssembly module: ...)".
      const problem = err.message.startsWith('not a WebAssembly module') ? err.message : `not a valid WebAssembly module: ${err.message}`;
      throw new CoreBuildError(file, problem, { cause: err });
    }
    throw err;
  }

  const goAbi = info.goAbi;
  if (goAbi === undefined) {
    const from = info.importModules.length > 0 ? info.importModules.map((m) => `'${m}'`).join(', ') : 'nothing';
    throw new CoreBuildError(file, `not a Go js/wasm program: imports neither from 'gojs' nor from 'go' (imports from ${from})`);
  }
  const missing = GO_EXPORTS.filter((name) => !info.exports.includes(name));
  if (missing.length > 0) {
    throw new CoreBuildError(file, `not a Go js/wasm program: missing exports ${missing.join(', ')}`);
  }
  if (info.memory === undefined) {
    throw new CoreBuildError(file, 'not a Go js/wasm program: the module defines no memory of its own');
  }

  const initialPages = info.memory.initialPages;
  const initialMemoryMiB = initialPages / PAGES_PER_MIB;
  const limitPages = memoryLimitMiB * PAGES_PER_MIB;
  if (limitPages < initialPages) {
    throw new CoreBuildError(file, `coreMemoryLimitMiB ${memoryLimitMiB} is below the module's initial memory of ${initialMemoryMiB} MiB (${initialPages} pages)`);
  }

  const sha256 = createHash('sha256').update(bytes).digest('hex');

  let rewritten;
  try {
    rewritten = withMemoryMaximum(bytes, limitPages, { shared: sharedMemory });
  } catch (err) {
    if (err instanceof WasmFormatError) {
      throw new CoreBuildError(file, `cannot set the memory limit (${err.message})`, { cause: err });
    }
    throw err;
  }

  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(rewritten);
  } catch (err) {
    throw new CoreBuildError(file, `WebAssembly compilation failed (${fileErrorText(err)})`, { cause: err });
  }

  return {
    identity: {
      kind,
      file,
      sizeBytes: bytes.length,
      sha256,
      version: kind === 'official' ? readOfficialVersion(file) : undefined,
      goAbi,
    },
    module,
    memoryLimitMiB,
    initialMemoryMiB,
  };
}
