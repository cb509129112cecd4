import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand, ReceiveMessageCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { PublishCommand } from '@aws-sdk/client-sns';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';

describe('test harness: emulators provisioned from the shared spec', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment();
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('stores and reads an item in the single table through the real SDK', async () => {
    await env.clients.doc.send(new PutCommand({ TableName: env.resources.tableName, Item: { pk: 'A', sk: 'B', value: 42 } }));
    const out = await env.clients.doc.send(new GetCommand({ TableName: env.resources.tableName, Key: { pk: 'A', sk: 'B' } }));
    expect(out.Item).toEqual({ pk: 'A', sk: 'B', value: 42 });
  });

  it('round-trips a message on the delivery queue', async () => {
    await env.clients.sqs.send(new SendMessageCommand({ QueueUrl: env.resources.deliveryQueueUrl, MessageBody: '{"x":1}' }));
    const got = await env.drain(env.resources.deliveryQueueUrl, { waitSeconds: 1 });
    expect(got.map((m) => m.Body)).toEqual(['{"x":1}']);
  });

  it('gives the delivery queue a redrive policy to the dead-letter queue', async () => {
    const out = await env.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: env.resources.deliveryQueueUrl, AttributeNames: ['RedrivePolicy'] }),
    );
    expect(JSON.parse(out.Attributes!.RedrivePolicy!)).toMatchObject({ deadLetterTargetArn: env.resources.deadLetterQueueArn });
  });

  it('delivers alert topic publishes to the inbox queue', async () => {
    await env.clients.sns.send(new PublishCommand({ TopicArn: env.resources.alertTopicArn, Subject: 'S', Message: 'hello' }));
    const res = await env.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: env.resources.alertInboxUrl, WaitTimeSeconds: 2 }));
    expect(JSON.parse(res.Messages![0]!.Body!)).toMatchObject({ Message: 'hello', Subject: 'S' });
  });
});
