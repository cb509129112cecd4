/**
 * Creates Herald's stateful resources on the local emulators from the same spec the CDK stack uses
 * (lib/spec.ts), through the real SDK APIs. Idempotent: existing resources are kept (dynalite keeps its data on disk).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  type AttributeDefinition,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateScheduleGroupCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { LOCAL_NAMES, QUEUE_SPEC, TABLE_SPEC, type LocalNames } from '../lib/spec';
import type { AwsClients } from './emulators';

export interface LocalResources {
  readonly tableName: string;
  readonly deliveryQueueUrl: string;
  readonly deliveryQueueArn: string;
  readonly slowDeliveryQueueUrl: string;
  readonly slowDeliveryQueueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
  readonly alertTopicArn: string;
  /** The tenant-notices topic (e-mail contacts' mailboxes subscribe to it). */
  readonly tenantNoticeTopicArn: string;
  /** Queue subscribed to the alert topic: what would be e-mailed lands here. */
  readonly alertInboxUrl: string;
  readonly scheduleGroup: string;
}

export async function ensureTable(clients: AwsClients, tableName: string): Promise<void> {
  try {
    await clients.dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException) && (error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
  }
  const names = new Set<string>([TABLE_SPEC.partitionKey, TABLE_SPEC.sortKey]);
  for (const gsi of TABLE_SPEC.globalSecondaryIndexes) {
    names.add(gsi.partitionKey);
    names.add(gsi.sortKey);
  }
  const attributeDefinitions: AttributeDefinition[] = [...names].map((name) => ({ AttributeName: name, AttributeType: 'S' }));
  await clients.dynamo.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: attributeDefinitions,
      KeySchema: [
        { AttributeName: TABLE_SPEC.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_SPEC.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: TABLE_SPEC.globalSecondaryIndexes.map((gsi) => ({
        IndexName: gsi.indexName,
        KeySchema: [
          { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
          { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: gsi.projection },
      })),
    }),
  );
}

/** Creates the schedule group on the Scheduler (emulator) unless it exists, as the stack creates Herald's group. */
export async function ensureScheduleGroup(scheduler: SchedulerClient, name: string): Promise<void> {
  try {
    await scheduler.send(new CreateScheduleGroupCommand({ Name: name }));
  } catch (error) {
    if ((error as { name?: string }).name !== 'ConflictException') throw error;
  }
}

async function queueArn(clients: AwsClients, url: string): Promise<string> {
  const out = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = out.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${url} has no ARN`);
  return arn;
}

/** Creates (or finds) the table, the two delivery lanes with their redrive to the dead-letter queue, the alert topic and its inbox. */
export async function provisionLocal(clients: AwsClients, names: LocalNames = LOCAL_NAMES): Promise<LocalResources> {
  await ensureTable(clients, names.table);
  const dlq = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: names.deadLetterQueue,
      Attributes: {
        MessageRetentionPeriod: String(QUEUE_SPEC.deadLetter.retentionSeconds),
        MaximumMessageSize: String(QUEUE_SPEC.deadLetter.maximumMessageSizeBytes),
      },
    }),
  );
  const deadLetterQueueUrl = dlq.QueueUrl!;
  const deadLetterQueueArn = await queueArn(clients, deadLetterQueueUrl);
  // Both lanes: the same settings, the same redrive to the dead-letter queue.
  const lane = async (name: string) => {
    const created = await clients.sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          MessageRetentionPeriod: String(QUEUE_SPEC.delivery.retentionSeconds),
          VisibilityTimeout: String(QUEUE_SPEC.delivery.visibilityTimeoutSeconds),
          MaximumMessageSize: String(QUEUE_SPEC.delivery.maximumMessageSizeBytes),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: deadLetterQueueArn,
            maxReceiveCount: QUEUE_SPEC.delivery.maxReceiveCount,
          }),
        },
      }),
    );
    const url = created.QueueUrl!;
    return { url, arn: await queueArn(clients, url) };
  };
  const { url: deliveryQueueUrl, arn: deliveryQueueArn } = await lane(names.deliveryQueue);
  const { url: slowDeliveryQueueUrl, arn: slowDeliveryQueueArn } = await lane(names.slowDeliveryQueue);
  const topic = await clients.sns.send(new CreateTopicCommand({ Name: names.alertTopic }));
  const alertTopicArn = topic.TopicArn!;
  const noticeTopic = await clients.sns.send(new CreateTopicCommand({ Name: names.tenantNoticeTopic }));
  const inbox = await clients.sqs.send(new CreateQueueCommand({ QueueName: names.alertInbox }));
  const alertInboxUrl = inbox.QueueUrl!;
  const alertInboxArn = await queueArn(clients, alertInboxUrl);
  await clients.sns.send(
    new SubscribeCommand({
      TopicArn: alertTopicArn,
      Protocol: 'sqs',
      Endpoint: alertInboxArn,
      Attributes: { RawMessageDelivery: 'false' },
    }),
  );
  return {
    tableName: names.table,
    deliveryQueueUrl,
    deliveryQueueArn,
    slowDeliveryQueueUrl,
    slowDeliveryQueueArn,
    deadLetterQueueUrl,
    deadLetterQueueArn,
    alertTopicArn,
    tenantNoticeTopicArn: noticeTopic.TopicArn!,
    alertInboxUrl,
    scheduleGroup: names.scheduleGroup,
  };
}
