import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetterQueue, DeadLetterRecord } from '../ports';

/**
 * The dead-letter queue on SQS. The same queue receives the delivery queue's poison messages
 * (through its redrive policy), so a `kind` message attribute tells Herald's own records apart from
 * redriven DeliveryMessages without parsing the body.
 */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async put(record: DeadLetterRecord): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(record),
        MessageAttributes: { kind: { DataType: 'String', StringValue: record.kind } },
      }),
    );
  }
}
