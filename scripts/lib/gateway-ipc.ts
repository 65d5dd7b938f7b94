/** Messages between a soak/fuzz script and the gateway it runs in a child process. */

export interface GatewayChildOptions {
  core: 'test' | 'official';
  workers: number;
  coresPerWorker: number;
  /** Grace period after a session's last socket closes; fractions of a second are fine here. */
  gracePeriodMs: number;
  maxConnsPerUser: number;
  openimApi: string;
  openimWs: string;
  /** The cores' local databases; the parent makes and removes it. */
  dataDir: string;
  /** pino level of the gateway's log, which goes to the child's stderr. */
  logLevel: 'silent' | 'fatal' | 'error' | 'warn' | 'info' | 'debug';
  /** Several nodes: the node joins this cluster (`--redis`, `--node-id`, `--redis-prefix`, `--lease-ttl`). */
  cluster?: { redis: string; nodeId: string; prefix: string; leaseTtlMs: number };
}

export interface WorkerFigures {
  id: number;
  /** Cores the worker itself reports (last heartbeat). */
  cores: number;
  /** Cores the pool has placed on it. */
  residentCores: number;
  coreMemoryBytes: number;
  /** The worker's own JS heap (last heartbeat). */
  heapUsedBytes: number;
}

export interface GatewayFigures {
  /** `gw.hub.size` */
  sessions: number;
  sessionsByState: Record<string, number>;
  /** `gw.pool.coreCount` */
  poolCores: number;
  workers: WorkerFigures[];
  memory: NodeJS.MemoryUsage;
}

export interface LostCore {
  userID: string;
  platformID: number;
  workerId: number;
  reason: string;
  message: string;
  /** Epoch ms in the child. */
  at: number;
}

export type ParentRequest =
  | { id: number; type: 'figures' }
  /** Collects garbage `rounds` times, `pauseMs` apart, then answers with figures. */
  | { id: number; type: 'settle-memory'; rounds: number; pauseMs: number }
  /** Writes a V8 heap snapshot of the gateway's main thread to `path` (leak hunting). */
  | { id: number; type: 'heap-snapshot'; path: string }
  | { id: number; type: 'close' };

export type ChildMessage =
  | { type: 'ready'; url: string; port: number; coreFunctions: string[] }
  | { type: 'start-failed'; message: string }
  | { type: 'reply'; id: number; figures?: GatewayFigures; error?: string }
  | { type: 'core-lost'; lost: LostCore }
  | { type: 'worker-replaced'; workerId: number; reason: string; lostCores: number };
