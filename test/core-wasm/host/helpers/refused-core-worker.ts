/**
 * Runs the official core (with the storage bridge) in its own thread for
 * official-core-refused.test.ts, so that a core which takes its thread forever makes the
 * test fail instead of freezing the test runner. Posts a 'tick' from a host timer in
 * this thread every 20 ms, the core's events, and the answer to each call it is sent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CallResult } from '../../../../core-wasm/call-result.ts';
import { createStorageBridge } from '../../../../core-wasm/storage/bridge.ts';
import { silentLogger, startCore } from '../../../helpers/cores.ts';

export type ToWorker = { type: 'call'; id: number; fn: string; args: unknown[] };
export type FromWorker = { type: 'tick' } | { type: 'started' } | { type: 'event'; json: string } | { type: 'answer'; id: number; result: CallResult };

const port = parentPort!;
const post = (m: FromWorker): void => port.postMessage(m);
const { dataDir } = workerData as { dataDir: string };

setInterval(() => post({ type: 'tick' }), 20);
const bridge = createStorageBridge({ dataDir, userID: 'u1', platformID: 5, logger: silentLogger });
const core = await startCore('u1/5', { globals: bridge.globals, onEvent: (json) => post({ type: 'event', json }) }, 'official');
port.on('message', (m: ToWorker) => {
  void core.call(m.fn, `op-${m.id}`, m.args).then((result) => post({ type: 'answer', id: m.id, result }));
});
post({ type: 'started' });
