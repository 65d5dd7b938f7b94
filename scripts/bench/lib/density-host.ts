/**
 * Child process of the density bench: the whole gateway (`startServer`, official core), alone
 * in its process so that its PSS and CPU are its own; the dev server and the client sockets
 * live in the bench's process.
 *
 *   node density-host.ts '<DensityHostConfig JSON>'
 */
import { pino } from 'pino';
import { setProcessMerge } from '../../../src/memory/memory-merge.ts';
import { readKsmStat, readProcessMemory } from '../../../src/memory/process-memory.ts';
import { startServer } from '../../../src/server.ts';
import { serveRequests } from './helper-process.ts';
import { keptAlive } from './report.ts';
import { threadCpuSeconds } from './ksmd.ts';
import { hostServerOptions, type HostConfig } from './host-options.ts';

export interface DensityHostConfig extends HostConfig {
  /** Whether the process starts opted in to page merging. */
  merge: boolean;
  /** Cores' memories shared (the default) or not, as before (the storm bench compares). */
  coreMemoryShared?: boolean;
}

export type DensityRequest = { type: 'measure' } | { type: 'merge'; on: boolean } | { type: 'close' };

export interface DensityReading {
  pssBytes: number;
  rssBytes: number;
  ksmMergingPages: number;
  /** CPU seconds the whole process (every thread) has used. */
  cpuSeconds: number;
  cores: number;
  loggedIn: number;
  /** Core starts the memory budget held back or refused so far is not tracked here; this is the budget. */
  budgetBytes: number | undefined;
}

export interface DensityReply {
  url: string;
  reading?: DensityReading;
}

async function startHost(config: DensityHostConfig): Promise<(req: DensityRequest) => Promise<DensityReply>> {
  const gw = await startServer({
    ...hostServerOptions(config),
    memoryMerge: config.merge ? 'on' : 'off',
    coreMemoryShared: config.coreMemoryShared,
    logLevel: 'warn',
    logger: pino({ level: 'warn' }, pino.destination({ fd: 2, sync: false })),
  });
  const reading = async (): Promise<DensityReading> => {
    const [memory, ksm] = await Promise.all([readProcessMemory(), readKsmStat()]);
    return {
      pssBytes: memory?.pssBytes ?? NaN,
      rssBytes: memory?.rssBytes ?? NaN,
      ksmMergingPages: ksm?.mergingPages ?? 0,
      cpuSeconds: threadCpuSeconds(process.pid) ?? NaN,
      cores: gw.pool.coreCount,
      loggedIn: gw.hub.sessions().filter((s) => s.state === 'logged-in').length,
      budgetBytes: gw.pool.memoryAdmission?.budgetBytes,
    };
  };
  return async (req) => {
    switch (req.type) {
      case 'measure':
        return { url: gw.url, reading: await reading() };
      case 'merge': {
        const problem = setProcessMerge(req.on);
        if (problem !== undefined) throw new Error(problem);
        return { url: gw.url, reading: await reading() };
      }
      case 'close':
        await keptAlive(() => gw.close());
        return { url: gw.url };
    }
  };
}

const config = JSON.parse(process.argv[2] ?? '{}') as DensityHostConfig;
// Listening before the gateway is up: a request sent meanwhile would otherwise be dropped.
const host = startHost(config);
host.catch((err: unknown) => {
  process.stderr.write(`density-host failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
serveRequests(async (body) => {
  const req = body as DensityRequest;
  const reply = await (await host)(req);
  if (req.type === 'close') setTimeout(() => process.exit(0), 100);
  return reply;
});
