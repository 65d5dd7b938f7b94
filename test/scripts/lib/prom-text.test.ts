import { Counter, Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { metricSum } from '../../../scripts/lib/prom-text.ts';

describe('metricSum', () => {
  it('sums every label set of a gauge in prom-client text, ignoring metrics that share its prefix', async () => {
    const registry = new Registry();
    new Gauge({ name: 'openim_jssdk_token_cache_entries', help: 'h', registers: [registry] }).set(3);
    const byWorker = new Gauge({ name: 'openim_jssdk_worker_cores', help: 'h', labelNames: ['worker'], registers: [registry] });
    byWorker.set({ worker: '1' }, 2);
    byWorker.set({ worker: 'a b' }, 5);
    new Counter({ name: 'openim_jssdk_token_cache_entries_evicted', help: 'h', registers: [registry] }).inc(100);
    const text = await registry.metrics();
    expect(metricSum(text, 'openim_jssdk_token_cache_entries')).toBe(3);
    expect(metricSum(text, 'openim_jssdk_worker_cores')).toBe(7);
  });

  it('reads an absent metric as undefined (n/a), not 0', async () => {
    const registry = new Registry();
    new Gauge({ name: 'openim_jssdk_connections', help: 'h', registers: [registry] }).set(0);
    const text = await registry.metrics();
    expect(metricSum(text, 'openim_jssdk_handshakes_pending')).toBeUndefined();
    expect(metricSum(text, 'openim_jssdk_connections')).toBe(0);
  });
});
