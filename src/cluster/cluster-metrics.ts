/** The cluster's Prometheus metrics, registered in the server's registry (only with `--redis`). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ClusterMetricSources {
  leased(): boolean;
  claimsWaiting(): number;
}

export class ClusterMetrics {
  /** side: `taking` (this node asked) or `giving` (this node let go); outcome: ok, timeout, dropped. */
  readonly handovers: Counter<'side' | 'outcome'>;
  /** How long a Login waited for another node to let go of its user. */
  readonly handoverSeconds: Histogram;
  readonly messagesDropped: Counter<'reason'>;
  readonly leaseLosses: Counter;

  constructor(registry: Registry, sources: ClusterMetricSources) {
    const registers = [registry];
    new Gauge({
      name: 'openim_jssdk_cluster_leased',
      help: 'Whether this node holds its cluster lease (1) and may log users in',
      registers,
      collect() {
        this.set(sources.leased() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'openim_jssdk_cluster_claims_waiting',
      help: 'Logins waiting for another node to hand their user over',
      registers,
      collect() {
        this.set(sources.claimsWaiting());
      },
    });
    this.handovers = new Counter({
      name: 'openim_jssdk_cluster_handovers_total',
      help: 'Sessions handed between nodes, by side (taking, giving) and outcome',
      labelNames: ['side', 'outcome'],
      registers,
    });
    this.handoverSeconds = new Histogram({
      name: 'openim_jssdk_cluster_handover_seconds',
      help: 'Time a Login waited for another node to let go of its user',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers,
    });
    this.messagesDropped = new Counter({
      name: 'openim_jssdk_cluster_messages_dropped_total',
      help: 'Messages from other nodes dropped before use, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.leaseLosses = new Counter({
      name: 'openim_jssdk_cluster_lease_losses_total',
      help: 'Times this node lost its cluster lease and gave every user back',
      registers,
    });
  }
}
