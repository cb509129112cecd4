/**
 * The delivery lanes' depths from SQS's approximate counters (GetQueueAttributes): one call per queue, no message
 * touched.
 */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueDepth, QueueDepths } from '../ports/operations';

const ATTRIBUTES = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed', 'ApproximateNumberOfMessagesNotVisible'] as const;

export class SqsQueueDepths implements QueueDepths {
  /** @param queueUrls the delivery lanes (the fast and the slow queue) */
  constructor(
    private readonly sqs: Pick<SQSClient, 'send'>,
    private readonly queueUrls: readonly string[],
  ) {}

  async depths(): Promise<QueueDepth> {
    const each = await Promise.all(this.queueUrls.map((url) => this.depth(url)));
    return each.reduce((sum, d) => ({ visible: sum.visible + d.visible, delayed: sum.delayed + d.delayed, inFlight: sum.inFlight + d.inFlight }), {
      visible: 0,
      delayed: 0,
      inFlight: 0,
    });
  }

  private async depth(QueueUrl: string): Promise<QueueDepth> {
    const out = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: [...ATTRIBUTES] }));
    const n = (name: (typeof ATTRIBUTES)[number]) => Number(out.Attributes?.[name] ?? 0) || 0;
    return { visible: n('ApproximateNumberOfMessages'), delayed: n('ApproximateNumberOfMessagesDelayed'), inFlight: n('ApproximateNumberOfMessagesNotVisible') };
  }
}
