import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { DELIVER_RECURSIVE_LOOP, DELIVER_TIMEOUT_SECONDS, LANE_SPEC } from '../spec';
import type { Alerts } from './alerts';
import type { DataStore } from './data-store';
import type { DeliveryQueues } from './delivery-queues';
import { HeraldFunction } from './herald-function';
import type { RetryScheduler } from './retry-scheduler';
import type { SecretsKey } from './secrets-key';

export interface DeliveryWorkerProps {
  readonly dataStore: DataStore;
  /** Opens the endpoints' signing secrets and header values. */
  readonly secretsKey: SecretsKey;
  readonly queues: DeliveryQueues;
  readonly retryScheduler: RetryScheduler;
  readonly alerts: Alerts;
  /** The shared `HERALD_*` configuration. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Most concurrent deliver Lambdas the fast lane may drive.
   *
   * @default 20 (LANE_SPEC.fast.maxConcurrency)
   */
  readonly maxConcurrency?: number;
  /**
   * Most concurrent deliver Lambdas the slow lane may drive.
   *
   * @default 10 (LANE_SPEC.slow.maxConcurrency)
   */
  readonly slowMaxConcurrency?: number;
  /**
   * Reserve both lanes' maximum concurrency for the deliver Lambda. Without a reservation, other functions of the
   * account can use up its concurrency; the event source mapping's invocations are then throttled,
   * each throttled receive counts towards the queue's `maxReceiveCount`, and valid deliveries end on
   * the dead-letter queue as poison messages.
   *
   * @default true
   */
  readonly reserveConcurrency?: boolean;
  /** Keep Lambda's own START/END/REPORT lines (context `platformLogs`; see HeraldFunctionProps). @default false */
  readonly platformLogs?: boolean;
}

/**
 * The deliver Lambda on both delivery lanes (the same handler; lib/spec.ts LANE_SPEC): POSTs each due delivery, records the attempt, and
 * either finishes it, schedules the retry (an SQS message timer or a Scheduler schedule), or gives
 * up (dead-letter queue + alert). It reports partial batch failures, so one failing record is
 * retried alone and the others are not delivered twice.
 */
export class DeliveryWorker extends Construct {
  readonly function: HeraldFunction;

  constructor(scope: Construct, id: string, props: DeliveryWorkerProps) {
    super(scope, id);
    const fastConcurrency = props.maxConcurrency ?? LANE_SPEC.fast.maxConcurrency;
    const slowConcurrency = props.slowMaxConcurrency ?? LANE_SPEC.slow.maxConcurrency;
    this.function = new HeraldFunction(this, 'Function', {
      platformLogs: props.platformLogs,
      entry: 'lambdas/deliver/handler.ts',
      description: 'Herald delivery worker: POSTs due deliveries to their endpoints',
      // Signing and TLS handshakes are CPU work; more memory is more CPU and a faster cold start.
      memorySize: 512,
      // The queue's visibility timeout is six times this (lib/spec.ts).
      timeout: Duration.seconds(DELIVER_TIMEOUT_SECONDS),
      environment: { ...props.environment, ...props.secretsKey.environment() },
      // Retries go back to the queue that invokes this function: an intended loop, bounded by the
      // retry policy. Lambda's default would stop a delivery's chain after about 16 attempts.
      recursiveLoop: DELIVER_RECURSIVE_LOOP === 'Allow' ? lambda.RecursiveLoop.ALLOW : lambda.RecursiveLoop.TERMINATE,
      ...(props.reserveConcurrency === false ? {} : { reservedConcurrentExecutions: fastConcurrency + slowConcurrency }),
    });
    // Ten records per invocation spreads the per-invocation cost over ten deliveries, keeps a batch well inside the
    // function timeout, and limits what a crash re-drives to ten records. The batching window waits up to a second
    // to fill a batch under load. maxConcurrency caps the outbound load (about maxConcurrency × batchSize requests in
    // flight) and leaves the account's Lambda concurrency to the api; messages above the cap wait in the queue,
    // nothing is throttled into a retry. Each lane has its own cap, so slow endpoints never use up the fast one's.
    const lane = (queue: DeliveryQueues['queue'], spec: (typeof LANE_SPEC)['fast' | 'slow'], maxConcurrency: number) =>
      new SqsEventSource(queue, {
        batchSize: spec.batchSize,
        maxBatchingWindow: Duration.seconds(spec.maxBatchingWindowSeconds),
        maxConcurrency,
        reportBatchItemFailures: true,
      });
    this.function.addEventSource(lane(props.queues.queue, LANE_SPEC.fast, fastConcurrency));
    this.function.addEventSource(lane(props.queues.slowQueue, LANE_SPEC.slow, slowConcurrency));
    props.dataStore.grantReadWriteData(this.function);
    props.secretsKey.grantOpen(this.function);
    // Short retries go back on the delivery queue with a message timer; give-ups go to the DLQ.
    props.queues.grantSendToDeliveryQueue(this.function);
    props.queues.grantSendToSlowQueue(this.function);
    props.queues.grantSendToDeadLetterQueue(this.function);
    props.alerts.grantPublish(this.function);
    props.retryScheduler.grantCreateSchedules(this.function);
  }
}
