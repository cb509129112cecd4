/**
 * Composition root of the deliver Lambda: configuration and SDK clients are built once per
 * container, so connections (to AWS and, through the sender's keep-alive agents, to endpoints) are
 * reused across invocations. Endpoints and credentials come from the Lambda environment.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { kmsSecretBox } from '../adapters/secret-box';
import { requireSecretsKeyArn } from '../config';
import { systemClock } from '../ports';
import { buildDeliverDeps, createDeliverHandler } from './app';
import { parseDeliverConfig } from './config';

const config = parseDeliverConfig(process.env);
const secretsKeyArn = requireSecretsKeyArn(process.env);

const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });

export const handler = createDeliverHandler(
  buildDeliverDeps(
    {
      doc,
      sqs: new SQSClient({}),
      sns: new SNSClient({}),
      scheduler: new SchedulerClient({}),
      secrets: kmsSecretBox(doc, config.tableName, new KMSClient({}), secretsKeyArn, systemClock),
      secretsManager: new SecretsManagerClient({}),
    },
    config,
  ),
);
