/**
 * Composition root of the api Lambda: configuration, SDK clients and adapters are built once per container;
 * the handler itself is the middy chain of ./app.ts.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchDeliveryHistory } from '../adapters/cloudwatch-delivery-history';
import { SqsQueueDepths } from '../adapters/sqs-queue-depths';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { kmsSecretBox } from '../adapters/secret-box';
import { SecretsManagerApiKeys, StaticApiKeys, secretReader } from '../adapters/secrets-api-keys';
import { SnsNoticeSubscriptions } from '../adapters/sns-notices';
import { requireSecretsKeyArn } from '../config';
import { SqsDeliveryQueue } from '../adapters/sqs-delivery-queue';
import { EmfMetrics } from '../adapters/emf-metrics';
import { stdoutLine } from '../flush-metrics';
import { systemClock } from '../ports';
import { createApiHandler } from './app';
import { apiSettings, parseApiConfig } from './config';

const config = parseApiConfig(process.env);
const secretsKeyArn = requireSecretsKeyArn(process.env);
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
const secretsManager = new SecretsManagerClient({});
const sqs = new SQSClient({});
const apiKeys =
  config.apiKey.kind === 'secret' ? new SecretsManagerApiKeys(secretsManager, config.apiKey.secretId, systemClock) : new StaticApiKeys([config.apiKey.key]);
const portalSecret = config.portalSecret;
const readSecret = secretReader(secretsManager, systemClock);

export const handler = createApiHandler({
  doc,
  tableName: config.tableName,
  queue: new SqsDeliveryQueue(sqs, config.deliveryQueueUrl),
  queueDepths: new SqsQueueDepths(sqs, [config.deliveryQueueUrl, config.slowDeliveryQueueUrl]),
  // The overview's charts: the deployment's own Herald metrics, read back from CloudWatch.
  history: new CloudWatchDeliveryHistory(new CloudWatchClient({}), config.deployment),
  apiKeys,
  // AWSCURRENT only, cached five minutes: a rotation ends every portal session within that time.
  portalSecret: portalSecret.kind === 'secret' ? () => readSecret(portalSecret.secretId) : () => Promise.resolve(portalSecret.value),
  clock: systemClock,
  randomBytes: (size) => randomBytes(size),
  secrets: kmsSecretBox(doc, config.tableName, new KMSClient({}), secretsKeyArn, systemClock),
  metrics: new EmfMetrics({ deployment: config.deployment, service: 'api', write: stdoutLine, clock: systemClock }),
  subscriptions: new SnsNoticeSubscriptions(new SNSClient({}), config.tenantNoticeTopicArn),
  config: apiSettings(config),
});
