import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryQueue, QueuedDelivery } from '../ports';

const BATCH = 10;
const ENTRY_RETRIES = 3;

/**
 * The delivery queue on SQS. Sends in batches of ten; entries SQS reports as failed are sent again a few times,
 * and if any still fail the call throws, so a caller never believes a message is queued when it is not.
 * `MessageGroupId` carries the endpoint id: on a standard queue that makes it an SQS fair queue, so one
 * endpoint's backlog does not delay the others.
 */
export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(messages: readonly QueuedDelivery[]): Promise<void> {
    for (let i = 0; i < messages.length; i += BATCH) {
      await this.sendBatch(messages.slice(i, i + BATCH));
    }
  }

  private async sendBatch(batch: readonly QueuedDelivery[]): Promise<void> {
    let pending: SendMessageBatchRequestEntry[] = batch.map((m, i) => ({
      Id: String(i),
      MessageBody: JSON.stringify(m.message),
      MessageGroupId: m.groupId,
      ...(m.delaySeconds ? { DelaySeconds: Math.min(900, Math.max(0, Math.ceil(m.delaySeconds))) } : {}),
    }));
    for (let round = 0; round < ENTRY_RETRIES && pending.length > 0; round++) {
      const out = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }));
      const failed = new Set((out.Failed ?? []).map((f) => f.Id));
      pending = pending.filter((e) => failed.has(e.Id));
    }
    if (pending.length > 0) {
      throw new Error(`SQS did not accept ${pending.length} delivery message(s)`);
    }
  }
}
