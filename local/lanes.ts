/**
 * Local mode's two delivery lanes: one {@link SqsEventSourcePoller} per queue, both driving the same deliver
 * handler, with the batch sizes and concurrency of `LANE_SPEC` (lib/spec.ts), as the two event source mappings do
 * in AWS. fauxqs has no fair queues; the lanes, and the worker's routing between them, are what keep a hanging
 * endpoint from holding up the others, locally as in AWS.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DELIVER_TIMEOUT_SECONDS, LANE_SPEC } from '../lib/spec';
import { SqsEventSourcePoller, type PollerOptions, type PollerStats, type SqsHandler } from './sqs-poller';

export interface LaneQueues {
  readonly deliveryQueueUrl: string;
  readonly deliveryQueueArn: string;
  readonly slowDeliveryQueueUrl: string;
  readonly slowDeliveryQueueArn: string;
}

export interface LanePollersOptions {
  readonly sqs: SQSClient;
  readonly queues: LaneQueues;
  readonly handler: SqsHandler;
  readonly region: string;
  /** Records per invocation on the fast lane. @default LANE_SPEC.fast.batchSize */
  readonly batchSize?: number;
  readonly onError?: (lane: 'fast' | 'slow', error: unknown) => void;
  /** Lambda's recursive loop detection (both lanes drive the same function). */
  readonly recursion?: Pick<PollerOptions, 'lineage' | 'recursiveLoop' | 'onRecursionStopped'>;
}

export class LanePollers {
  readonly fast: SqsEventSourcePoller;
  readonly slow: SqsEventSourcePoller;

  constructor(options: LanePollersOptions) {
    const { sqs, queues, handler, region, onError } = options;
    const common = { sqs, handler, region, waitTimeSeconds: 1, timeoutMs: DELIVER_TIMEOUT_SECONDS * 1000, ...options.recursion };
    this.fast = new SqsEventSourcePoller({
      ...common,
      queueUrl: queues.deliveryQueueUrl,
      queueArn: queues.deliveryQueueArn,
      batchSize: options.batchSize ?? LANE_SPEC.fast.batchSize,
      concurrency: LANE_SPEC.fast.localConcurrency,
      ...(onError === undefined ? {} : { onError: (error: unknown) => onError('fast', error) }),
    });
    this.slow = new SqsEventSourcePoller({
      ...common,
      queueUrl: queues.slowDeliveryQueueUrl,
      queueArn: queues.slowDeliveryQueueArn,
      batchSize: LANE_SPEC.slow.batchSize,
      concurrency: LANE_SPEC.slow.localConcurrency,
      ...(onError === undefined ? {} : { onError: (error: unknown) => onError('slow', error) }),
    });
  }

  start(): void {
    this.fast.start();
    this.slow.start();
  }

  /** Receives and processes one batch from each lane now (the fast one waiting up to `waitTimeSeconds`); the records handled. */
  async pollOnce(waitTimeSeconds = 0): Promise<number> {
    return (await this.fast.pollOnce(waitTimeSeconds)) + (await this.slow.pollOnce(0));
  }

  /** Stops both lanes; batches already handed to the handler finish first. */
  async stop(): Promise<void> {
    await Promise.all([this.fast.stop(), this.slow.stop()]);
  }

  /** Both lanes' counters added up. */
  get stats(): PollerStats {
    const a = this.fast.stats;
    const b = this.slow.stats;
    return {
      batches: a.batches + b.batches,
      received: a.received + b.received,
      deleted: a.deleted + b.deleted,
      failed: a.failed + b.failed,
      recursionStopped: a.recursionStopped + b.recursionStopped,
    };
  }
}
