/**
 * What the console's overview (GET /v1/overview) reads besides the stores: the delivery queues' depths, and the
 * per-minute history of delivery outcomes (CloudWatch's Herald metrics in AWS, an in-memory timeline in local mode).
 */

export interface QueueDepth {
  /** Messages ready to be received. */
  readonly visible: number;
  /** Messages waiting on a timer (short retries). */
  readonly delayed: number;
  /** Messages received and not yet deleted (being delivered now). */
  readonly inFlight: number;
}

export interface QueueDepths {
  /** The delivery lanes' approximate depths, summed (SQS's own counters: no message is touched). */
  depths(): Promise<QueueDepth>;
}

/** Delivery outcomes counted in one period. */
export interface OutcomeCounts {
  /** Epoch ms: the start of the period. */
  readonly start: number;
  /** Deliveries that ended delivered. */
  readonly delivered: number;
  /** Failed attempts (each retried attempt counts). */
  readonly failed: number;
  /** Deliveries given up on. */
  readonly dead: number;
  readonly canceled: number;
}

export interface DeliveryHistory {
  /** Where the numbers come from: `cloudwatch` (the deployment's Herald metrics) or `local` (this process). */
  readonly source: 'cloudwatch' | 'local';
  /** `count` periods of `periodMs` ending with the period that holds `now`, oldest first; idle periods are zeros. */
  series(now: number, periodMs: number, count: number): Promise<OutcomeCounts[]>;
  /** The longest a delivery message waited on a queue before the worker took it, over `[now - windowMs, now]`; null when none was taken. */
  queueLag(now: number, windowMs: number): Promise<number | null>;
}
