import type { Logger } from '../../logger';
export { errorText, jsonLogger, type Logger } from '../../logger';
/**
 * What the deliver use cases receive: ports, the clock and randomness, and settings parsed once at
 * cold start. Nothing here reads the environment.
 */
import type { BreakerDefaults } from '../../config';
import type { LaneSettings } from '../../core/lanes';
import type { RetryPolicyInput } from '../../core/model';
import type { Alerts, Clock, DeadLetterQueue, DeliveryQueue, HttpSender, RetryScheduler } from '../../ports';
import type { Metrics } from '../../ports/metrics';
import type { OperationalEvents } from '../../ports/operational-events';
import type { CircuitStore } from '../../ports/circuit-store';
import type { RateStore } from '../../ports/rate-store';
import type { TenantNotices } from '../../ports/tenant-notices';
import type { AlertWindowStore, DeliveryStore } from '../../ports/delivery-store';
import type { SlowMarks } from './slow-marks';
import type { ReceiverWatch } from './degraded';

export interface DeliverSettings {
  /** The deployment's default retry policy, under every endpoint's own. */
  readonly defaultRetryPolicy: RetryPolicyInput | undefined;
  /**
   * Retries due within this many seconds go back on the delivery queue with an SQS message timer;
   * later ones through an EventBridge Scheduler schedule. 0 sends every retry through the Scheduler.
   */
  readonly shortDelaySeconds: number;
  /** An endpoint failing with no success for this long is disabled. */
  readonly disableAfterSeconds: number;
  /** Dead letters of one endpoint within this window make one alert (plus one summary). */
  readonly alertWindowSeconds: number;
  /** Records processed at the same time within one batch. */
  readonly concurrency: number;
  /** Upper bound of any endpoint's HTTP timeout (below the Lambda timeout). */
  readonly maxTimeoutMs: number;
  /** Added to the HTTP timeout for the lease: time to record the attempt after the response. */
  readonly leaseMarginMs: number;
  /** How long a delivery of a disabled endpoint waits before it is looked at again. */
  readonly disabledRecheckSeconds: number;
  /** The deployment's environment name, stamped into the payload formats that carry one. */
  readonly environment: string;
}

export const DEFAULT_DELIVER_SETTINGS = {
  shortDelaySeconds: 900,
  disableAfterSeconds: 5 * 86_400,
  alertWindowSeconds: 300,
  concurrency: 10,
  leaseMarginMs: 15_000,
  disabledRecheckSeconds: 3600,
  environment: 'development',
} as const;

export interface DeliverDeps {
  readonly store: DeliveryStore & AlertWindowStore;
  readonly sender: HttpSender;
  readonly queue: DeliveryQueue;
  readonly scheduler: RetryScheduler;
  readonly deadLetters: DeadLetterQueue;
  readonly alerts: Alerts;
  /** Operational webhooks to the operator's URL, sent beside the e-mail alerts. */
  readonly operational: OperationalEvents;
  /** The tenant's own notices, to the contacts of the endpoint and of its tenant (beside the operator's alerts). */
  readonly notices: TenantNotices;
  readonly clock: Clock;
  /** Uniform in [0, 1): backoff jitter. */
  readonly random: () => number;
  readonly log: Logger;
  /** Deployment-level counters and latencies (flushed by the handler once per batch). */
  readonly metrics: Metrics;
  /** Recent attempts per endpoint, and this container's memory of when it last looked (receiver-health warnings). */
  readonly receivers: ReceiverWatch;
  readonly settings: DeliverSettings;
  /**
   * The circuit breaker and the two lanes (issue 11). Absent: every delivery follows its retry policy's
   * per-delivery schedule on one lane, as before the breaker (the unit tests of the retry mechanics run so).
   */
  readonly breaker?: BreakerDeps;
  /**
   * The endpoints' rate limiter state (`rateLimitPerSecond`, use-cases/deliver/rate-gate.ts). Absent: limits are not
   * enforced (only unit tests of other mechanics run so; the handler always has it).
   */
  readonly rates?: RateStore;
}

export interface BreakerDeps {
  readonly circuits: CircuitStore;
  /** The slow lane: records of endpoints marked slow, hand-offs and probes. */
  readonly slowQueue: DeliveryQueue;
  /** The slow lane's ARN: a batch from it (its records' eventSourceARN) runs as the slow lane. */
  readonly slowQueueArn: string;
  /** This container's slow marks (core/lanes.ts). */
  readonly slowMarks: SlowMarks;
  readonly settings: {
    /** The deployment's breaker settings, under every endpoint's own `circuitBreaker`. */
    readonly defaults: BreakerDefaults;
    readonly lanes: LaneSettings;
    /** Parked deliveries released per second after the circuit closed (or the endpoint's rate limit, if lower). */
    readonly releasePerSecond: number;
  };
}

/** How fast parked deliveries are released by default: a recovering receiver gets 50 per second, not the backlog at once. */
export const DEFAULT_RELEASE_PER_SECOND = 50;

