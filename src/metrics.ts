/**
 * Prometheus metrics for operators (GET /metrics). One registry per server, so tests and
 * several servers in one process do not share counters.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MemoryReport } from './memory/memory-report.ts';

export interface MetricsSources {
  connections(): number;
  sessionsByState(): Record<string, number>;
  outboundBytesQueued(): number;
  /** Bytes of client frames read and not answered yet. */
  inboundBytesHeld?(): number;
  /** Sockets not being read because they hold too many unanswered bytes. */
  socketsPaused?(): number;
  coresPerWorker(): Array<{ workerId: number; cores: number; coreMemoryBytes: number; heapUsedBytes: number; coreHeldValues: number }>;
  /** Handshakes being verified and not yet upgraded or refused. */
  handshakesPending?(): number;
  /** Token verdicts remembered (accepted and refused). */
  tokenCacheEntries?(): number;
  /** Real memory, page merging and admission (read once per scrape). */
  memory?(this: void): Promise<MemoryReport>;
}

/** Memory gauges: name, help, and the figure of the report each shows. */
const MEMORY_GAUGES: ReadonlyArray<readonly [string, string, (r: MemoryReport) => number | null]> = [
  [
    'openim_jssdk_memory_pss_bytes',
    'Proportional set size of the process: its real memory, shared (merged) pages divided among their sharers (read at most every 30 s: it walks every page table)',
    (r) => r.pssBytes,
  ],
  [
    'openim_jssdk_memory_used_bytes',
    'Memory the process holds as admission counts it: RSS less pages merged by KSM, plus the KSM pages they map (current, cheap; a little above PSS)',
    (r) => r.usedBytes,
  ],
  ['openim_jssdk_memory_budget_bytes', 'Memory the cores may fill (--memory-budget); new cores wait or are refused beyond it', (r) => r.budgetBytes],
  ['openim_jssdk_memory_reserved_bytes', 'Memory admitted for cores still starting, not yet in the used figure', (r) => r.reservedBytes],
  ['openim_jssdk_core_starts_waiting_for_memory', 'Core starts waiting for room under the memory budget', (r) => r.startsWaiting],
  ['openim_jssdk_ksm_merging_pages', 'Pages of this process merged with identical pages (KSM)', (r) => r.ksmMergingPages],
  ['openim_jssdk_ksm_profit_bytes', 'Bytes page merging saves this process, net of its bookkeeping', (r) => r.ksmProfitBytes],
];

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly calls: Counter<'function' | 'outcome'>;
  readonly callSeconds: Histogram<'function'>;
  readonly workerRestarts: Counter<'reason'>;
  readonly workerOverloads: Counter;
  readonly coreExits: Counter<'reason'>;
  readonly handshakes: Counter<'status'>;
  readonly disconnects: Counter<'code'>;
  readonly internalErrors: Counter<'where'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'openim_jssdk_process_' });
    new Gauge({
      name: 'openim_jssdk_connections',
      help: 'Open client WebSocket connections',
      registers,
      collect() {
        this.set(sources.connections());
      },
    });
    new Gauge({
      name: 'openim_jssdk_sessions',
      help: 'User sessions (one core each) by state',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const [state, n] of Object.entries(sources.sessionsByState())) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'openim_jssdk_outbound_bytes_queued',
      help: 'Bytes waiting in client socket send buffers',
      registers,
      collect() {
        this.set(sources.outboundBytesQueued());
      },
    });
    new Gauge({
      name: 'openim_jssdk_inbound_bytes_held',
      help: 'Bytes of client frames read and not answered yet',
      registers,
      collect() {
        this.set(sources.inboundBytesHeld?.() ?? 0);
      },
    });
    new Gauge({
      name: 'openim_jssdk_sockets_paused',
      help: 'Client sockets not being read because their unanswered frames are over the inbound bound',
      registers,
      collect() {
        this.set(sources.socketsPaused?.() ?? 0);
      },
    });
    new Gauge({
      name: 'openim_jssdk_worker_cores',
      help: 'Cores resident per worker thread',
      labelNames: ['worker'],
      registers,
      collect() {
        this.reset();
        for (const w of sources.coresPerWorker()) this.set({ worker: String(w.workerId) }, w.cores);
      },
    });
    new Gauge({
      name: 'openim_jssdk_worker_core_memory_bytes',
      help: 'Linear memory of the cores per worker thread',
      labelNames: ['worker'],
      registers,
      collect() {
        this.reset();
        for (const w of sources.coresPerWorker()) this.set({ worker: String(w.workerId) }, w.coreMemoryBytes);
      },
    });
    new Gauge({
      name: 'openim_jssdk_worker_heap_used_bytes',
      help: 'V8 heap in use per worker thread (grows with the values its cores hold)',
      labelNames: ['worker'],
      registers,
      collect() {
        this.reset();
        for (const w of sources.coresPerWorker()) this.set({ worker: String(w.workerId) }, w.heapUsedBytes);
      },
    });
    new Gauge({
      name: 'openim_jssdk_worker_core_held_values',
      help: "JavaScript values the cores' Go code references per worker; released only when each core's Go GC runs",
      labelNames: ['worker'],
      registers,
      collect() {
        this.reset();
        for (const w of sources.coresPerWorker()) this.set({ worker: String(w.workerId) }, w.coreHeldValues);
      },
    });
    this.calls = new Counter({
      name: 'openim_jssdk_calls_total',
      help: 'Client requests by function and outcome (ok, or the errCode)',
      labelNames: ['function', 'outcome'],
      registers,
    });
    this.callSeconds = new Histogram({
      name: 'openim_jssdk_call_duration_seconds',
      help: 'Time from request frame to response, by function',
      labelNames: ['function'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.workerRestarts = new Counter({
      name: 'openim_jssdk_worker_restarts_total',
      help: 'Worker threads replaced, by reason (hang, exit)',
      labelNames: ['reason'],
      registers,
    });
    this.workerOverloads = new Counter({
      name: 'openim_jssdk_worker_overloaded_silences_total',
      help: 'Heartbeat silences past --hang-threshold in which the worker barely got CPU (an overloaded machine): the worker was kept',
      registers,
    });
    this.coreExits = new Counter({
      name: 'openim_jssdk_core_exits_total',
      help: 'Cores lost, by reason (exit, hang, oom, panic)',
      labelNames: ['reason'],
      registers,
    });
    this.disconnects = new Counter({
      name: 'openim_jssdk_disconnects_total',
      help: 'Client sockets closed by the server, by close code (1013 slow consumer, 4000 silent...)',
      labelNames: ['code'],
      registers,
    });
    if (sources.memory) {
      const read = sources.memory;
      // One report per scrape, shared by the gauges (reading it walks every mapping).
      let report: { at: number; value: Promise<MemoryReport> } | undefined;
      const current = (): Promise<MemoryReport> => {
        if (!report || Date.now() - report.at > 500) report = { at: Date.now(), value: read() };
        return report.value;
      };
      for (const [name, help, figure] of MEMORY_GAUGES) {
        new Gauge({
          name,
          help,
          registers,
          async collect() {
            const value = figure(await current());
            if (value === null) this.reset();
            else this.set(value);
          },
        });
      }
    }
    this.internalErrors = new Counter({
      name: 'openim_jssdk_internal_errors_total',
      help: 'Unexpected errors caught by a barrier (a bug; each is logged at error level), by where: frame, request, send, event, session (a refused state change), upgrade, http, admin, cluster, process',
      labelNames: ['where'],
      registers,
    });
    new Gauge({
      name: 'openim_jssdk_handshakes_pending',
      help: 'WebSocket handshakes being verified and not yet upgraded or refused',
      registers,
      collect() {
        this.set(sources.handshakesPending?.() ?? 0);
      },
    });
    new Gauge({
      name: 'openim_jssdk_token_cache_entries',
      help: 'Token verdicts remembered (accepted for at most --token-cache-ttl, refused for 10 s)',
      registers,
      collect() {
        this.set(sources.tokenCacheEntries?.() ?? 0);
      },
    });
    this.handshakes = new Counter({
      name: 'openim_jssdk_handshakes_total',
      help: 'WebSocket handshakes by HTTP status (101 accepted)',
      labelNames: ['status'],
      registers,
    });
  }
}
