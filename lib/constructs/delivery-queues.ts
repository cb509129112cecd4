import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { QUEUE_SPEC } from '../spec';

/**
 * The delivery queue (one message per delivery attempt that is due), the slow lane beside it, and their
 * dead-letter queue.
 *
 * The slow lane (`lib/spec.ts` LANE_SPEC) carries the records of endpoints whose circuit is not closed or that
 * answer slowly, so a hanging endpoint never holds up a batch of the fast lane for longer than its patience.
 *
 * Both ways of failing end in the dead-letter queue: the deliver Lambda sends a delivery there when
 * it gives up, and the redrive policy moves a poison message there after `maxReceiveCount` crashed
 * receives. Both queues are encrypted (SQS-managed keys, no KMS cost), refuse plain HTTP, and are
 * retained with the stack, since they may hold undelivered work.
 */
export class DeliveryQueues extends Construct {
  readonly queue: sqs.Queue;
  readonly slowQueue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.seconds(QUEUE_SPEC.deadLetter.retentionSeconds),
      maxMessageSizeBytes: QUEUE_SPEC.deadLetter.maximumMessageSizeBytes,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const lane = (id: string) =>
      new sqs.Queue(this, id, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.seconds(QUEUE_SPEC.delivery.retentionSeconds),
        visibilityTimeout: Duration.seconds(QUEUE_SPEC.delivery.visibilityTimeoutSeconds),
        // Explicit, so AWS and local mode (fauxqs defaults to 1 MiB) refuse the same messages.
        maxMessageSizeBytes: QUEUE_SPEC.delivery.maximumMessageSizeBytes,
        deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: QUEUE_SPEC.delivery.maxReceiveCount },
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.queue = lane('DeliveryQueue');
    this.slowQueue = lane('SlowDeliveryQueue');
  }

  /** Lets the worker move records to the slow lane, and nothing else on it. */
  grantSendToSlowQueue(grantee: iam.IGrantable): void {
    this.slowQueue.grant(grantee, 'sqs:SendMessage');
  }

  /** Lets a function send (single or batch) to the delivery queue, and nothing else on it. */
  grantSendToDeliveryQueue(grantee: iam.IGrantable): void {
    this.queue.grant(grantee, 'sqs:SendMessage');
  }

  /** Lets a function send to the dead-letter queue, and nothing else on it. */
  grantSendToDeadLetterQueue(grantee: iam.IGrantable): void {
    this.deadLetterQueue.grant(grantee, 'sqs:SendMessage');
  }

  /** Lets a function read both delivery lanes' approximate depths (the console overview), and no message. */
  grantReadDepths(grantee: iam.IGrantable): void {
    this.queue.grant(grantee, 'sqs:GetQueueAttributes');
    this.slowQueue.grant(grantee, 'sqs:GetQueueAttributes');
  }
}
