/**
 * Piscina worker holding many cores. Tasks only place things here (a control port, a
 * new core); each core's calls then arrive over its own MessagePort via comlink.
 */
import { threadId, type MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { pino } from 'pino';
import { Piscina } from 'piscina';
import { CoreInstance } from '../../../core-wasm/core-instance.ts';
import { closeAllStorageBridges, createStorageBridge } from '../../../core-wasm/storage/index.ts';
import { ownThreadTid } from '../thread-cpu.ts';
import { EndedCoreReclaimer, fullGc } from './ended-core-reclaimer.ts';
import type {
  AttachControlResult,
  ControlReply,
  ControlRequest,
  CoreWorkerData,
  CoreWorkerTask,
  CreateCoreResult,
  CreateCoreTask,
  CoreApi,
  CoreNotice,
} from './protocol.ts';

const data = Piscina.workerData as CoreWorkerData;
const logger = pino({ level: data.logLevel, base: { worker: threadId } });
const cores = new Map<string, CoreInstance>();
const reclaimer = new EndedCoreReclaimer(fullGc());

function attachControl(port: MessagePort): void {
  port.on('message', (msg: ControlRequest) => {
    if (msg.type !== 'ping') return;
    let coreMemoryBytes = 0;
    let coreHeldValues = 0;
    for (const core of cores.values()) {
      coreMemoryBytes += core.memoryBytes;
      coreHeldValues += core.heldValues;
    }
    const reply: ControlReply = {
      type: 'pong',
      seq: msg.seq,
      cores: cores.size,
      coreMemoryBytes,
      coreHeldValues,
      heapUsedBytes: process.memoryUsage().heapUsed,
    };
    port.postMessage(reply);
  });
  // The control port must not keep a worker alive on its own; piscina owns its lifetime.
  port.unref();
}

/**
 * Core starts run one at a time with a turn of the event loop between them: each start
 * blocks the thread for tens of milliseconds (Go's init runs synchronously), and a burst
 * of them back to back would starve the heartbeat and get a healthy worker killed as hung.
 */
let startQueue: Promise<unknown> = Promise.resolve();

function createCore(task: CreateCoreTask): Promise<CreateCoreResult> {
  const turn = startQueue.then(() => new Promise<void>((r) => setImmediate(r))).then(() => startCore(task));
  startQueue = turn.catch(() => {});
  return turn;
}

async function startCore(task: CreateCoreTask): Promise<CreateCoreResult> {
  const { coreId, userID, platformID, port } = task;
  const started = performance.now();
  const coreLog = logger.child({ userID, platformID, coreId });
  const notify = (notice: CoreNotice): void => port.postMessage(notice);
  // The core's local database lives here, not in the core: it reaches it only through
  // these functions, installed on its own scope (no core can reach another's file).
  const storage = createStorageBridge({ dataDir: data.dataDir, userID, platformID, logger: coreLog });
  let core: CoreInstance;
  try {
    core = await CoreInstance.start({
      module: data.module,
      abi: data.abi,
      gcPercent: data.gcPercent,
      name: `${userID}/${platformID}`,
      logger: coreLog,
      globals: storage.globals,
      onEvent: (json) => notify({ type: 'core-event', json }),
      onExit: (info) => {
        storage.close();
        cores.delete(coreId);
        reclaimer.coreEnded();
        notify({ type: 'core-exit', info });
      },
    });
  } catch (err) {
    storage.close();
    port.close();
    throw err;
  }
  cores.set(coreId, core);
  // The main thread closes its end when it is done with the core (or gave up waiting
  // for this start): the core must not outlive its only caller. A core that ended on its
  // own (a panic) stays reachable through this port until then, so collect again after.
  port.on('close', () => {
    core.dispose();
    reclaimer.coreEnded();
  });
  const api: CoreApi = {
    call: (fn, operationID, args) => core.call(fn, operationID, args),
    dispose: () => core.dispose(),
    stats: () => ({ memoryBytes: core.memoryBytes, inFlight: core.inFlight, openSockets: core.openSockets }),
  };
  expose(api, nodeEndpoint(port));
  coreLog.debug({ startMs: Math.round(performance.now() - started) }, 'core started');
  return { threadId, startMs: performance.now() - started };
}

// Databases are committed per call; closing them on the way out only tidies the WAL.
process.once('exit', () => closeAllStorageBridges());

export default async function handleTask(task: CoreWorkerTask): Promise<CreateCoreResult | AttachControlResult> {
  switch (task.type) {
    case 'attach-control':
      attachControl(task.port);
      return { threadId, tid: ownThreadTid() };
    case 'create-core':
      return createCore(task);
  }
}
