/**
 * Composition root of the sweep Lambda (EventBridge scheduled rule): configuration and SDK clients are built
 * once per container.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SnsAlerts } from '../adapters/sns-alerts';
import { SqsDeliveryQueue } from '../adapters/sqs-delivery-queue';
import { operationalEvents } from '../deliver/app';
import { systemClock } from '../ports';
import { createSweepHandler } from './app';
import { parseSweepConfig } from './config';

const config = parseSweepConfig(process.env);
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });

export const handler = createSweepHandler({
  doc,
  tableName: config.tableName,
  queue: new SqsDeliveryQueue(new SQSClient({}), config.deliveryQueueUrl),
  alerts: new SnsAlerts(new SNSClient({}), config.alertTopicArn),
  operational: operationalEvents(config.operationalWebhook, new SecretsManagerClient({})),
  clock: systemClock,
  graceSeconds: config.graceSeconds,
  retentionDays: config.retentionDays,
});
