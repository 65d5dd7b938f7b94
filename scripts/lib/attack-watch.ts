/**
 * What the attack harness checks on the gateway process itself after each batch, from
 * outside: /healthz, its RSS against a baseline (sampled throughout, so a peak between two
 * checks counts), the counters in /metrics that must not move on client input, and its log
 * lines at error level. One watch per gateway process.
 */
import type { Findings } from './findings.ts';
import { exportedMetric, type GatewayCli, type ProcFigures } from './attack-target.ts';
import { sleep } from './timing.ts';

const MiB = 2 ** 20;
const INTERNAL_ERRORS_METRIC = 'openim_jssdk_internal_errors_total';
const CORE_EXITS_METRIC = 'openim_jssdk_core_exits_total';
const WORKER_RESTARTS_METRIC = 'openim_jssdk_worker_restarts_total';
const RSS_SAMPLE_MS = 250;
/** After the attack: how long sockets and cores get to close (the grace period is 1 s). */
const SETTLE_MS = 8000;
/** Descriptors allowed above the start once settled (log streams, the pool's message ports). */
const FD_SLACK = 16;

export class GatewayWatch {
  baselineRss = 0;
  /** The highest RSS growth over the baseline seen by this watch. */
  peakGrowth = 0;
  /** The highest since the last check. */
  #batchPeak = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #metricBase = { internal: 0, coreExits: 0, workerRestarts: 0 };
  #errorLogsSeen = new Map<string, number>();

  constructor(
    readonly target: GatewayCli,
    readonly rssGrowthBoundMiB: number,
    readonly findings: Findings,
  ) {}

  /** Takes the baseline (call with every session logged in and idle) and starts sampling RSS. */
  async start(): Promise<void> {
    this.baselineRss = this.target.proc()?.rssBytes ?? 0;
    const text = (await this.target.metrics()) ?? '';
    this.#metricBase = {
      internal: exportedMetric(text, INTERNAL_ERRORS_METRIC) ?? 0,
      coreExits: exportedMetric(text, CORE_EXITS_METRIC) ?? 0,
      workerRestarts: exportedMetric(text, WORKER_RESTARTS_METRIC) ?? 0,
    };
    this.#timer = setInterval(() => this.#sample(), RSS_SAMPLE_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #sample(): number {
    const rss = this.target.proc()?.rssBytes;
    if (rss === undefined) return 0;
    const growth = rss - this.baselineRss;
    this.peakGrowth = Math.max(this.peakGrowth, growth);
    this.#batchPeak = Math.max(this.#batchPeak, growth);
    return growth;
  }

  /** The checks after batch `name`; `add` records a finding of that batch. */
  async check(add: (area: string, problem: string, observed: string) => void): Promise<void> {
    const [health, text] = await Promise.all([this.target.healthz(), this.target.metrics()]);
    if (health !== 200) add('gateway', `/healthz answered ${health || 'nothing'} after a batch`, '');
    const now = this.#sample();
    const peak = this.#batchPeak;
    this.#batchPeak = now;
    if (peak > this.rssGrowthBoundMiB * MiB) {
      add(
        'memory',
        `RSS above its baseline by more than ${this.rssGrowthBoundMiB} MiB during a batch`,
        `peak ${mib(peak)} MiB above a ${mib(this.baselineRss)} MiB baseline, ${mib(now)} MiB after it`,
      );
    }
    if (text === undefined) {
      add('gateway', '/metrics did not answer after a batch', '');
    } else {
      const internal = exportedMetric(text, INTERNAL_ERRORS_METRIC);
      if (internal === undefined) {
        this.findings.add('gateway', `/metrics has no ${INTERNAL_ERRORS_METRIC}: internal errors on client input cannot be counted`, '', '');
      } else if (internal > this.#metricBase.internal) {
        add('gateway', `internal errors counted during a batch (${INTERNAL_ERRORS_METRIC})`, `+${internal - this.#metricBase.internal}`);
      }
      const exits = exportedMetric(text, CORE_EXITS_METRIC) ?? 0;
      if (exits > this.#metricBase.coreExits) add('gateway', `cores exited during a batch (${CORE_EXITS_METRIC})`, `+${exits - this.#metricBase.coreExits}`);
      const restarts = exportedMetric(text, WORKER_RESTARTS_METRIC) ?? 0;
      if (restarts > this.#metricBase.workerRestarts)
        add('gateway', `workers replaced during a batch (${WORKER_RESTARTS_METRIC})`, `+${restarts - this.#metricBase.workerRestarts}`);
      this.#metricBase = { internal: internal ?? 0, coreExits: exits, workerRestarts: restarts };
    }
    for (const e of this.target.errorLogs) {
      const seen = this.#errorLogsSeen.get(e.msg) ?? 0;
      if (e.count > seen) add('log', `logged at error level: ${e.msg}`, e.example);
      this.#errorLogsSeen.set(e.msg, e.count);
    }
  }

  /**
   * What /proc says once every client of the harness is gone and the grace period is over:
   * sockets and cores the attack opened must be closed again by then. Waits up to
   * SETTLE_MS for the descriptors to come back near where they started.
   */
  async settled(start: ProcFigures | undefined): Promise<ProcFigures | undefined> {
    const deadline = performance.now() + SETTLE_MS;
    const over = (a: ProcFigures | undefined): boolean => start?.fds !== undefined && a?.fds !== undefined && a.fds > start.fds + FD_SLACK;
    let now = this.target.proc();
    while (over(now) && performance.now() < deadline) {
      await sleep(250);
      now = this.target.proc();
    }
    if (over(now)) {
      this.findings.add(
        'gateway',
        `file descriptors left open after the attack (more than ${FD_SLACK} above the start)`,
        `after every client closed and ${SETTLE_MS / 1000} s`,
        `${start?.fds} at start, ${now?.fds} at the end (${now?.sockets} sockets)`,
      );
    }
    return now;
  }
}

function mib(bytes: number): number {
  return Math.round((bytes / MiB) * 10) / 10;
}
