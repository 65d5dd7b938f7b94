/**
 * What the host must know about the core's JS globals before calling them.
 *
 * Async globals return a Promise and convert their own arguments (a bad one is a clean
 * rejection with errCode 100). Sync-style globals do not survive bad input: a missing or
 * mistyped argument panics inside the Go callback and ends the whole instance. So every
 * sync-style global is listed here with its exact parameters (after operationID) and is
 * validated before the core is touched.
 */

/** JS type a Go parameter needs: Go string ← JS string, Go int/float ← JS number, bool ← boolean. */
export type CoreParam = 'string' | 'int' | 'number' | 'bool';

export interface SyncFunctionSpec {
  readonly params: readonly CoreParam[];
  /** `initSDK` returns its result array synchronously; the others return Promise<array>. */
  readonly returns: 'promise-array' | 'array';
}

const s = (...params: CoreParam[]): SyncFunctionSpec => ({ params, returns: 'promise-array' });

/** Go signatures of open_im_sdk's synchronous functions (core v3.8), operationID omitted. */
export const SYNC_FUNCTIONS: Readonly<Record<string, SyncFunctionSpec>> = {
  initSDK: { params: ['string'], returns: 'array' },
  getLoginStatus: s(),
  getAtAllTag: s(),
  createTextMessage: s('string'),
  createAdvancedTextMessage: s('string', 'string'),
  createTextAtMessage: s('string', 'string', 'string', 'string'),
  createLocationMessage: s('string', 'number', 'number'),
  createCustomMessage: s('string', 'string', 'string'),
  createQuoteMessage: s('string', 'string'),
  createAdvancedQuoteMessage: s('string', 'string', 'string'),
  createCardMessage: s('string'),
  createImageMessage: s('string'),
  createImageMessageByURL: s('string', 'string', 'string', 'string'),
  createImageMessageFromFullPath: s('string'),
  createSoundMessage: s('string', 'int'),
  createSoundMessageByURL: s('string'),
  createSoundMessageFromFullPath: s('string', 'int'),
  createVideoMessage: s('string', 'string', 'int', 'string'),
  createVideoMessageByURL: s('string'),
  createVideoMessageFromFullPath: s('string', 'string', 'int', 'string'),
  createFileMessage: s('string', 'string'),
  createFileMessageByURL: s('string'),
  createFileMessageFromFullPath: s('string', 'string'),
  createMergerMessage: s('string', 'string', 'string'),
  createFaceMessage: s('int', 'string'),
  createForwardMessage: s('string'),
};

/** Globals that belong to the host's plumbing and must never be called from outside. */
export const HOST_ONLY_FUNCTIONS: ReadonlySet<string> = new Set(['commonEventFunc']);

function matches(param: CoreParam, value: unknown): boolean {
  switch (param) {
    case 'string':
      return typeof value === 'string';
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'bool':
      return typeof value === 'boolean';
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isSafeInteger(value)) return `number ${value}`;
  return typeof value;
}

/**
 * Checks the arguments (operationID excluded) of a sync-style global.
 * Returns undefined when they fit, else a message naming the function and the problem.
 */
export function checkSyncArguments(fn: string, spec: SyncFunctionSpec, args: readonly unknown[]): string | undefined {
  if (args.length !== spec.params.length) {
    return `${fn} takes ${spec.params.length} argument(s) after operationID (${spec.params.join(', ') || 'none'}), got ${args.length}`;
  }
  for (const [i, param] of spec.params.entries()) {
    if (!matches(param, args[i])) {
      return `${fn} argument ${i + 1} must be ${param === 'int' ? 'an integer' : `a ${param}`}, got ${describe(args[i])}`;
    }
  }
  return undefined;
}
