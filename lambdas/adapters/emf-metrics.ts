/**
 * The Metrics port in CloudWatch Embedded Metric Format: JSON log lines that CloudWatch Logs turns into metrics,
 * with no API call, no extra permission and no latency on the hot path. Local mode writes the same lines to its
 * log.
 *
 * Format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
import type { Clock } from '../ports';
import {
  DEPLOYMENT_DIMENSION,
  FAILURE_CLASS_DIMENSION,
  FAILURE_CLASSES,
  METRICS_NAMESPACE,
  COUNT_METRICS,
  type CountMetric,
  type FailureClass,
  type LatencyMetric,
  type Metrics,
} from '../ports/metrics';

/** EMF accepts at most 100 values per metric in one document; more samples go into further documents. */
export const EMF_MAX_VALUES = 100;

/** EMF accepts at most 100 metrics per document (Herald has far fewer, but the rule is the format's). */
const EMF_MAX_METRICS = 100;

export interface EmfMetricsOptions {
  /** The `Deployment` dimension's value. */
  readonly deployment: string;
  /** Which function writes (a plain property of each line, not a dimension: it costs nothing). */
  readonly service: string;
  /** Writes one line (stdout in Lambda, the log in local mode). */
  readonly write: (line: string) => void;
  readonly clock: Clock;
}

interface EmfMetric {
  readonly Name: string;
  readonly Unit: 'Count' | 'Milliseconds';
}

/**
 * Buffers counts and latency samples and writes them as EMF documents on {@link flush}: one document for the
 * counters and latencies (dimension `Deployment`), and one per failure class that occurred (dimensions
 * `Deployment` and `FailureClass`). Latency samples are kept as value arrays, so CloudWatch computes true
 * percentiles; beyond 100 samples of one metric the rest go into further documents. Nothing is written when
 * nothing was recorded.
 */
export class EmfMetrics implements Metrics {
  private counts = new Map<CountMetric, number>();
  private failures = new Map<FailureClass, number>();
  private latencies = new Map<LatencyMetric, number[]>();

  constructor(private readonly options: EmfMetricsOptions) {}

  count(metric: CountMetric, value = 1): void {
    if (!Number.isFinite(value) || value <= 0) return;
    this.counts.set(metric, (this.counts.get(metric) ?? 0) + value);
  }

  failed(failureClass: FailureClass): void {
    this.count(COUNT_METRICS.failed);
    this.failures.set(failureClass, (this.failures.get(failureClass) ?? 0) + 1);
  }

  latency(metric: LatencyMetric, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const samples = this.latencies.get(metric);
    if (samples === undefined) this.latencies.set(metric, [Math.round(ms)]);
    else samples.push(Math.round(ms));
  }

  flush(): void {
    const counts = this.counts;
    const failures = this.failures;
    const latencies = this.latencies;
    this.counts = new Map();
    this.failures = new Map();
    this.latencies = new Map();

    // Document i carries the counters (first document only) and the i-th chunk of every latency's samples.
    const chunks = Math.max(counts.size > 0 ? 1 : 0, ...[...latencies.values()].map((v) => Math.ceil(v.length / EMF_MAX_VALUES)));
    for (let i = 0; i < chunks; i++) {
      const metrics: EmfMetric[] = [];
      const values: Record<string, number | number[]> = {};
      if (i === 0) {
        for (const [name, value] of counts) {
          metrics.push({ Name: name, Unit: 'Count' });
          values[name] = value;
        }
      }
      for (const [name, samples] of latencies) {
        const chunk = samples.slice(i * EMF_MAX_VALUES, (i + 1) * EMF_MAX_VALUES);
        if (chunk.length === 0) continue;
        metrics.push({ Name: name, Unit: 'Milliseconds' });
        values[name] = chunk;
      }
      if (metrics.length > 0) this.write(metrics.slice(0, EMF_MAX_METRICS), values, {});
    }
    for (const failureClass of FAILURE_CLASSES) {
      const n = failures.get(failureClass);
      if (n === undefined) continue;
      this.write([{ Name: COUNT_METRICS.failed, Unit: 'Count' }], { [COUNT_METRICS.failed]: n }, { [FAILURE_CLASS_DIMENSION]: failureClass });
    }
  }

  private write(metrics: readonly EmfMetric[], values: Record<string, number | number[]>, extraDimensions: Record<string, string>): void {
    const dimensionNames = [DEPLOYMENT_DIMENSION, ...Object.keys(extraDimensions)];
    const document = {
      _aws: {
        Timestamp: this.options.clock.now(),
        CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [dimensionNames], Metrics: metrics }],
      },
      [DEPLOYMENT_DIMENSION]: this.options.deployment,
      ...extraDimensions,
      service: this.options.service,
      ...values,
    };
    this.options.write(JSON.stringify(document));
  }
}
