/**
 * Messages between the pool (main thread) and a core worker. Tasks go through piscina;
 * after placement everything else travels on MessagePorts: one control port per worker
 * (heartbeat) and one port per core (comlink calls main → worker, raw event/exit
 * messages worker → main).
 */
import type { MessagePort } from 'node:worker_threads';
import type { CallResult, CoreExitInfo } from '../../../core-wasm/call-result.ts';
import type { GoAbi } from '../../../core-wasm/wasm-binary.ts';

/** Given to every worker at start (structured clone; a WebAssembly.Module shares its code). */
export interface CoreWorkerData {
  module: WebAssembly.Module;
  abi: GoAbi;
  logLevel: string;
  /** Root of the cores' local databases (one SQLite file per user and platform below it). */
  dataDir: string;
  /** GOGC for every core. */
  gcPercent: number;
}

export interface AttachControlTask {
  type: 'attach-control';
  port: MessagePort;
}

export interface CreateCoreTask {
  type: 'create-core';
  coreId: string;
  userID: string;
  platformID: number;
  port: MessagePort;
}

export type CoreWorkerTask = AttachControlTask | CreateCoreTask;

/** What `attach-control` answers: which thread the worker is, for the heartbeat's CPU reading. */
export interface AttachControlResult {
  threadId: number;
  /** The kernel's thread id (Linux), or undefined. */
  tid: number | undefined;
}

export interface CreateCoreResult {
  threadId: number;
  startMs: number;
}

/** main → worker on the control port. */
export type ControlRequest = { type: 'ping'; seq: number };

/** worker → main on the control port. */
export type ControlReply = {
  type: 'pong';
  seq: number;
  cores: number;
  /** Sum of the cores' linear memory. */
  coreMemoryBytes: number;
  /** JavaScript values the cores' Go code still references (freed only by Go's GC). */
  coreHeldValues: number;
  heapUsedBytes: number;
};

/** worker → main on a core port, besides comlink's own replies. */
export type CoreNotice = { type: 'core-event'; json: string } | { type: 'core-exit'; info: CoreExitInfo };

/** What a core port exposes through comlink. */
export interface CoreApi {
  call(fn: string, operationID: string, args: unknown[]): Promise<CallResult>;
  /** Ends the core; resolves once it is gone. */
  dispose(): void;
  stats(): { memoryBytes: number; inFlight: number; openSockets: number };
}

export function isCoreNotice(data: unknown): data is CoreNotice {
  const type = (data as { type?: unknown } | null)?.type;
  return type === 'core-event' || type === 'core-exit';
}
