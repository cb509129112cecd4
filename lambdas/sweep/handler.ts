/**
 * Composition root of the sweep Lambda (EventBridge scheduled rule): configuration and SDK clients are built
 * once per container.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { kmsSecretBox } from '../adapters/secret-box';
import { SnsAlerts } from '../adapters/sns-alerts';
import { tenantNoticesFor } from '../adapters/tenant-notices';
import { requireSecretsKeyArn } from '../config';
import { SqsDeliveryQueue } from '../adapters/sqs-delivery-queue';
import { operationalEvents } from '../deliver/app';
import { systemClock } from '../ports';
import { createSweepHandler } from './app';
import { parseSweepConfig } from './config';

const config = parseSweepConfig(process.env);
const secretsKeyArn = requireSecretsKeyArn(process.env);
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
const sns = new SNSClient({});

export const handler = createSweepHandler({
  doc,
  tableName: config.tableName,
  queue: new SqsDeliveryQueue(new SQSClient({}), config.deliveryQueueUrl),
  alerts: new SnsAlerts(sns, config.alertTopicArn),
  operational: operationalEvents(config.operationalWebhook, new SecretsManagerClient({})),
  notices: tenantNoticesFor({
    doc,
    tableName: config.tableName,
    sns,
    topicArn: config.tenantNoticeTopicArn,
    secrets: kmsSecretBox(doc, config.tableName, new KMSClient({}), secretsKeyArn, systemClock),
    allowPrivateTargets: config.allowPrivateTargets,
    clock: systemClock,
  }),
  clock: systemClock,
  graceSeconds: config.graceSeconds,
  retentionDays: config.retentionDays,
});
