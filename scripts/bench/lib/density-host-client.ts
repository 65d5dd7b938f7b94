/**
 * The bench side of lib/density-host.ts: starts a gateway in its own process, reads its
 * figures, and closes it together with the sessions logged into it (density and storm).
 */
import type { DevServer } from '../../../src/devserver/dev-server.ts';
import type { DensityHostConfig, DensityReading, DensityReply, DensityRequest } from './density-host.ts';
import { HelperProcess } from './helper-process.ts';
import type { StormSession } from './login-storm.ts';

const HOST_URL = new URL('./density-host.ts', import.meta.url).href;

export type DensityHost = HelperProcess<DensityRequest, DensityReply>;

export interface DensityHostPlan {
  dataDir: string;
  workers: number;
  /** Sessions it will hold; the pool gets room for 20 % more. */
  sessions: number;
  merge: boolean;
  coreMemoryShared?: boolean;
}

/** A gateway (official core) against `dev`, in a child process so that its PSS and CPU are its own. */
export function startDensityHost(dev: DevServer, plan: DensityHostPlan): DensityHost {
  const config: DensityHostConfig = {
    apiUrl: dev.apiUrl,
    wsUrl: dev.wsUrl,
    dataDir: plan.dataDir,
    workers: plan.workers,
    coresPerWorker: Math.ceil((plan.sessions * 1.2) / plan.workers) + 10,
    // The default: a login storm must not get a healthy worker declared hung.
    hangThresholdMs: 1000,
    merge: plan.merge,
    coreMemoryShared: plan.coreMemoryShared,
  };
  return HelperProcess.start<DensityRequest, DensityReply>(HOST_URL, [JSON.stringify(config)]);
}

export async function measureHost(host: DensityHost): Promise<DensityReading & { url: string }> {
  const reply = await host.request({ type: 'measure' });
  if (!reply.reading) throw new Error('density host sent no reading');
  return { ...reply.reading, url: reply.url };
}

/** Closes the sessions' sockets, then the gateway, and waits for its process to end. */
export async function closeHost(host: DensityHost, sessions: readonly StormSession[]): Promise<void> {
  await Promise.all(sessions.map((s) => s.client.close()));
  try {
    await host.request({ type: 'close' });
  } finally {
    await host.exited();
  }
}
