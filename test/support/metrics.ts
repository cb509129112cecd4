/**
 * An in-memory Metrics port for tests: what the use cases counted, readable by name, and how often the handler
 * flushed.
 */
import type { CountMetric, FailureClass, LatencyMetric, Metrics } from '../../lambdas/ports/metrics';

export class MemoryMetrics implements Metrics {
  readonly counts = new Map<CountMetric, number>();
  readonly failures = new Map<FailureClass, number>();
  readonly latencies = new Map<LatencyMetric, number[]>();
  flushes = 0;

  count(metric: CountMetric, value = 1): void {
    this.counts.set(metric, (this.counts.get(metric) ?? 0) + value);
  }

  failed(failureClass: FailureClass): void {
    this.count('Failed');
    this.failures.set(failureClass, (this.failures.get(failureClass) ?? 0) + 1);
  }

  latency(metric: LatencyMetric, ms: number): void {
    this.latencies.set(metric, [...(this.latencies.get(metric) ?? []), ms]);
  }

  flush(): void {
    this.flushes++;
  }

  /** The counter's value (0 when never counted). */
  get(metric: CountMetric): number {
    return this.counts.get(metric) ?? 0;
  }
}
