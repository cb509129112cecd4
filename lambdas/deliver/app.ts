/**
 * The deliver Lambda without its environment: the middy handler over injected dependencies, and the
 * wiring of the AWS adapters from SDK clients and a configuration. The Lambda's handler.ts, local
 * mode and the tests all build the handler here.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DynamoCircuitStore } from '../adapters/dynamo/circuit-store';
import { DynamoDeliveryStore } from '../adapters/dynamo/delivery-store';
import { DynamoRateStore } from '../adapters/dynamo/rate-store';
import { DynamoEventStore } from '../adapters/dynamo/event-store';
import { NodeHttpSender, type NodeHttpSenderOptions } from '../adapters/http-sender';
import { EmfMetrics } from '../adapters/emf-metrics';
import { EventBridgeRetryScheduler } from '../adapters/scheduler';
import { secretReader } from '../adapters/secrets-api-keys';
import { operationalEventsFor } from '../adapters/webhook-operational-events';
import { tenantNoticesFor } from '../adapters/tenant-notices';
import type { OperationalWebhookConfig } from '../config';
import type { OperationalEvents } from '../ports/operational-events';
import { SnsAlerts } from '../adapters/sns-alerts';
import { SqsDeadLetterQueue } from '../adapters/sqs-dead-letter';
import { SqsDeliveryQueue } from '../adapters/sqs-delivery-queue';
import { systemClock, type SecretBox } from '../ports';
import { withOpenedEndpoints } from '../use-cases/endpoint-secrets';
import { flushMetrics, stdoutLine } from '../flush-metrics';
import { DEFAULT_RELEASE_PER_SECOND, errorText, jsonLogger, type DeliverDeps, type Logger } from '../use-cases/deliver/deps';
import { holdEarly } from '../use-cases/deliver/hold-early';
import { ReceiverWatch } from '../use-cases/deliver/degraded';
import { StoredRecentAttempts } from '../use-cases/recent-attempts';
import { processBatch } from '../use-cases/deliver/process-batch';
import { SlowMarks } from '../use-cases/deliver/slow-marks';
import { DEFAULT_LANE_SETTINGS } from '../core/lanes';
import { deliverSettings, type DeliverConfig } from './config';

export interface DeliverClients {
  readonly doc: DynamoDBDocumentClient;
  /** Opens the endpoints' sealed secrets and header values (KMS-wrapped data key in AWS, a local key locally). */
  readonly secrets: SecretBox;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly scheduler: SchedulerClient;
  /** Reads the operational webhooks' signing secret in AWS. @default - none: the secret must then be given directly (local mode) */
  readonly secretsManager?: SecretsManagerClient;
}

/** The operational events of a configuration, reading a Secrets Manager secret through `client` when it names one. */
export function operationalEvents(config: OperationalWebhookConfig | undefined, client: SecretsManagerClient | undefined): OperationalEvents {
  const read = client === undefined ? undefined : secretReader(client, systemClock);
  return operationalEventsFor(config, {
    clock: systemClock,
    readSecret: async (secretId) => {
      if (read === undefined) throw new Error(`no Secrets Manager client to read ${secretId}`);
      return read(secretId);
    },
  });
}

/**
 * The production wiring: DynamoDB store, node:http sender, SQS delivery and dead-letter queues,
 * EventBridge Scheduler, SNS alerts, EMF metrics on stdout, the system clock and `Math.random`. `overrides` replaces single
 * parts (local mode passes its sender options and its secret box; tests a clock).
 *
 * The store opens each loaded endpoint's signing secrets and header values with `clients.secrets`.
 */
export function buildDeliverDeps(
  clients: DeliverClients,
  config: DeliverConfig,
  overrides: Partial<DeliverDeps> & { senderOptions?: Partial<NodeHttpSenderOptions> } = {},
): DeliverDeps {
  const { senderOptions, ...rest } = overrides;
  return {
    store: withOpenedEndpoints(new DynamoDeliveryStore(clients.doc, { tableName: config.tableName, retentionDays: config.retentionDays }), clients.secrets),
    sender: new NodeHttpSender({ allowPrivate: config.allowPrivateTargets, ...senderOptions }),
    queue: new SqsDeliveryQueue(clients.sqs, config.deliveryQueueUrl),
    scheduler: new EventBridgeRetryScheduler(clients.scheduler, {
      groupName: config.scheduleGroup,
      queueArn: config.deliveryQueueArn,
      roleArn: config.schedulerRoleArn,
      deadLetterArn: config.deadLetterQueueArn,
    }),
    deadLetters: new SqsDeadLetterQueue(clients.sqs, config.deadLetterQueueUrl),
    alerts: new SnsAlerts(clients.sns, config.alertTopicArn),
    operational: operationalEvents(config.operationalWebhook, clients.secretsManager),
    notices: tenantNoticesFor({
      doc: clients.doc,
      tableName: config.tableName,
      sns: clients.sns,
      topicArn: config.tenantNoticeTopicArn,
      secrets: clients.secrets,
      allowPrivateTargets: config.allowPrivateTargets,
      clock: systemClock,
    }),
    clock: systemClock,
    random: Math.random,
    log: jsonLogger,
    metrics: new EmfMetrics({ deployment: config.deployment, service: 'deliver', write: stdoutLine, clock: systemClock }),
    receivers: new ReceiverWatch(new StoredRecentAttempts(new DynamoEventStore(clients.doc, config.tableName, config.retentionDays))),
    settings: deliverSettings(config),
    breaker: {
      circuits: new DynamoCircuitStore(clients.doc, config.tableName),
      slowQueue: new SqsDeliveryQueue(clients.sqs, config.slowDeliveryQueueUrl),
      slowQueueArn: config.slowDeliveryQueueArn,
      slowMarks: new SlowMarks(),
      settings: { defaults: config.breaker, lanes: DEFAULT_LANE_SETTINGS, releasePerSecond: DEFAULT_RELEASE_PER_SECOND },
    },
    rates: new DynamoRateStore(clients.doc, config.tableName),
    ...rest,
  };
}

/** Logs an error that fails the whole batch (middy rethrows it, so every record comes back). */
function logBatchErrors(log: Logger): MiddlewareObj<SQSEvent, SQSBatchResponse> {
  return {
    name: 'log-batch-errors',
    onError: (request) => {
      log.error('batch failed; every record will be retried', {
        records: request.event.Records.length,
        error: errorText(request.error),
      });
    },
  };
}

/**
 * The SQS handler of the delivery queue: puts back what arrived before its time, processes the
 * rest and answers with the records that must come back (`ReportBatchItemFailures`). An error
 * before the records are processed (the batch read failed) fails the whole batch.
 */
export function createDeliverHandler(deps: DeliverDeps) {
  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(flushMetrics(deps.metrics))
    .use(logBatchErrors(deps.log))
    .handler(async (event, context) => {
      // One event source mapping per lane, the same function: the records' queue tells which lane this batch is.
      const slow = deps.breaker !== undefined && event.Records[0]?.eventSourceARN === deps.breaker.slowQueueArn;
      const early = await holdEarly(deps, event.Records);
      const result = await processBatch(deps, early.due, {
        remainingTimeMs: () => context.getRemainingTimeInMillis(),
        lane: slow ? 'slow' : 'fast',
      });
      const failed = early.failedMessageIds.length === 0 ? result.failedMessageIds : [...early.failedMessageIds, ...result.failedMessageIds];
      return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
    });
}
