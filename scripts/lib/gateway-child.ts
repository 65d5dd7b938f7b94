/**
 * Child-process entry: one gateway (`startServer`) driven over IPC by a soak or fuzz script.
 *
 * The gateway runs apart from the clients that load it so that (1) its RSS is its own, not
 * also the load generator's sockets and buffers, and (2) a crash of the gateway shows up as
 * this process exiting instead of taking the script (and its report) down with it.
 * Started with --expose-gc so memory can be measured after collection.
 */
import { writeHeapSnapshot } from 'node:v8';
import { pino } from 'pino';
import { defaultServerOptions } from '../../src/config/options.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { sleep } from './timing.ts';
import { WorkerGc } from './worker-gc.ts';
import type { ChildMessage, GatewayChildOptions, GatewayFigures, ParentRequest } from './gateway-ipc.ts';
import { errorText } from '../../src/shared/error-text.ts';

function send(message: ChildMessage): void {
  process.send?.(message);
}

function figures(gw: RunningServer): GatewayFigures {
  const sessionsByState: Record<string, number> = {};
  for (const s of gw.hub.sessions()) sessionsByState[s.state] = (sessionsByState[s.state] ?? 0) + 1;
  return {
    sessions: gw.hub.size,
    sessionsByState,
    poolCores: gw.pool.coreCount,
    workers: gw.pool.workers().map((w) => ({
      id: w.id,
      cores: w.cores,
      residentCores: w.residentCores,
      coreMemoryBytes: w.coreMemoryBytes,
      heapUsedBytes: w.heapUsedBytes,
    })),
    memory: process.memoryUsage(),
  };
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as GatewayChildOptions;
  // Without a parent the child would live on as an orphan holding its port.
  process.on('disconnect', () => process.exit(0));

  let gw: RunningServer;
  try {
    gw = await startServer({
      ...defaultServerOptions(),
      host: '127.0.0.1',
      port: 0,
      core: options.core,
      workers: options.workers,
      coresPerWorker: options.coresPerWorker,
      maxConnsPerUser: options.maxConnsPerUser,
      gracePeriodSeconds: options.gracePeriodMs / 1000,
      openimApi: options.openimApi,
      openimWs: options.openimWs,
      dataDir: options.dataDir,
      logLevel: options.logLevel,
      logger: pino({ level: options.logLevel }, pino.destination({ fd: 2, sync: false })),
      ...(options.cluster === undefined
        ? {}
        : { redis: options.cluster.redis, nodeId: options.cluster.nodeId, redisPrefix: options.cluster.prefix, leaseTtlMs: options.cluster.leaseTtlMs }),
    });
  } catch (err) {
    send({ type: 'start-failed', message: errorText(err) });
    process.exit(1);
  }

  gw.pool.on('coreLost', (lost) =>
    send({
      type: 'core-lost',
      lost: {
        userID: lost.userID,
        platformID: lost.platformID,
        workerId: lost.workerId,
        reason: lost.reason,
        message: lost.message,
        at: Date.now(),
      },
    }),
  );
  gw.pool.on('workerReplaced', (w) => send({ type: 'worker-replaced', ...w }));

  const gc = (globalThis as { gc?: () => void }).gc;
  // Attached on the first settle only: figures() and the fuzz never need it.
  let workerGc: Promise<WorkerGc> | undefined;
  process.on('message', (req: ParentRequest) => {
    const handle = async (): Promise<ChildMessage> => {
      switch (req.type) {
        case 'figures':
          return { type: 'reply', id: req.id, figures: figures(gw) };
        case 'settle-memory': {
          workerGc ??= WorkerGc.start(gw.pool.workers().length);
          const workers = await workerGc;
          for (let i = 0; i < req.rounds; i++) {
            gc?.();
            // Disposed cores' linear memories are freed only when their worker collects.
            await workers.collect();
            await sleep(req.pauseMs);
          }
          return { type: 'reply', id: req.id, figures: figures(gw) };
        }
        case 'heap-snapshot':
          gc?.();
          writeHeapSnapshot(req.path);
          return { type: 'reply', id: req.id, figures: figures(gw) };
        case 'close':
          if (workerGc) (await workerGc).close();
          await gw.close();
          return { type: 'reply', id: req.id };
      }
    };
    handle().then(
      (reply) => {
        send(reply);
        if (req.type === 'close') setTimeout(() => process.exit(0), 50);
      },
      (err: unknown) => send({ type: 'reply', id: req.id, error: errorText(err) }),
    );
  });

  send({ type: 'ready', url: gw.url, port: gw.port, coreFunctions: [...gw.pool.build.functions] });
}

void main();
