/**
 * The queues are created with SQS's 256 KiB message limit set explicitly (lib/spec.ts), in AWS and locally, so a
 * message too large for AWS is refused here too (fauxqs alone would take up to 1 MiB).
 */
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQS_MAX_MESSAGE_BYTES } from '../../../lib/spec';
import { startTestEnvironment, type TestEnvironment } from '../../support/emulators';

describe('SQS message size limit', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment();
  });
  afterAll(async () => {
    await env?.stop();
  });

  it.each([
    ['delivery queue', () => env.resources.deliveryQueueUrl],
    ['dead-letter queue', () => env.resources.deadLetterQueueUrl],
  ])('the %s takes 256 KiB and refuses one byte more', async (_name, url) => {
    const attributes = await env.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url(), AttributeNames: ['MaximumMessageSize'] }));
    expect(attributes.Attributes?.MaximumMessageSize).toBe(String(SQS_MAX_MESSAGE_BYTES));
    await env.clients.sqs.send(new SendMessageCommand({ QueueUrl: url(), MessageBody: 'x'.repeat(SQS_MAX_MESSAGE_BYTES) }));
    await expect(env.clients.sqs.send(new SendMessageCommand({ QueueUrl: url(), MessageBody: 'x'.repeat(SQS_MAX_MESSAGE_BYTES + 1) }))).rejects.toThrow(
      /262144|too long|size/i,
    );
    await env.purgeQueues();
  });
});
