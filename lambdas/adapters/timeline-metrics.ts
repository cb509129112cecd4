/**
 * Local mode's delivery history: an in-memory timeline of outcomes per minute (the last 24 hours), filled by a
 * Metrics decorator around each handler's metrics, and read by the console's overview charts. In AWS the same
 * numbers are the EMF metrics, read back from CloudWatch (./cloudwatch-delivery-history.ts); a Lambda's memory is
 * per container and short-lived, so this adapter is for one-process local mode only.
 */
import type { Clock } from '../ports';
import { COUNT_METRICS, LATENCY_METRICS, type CountMetric, type FailureClass, type LatencyMetric, type Metrics } from '../ports/metrics';
import type { DeliveryHistory, OutcomeCounts } from '../ports/operations';

const MINUTE = 60_000;
const KEEP_MS = 24 * 3600_000;

type Outcome = 'delivered' | 'failed' | 'dead' | 'canceled';

interface Minute extends Record<Outcome, number> {
  /** The longest QueueAge sample of the minute. */
  queueAgeMax: number | null;
}

const OUTCOME_OF: Partial<Record<CountMetric, Outcome>> = {
  [COUNT_METRICS.delivered]: 'delivered',
  [COUNT_METRICS.dead]: 'dead',
  [COUNT_METRICS.canceled]: 'canceled',
};

/** Outcomes per minute, kept for a day. */
export class OutcomeTimeline implements DeliveryHistory {
  readonly source = 'local';
  private readonly minutes = new Map<number, Minute>();

  constructor(private readonly clock: Clock) {}

  /** Adds `n` to an outcome of the current minute. */
  record(outcome: Outcome, n: number): void {
    this.minute()[outcome] += n;
  }

  /** Keeps the longest queue wait of the current minute. */
  recordQueueAge(ms: number): void {
    const minute = this.minute();
    minute.queueAgeMax = Math.max(minute.queueAgeMax ?? 0, ms);
  }

  async series(now: number, periodMs: number, count: number): Promise<OutcomeCounts[]> {
    const end = Math.floor(now / periodMs) * periodMs + periodMs;
    const out: OutcomeCounts[] = [];
    for (let i = count; i >= 1; i--) {
      const start = end - i * periodMs;
      const sum = { start, delivered: 0, failed: 0, dead: 0, canceled: 0 };
      for (let m = start; m < start + periodMs; m += MINUTE) {
        const c = this.minutes.get(m);
        if (c === undefined) continue;
        sum.delivered += c.delivered;
        sum.failed += c.failed;
        sum.dead += c.dead;
        sum.canceled += c.canceled;
      }
      out.push(sum);
    }
    return out;
  }

  async queueLag(now: number, windowMs: number): Promise<number | null> {
    let max: number | null = null;
    for (const [start, minute] of this.minutes) {
      if (start + MINUTE <= now - windowMs || start > now || minute.queueAgeMax === null) continue;
      max = Math.max(max ?? 0, minute.queueAgeMax);
    }
    return max;
  }

  /** The current minute (created on first use; minutes older than a day are dropped then). */
  private minute(): Minute {
    const start = Math.floor(this.clock.now() / MINUTE) * MINUTE;
    let minute = this.minutes.get(start);
    if (minute === undefined) {
      minute = { delivered: 0, failed: 0, dead: 0, canceled: 0, queueAgeMax: null };
      this.minutes.set(start, minute);
      for (const key of this.minutes.keys()) if (key < start - KEEP_MS) this.minutes.delete(key);
    }
    return minute;
  }
}

/** `inner`, also counting delivery outcomes and queue waits into `timeline`. */
export class TimelineMetrics implements Metrics {
  constructor(
    private readonly inner: Metrics,
    private readonly timeline: OutcomeTimeline,
  ) {}

  count(metric: CountMetric, value = 1): void {
    this.inner.count(metric, value);
    const outcome = OUTCOME_OF[metric];
    if (outcome !== undefined) this.timeline.record(outcome, value);
  }

  failed(failureClass: FailureClass): void {
    this.inner.failed(failureClass);
    this.timeline.record('failed', 1);
  }

  latency(metric: LatencyMetric, ms: number): void {
    this.inner.latency(metric, ms);
    if (metric === LATENCY_METRICS.queueAge) this.timeline.recordQueueAge(ms);
  }

  flush(): void {
    this.inner.flush();
  }
}
