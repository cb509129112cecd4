/**
 * The Metrics port: the deployment-level numbers Herald reports to CloudWatch (Embedded Metric Format in AWS,
 * the same lines in local mode's log). The use cases call it; the adapter (lambdas/adapters/emf-metrics.ts)
 * buffers and the handler flushes once per invocation.
 *
 * There is deliberately no per-endpoint or per-tenant dimension: CloudWatch bills every distinct dimension value
 * as a metric of its own, so a deployment with ten thousand endpoints would pay for ten thousand metrics per
 * name. Per-endpoint health lives in Herald's own stats and in the structured logs (the stack's Logs Insights
 * queries drill down by endpoint).
 */
import type { FailureClass } from '../core/failure-class';

export { FAILURE_CLASSES, type FailureClass } from '../core/failure-class';

/** The CloudWatch namespace of every Herald metric. */
export const METRICS_NAMESPACE = 'Herald';

/** The one dimension of every metric: the deployment (the stack's name in AWS, `local` in local mode). */
export const DEPLOYMENT_DIMENSION = 'Deployment';

/** The dimension that splits `Failed` by failure class (a small fixed set, not per endpoint). */
export const FAILURE_CLASS_DIMENSION = 'FailureClass';

/** Counters. */
export const COUNT_METRICS = {
  /** Events accepted by POST /v1/events (replays of an idempotency key are not counted again). */
  published: 'Published',
  /** Deliveries that ended delivered (a 2xx answer). */
  delivered: 'Delivered',
  /** Deliveries Herald gave up on (dead-lettered). */
  dead: 'Dead',
  /** Deliveries canceled (410 Gone, or their endpoint was deleted). */
  canceled: 'Canceled',
  /** Attempts that failed, whatever happened next; also emitted per {@link FAILURE_CLASSES} class. */
  failed: 'Failed',
  /** Deliveries parked behind an open circuit (issue 11's breaker). */
  parked: 'Parked',
  /** Circuits that opened (issue 11's breaker). */
  circuitOpen: 'CircuitOpen',
} as const;

export type CountMetric = (typeof COUNT_METRICS)[keyof typeof COUNT_METRICS];

/** Latencies, in milliseconds. */
export const LATENCY_METRICS = {
  /** One HTTP attempt, from the request to the answer (or the transport failure). */
  attempt: 'AttemptLatency',
  /** From the event's acceptance to the 2xx that delivered it (retries included). */
  delivery: 'DeliveryLatency',
  /** How long a message waited on the delivery queue before the worker took it (timers included). */
  queueAge: 'QueueAge',
} as const;

export type LatencyMetric = (typeof LATENCY_METRICS)[keyof typeof LATENCY_METRICS];

export interface Metrics {
  /** Adds `value` (default 1) to a counter. */
  count(metric: CountMetric, value?: number): void;
  /** Counts one failed attempt: `Failed` and `Failed` of its class. */
  failed(failureClass: FailureClass): void;
  /** Records one latency sample in milliseconds. */
  latency(metric: LatencyMetric, ms: number): void;
  /** Publishes what was recorded since the last flush (the handler calls it once per invocation). */
  flush(): void;
}
