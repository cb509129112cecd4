import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { ENV, resourceEnvironment, type ResourceNames } from '../lambdas/config';
import { Alerts } from './constructs/alerts';
import { DataStore } from './constructs/data-store';
import { DeliveryQueues } from './constructs/delivery-queues';
import { DeliveryWorker } from './constructs/delivery-worker';
import type { HeraldFunction } from './constructs/herald-function';
import { OperationalWebhook } from './constructs/operational-webhook';
import { OperationsDashboard } from './constructs/operations-dashboard';
import { PublishApi } from './constructs/publish-api';
import { RetryScheduler } from './constructs/retry-scheduler';
import { SecretsKey } from './constructs/secrets-key';
import { Sweeper } from './constructs/sweeper';
import { TenantNotices } from './constructs/tenant-notices';
import { type HeraldContext, UNNAMED_ENVIRONMENT } from './context';

export interface HeraldStackProps extends StackProps {
  /** The validated deployment settings (see `lib/context.ts`). */
  readonly settings: HeraldContext;
}

/** Seconds after its time that a message may still legitimately wait in the queue before the age alarm fires. */
const QUEUE_AGE_SLACK_SECONDS = 300;

/**
 * All of Herald in one stack: the HTTP API and its Lambda, the table and the KMS key sealing the secrets in it, the delivery and dead-letter
 * queues, the deliver Lambda, the retry Scheduler group and role, the sweep, and the alerts.
 *
 * Construct ids are part of the resources' logical ids; renaming one replaces the resource (and
 * for the retained table and queues, orphans the old one). Do not rename them.
 */
export class HeraldStack extends Stack {
  readonly dataStore: DataStore;
  readonly secretsKey: SecretsKey;
  readonly queues: DeliveryQueues;
  readonly retryScheduler: RetryScheduler;
  readonly alerts: Alerts;
  /** Tenants' own notices: the topic their e-mail contacts subscribe to (filtered by tenant or endpoint). */
  readonly tenantNotices: TenantNotices;
  readonly api: PublishApi;
  readonly worker: DeliveryWorker;
  readonly sweeper: Sweeper;
  readonly operations: OperationsDashboard;
  /** Present when the deployment names an operational webhook URL. */
  readonly operationalWebhook: OperationalWebhook | undefined;

  constructor(scope: Construct, id: string, props: HeraldStackProps) {
    super(scope, id, props);
    const { settings } = props;

    this.dataStore = new DataStore(this, 'DataStore');
    this.secretsKey = new SecretsKey(this, 'SecretsKey');
    this.queues = new DeliveryQueues(this, 'Queues');
    this.retryScheduler = new RetryScheduler(this, 'RetryScheduler', {
      deliveryQueue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
    });
    this.alerts = new Alerts(this, 'Alerts', { alertEmail: settings.alertEmail });
    this.tenantNotices = new TenantNotices(this, 'TenantNotices', { key: this.alerts.key });

    this.operationalWebhook =
      settings.operationalWebhookUrl === undefined ? undefined : new OperationalWebhook(this, 'OperationalWebhook', { url: settings.operationalWebhookUrl });
    const environment = {
      ...this.operationalWebhook?.environment,
      ...runtimeEnvironment(settings, this.stackName, {
        tableName: this.dataStore.table.tableName,
        deliveryQueueUrl: this.queues.queue.queueUrl,
        deliveryQueueArn: this.queues.queue.queueArn,
        slowDeliveryQueueUrl: this.queues.slowQueue.queueUrl,
        slowDeliveryQueueArn: this.queues.slowQueue.queueArn,
        deadLetterQueueUrl: this.queues.deadLetterQueue.queueUrl,
        deadLetterQueueArn: this.queues.deadLetterQueue.queueArn,
        alertTopicArn: this.alerts.topic.topicArn,
        tenantNoticeTopicArn: this.tenantNotices.topic.topicArn,
        scheduleGroup: this.retryScheduler.groupName,
        schedulerRoleArn: this.retryScheduler.role.roleArn,
      }),
    };
    const { platformLogs } = settings;
    this.api = new PublishApi(this, 'Api', { dataStore: this.dataStore, secretsKey: this.secretsKey, queues: this.queues, environment, platformLogs });
    this.worker = new DeliveryWorker(this, 'Worker', {
      dataStore: this.dataStore,
      secretsKey: this.secretsKey,
      queues: this.queues,
      retryScheduler: this.retryScheduler,
      alerts: this.alerts,
      environment,
      maxConcurrency: settings.workerConcurrency,
      reserveConcurrency: settings.reserveWorkerConcurrency,
      platformLogs,
    });
    this.sweeper = new Sweeper(this, 'Sweeper', {
      dataStore: this.dataStore,
      queues: this.queues,
      alerts: this.alerts,
      // The sweep signs the URL contacts' dead-letter summaries: it opens their sealed secrets.
      environment: { ...environment, ...this.secretsKey.environment() },
      platformLogs,
    });
    this.secretsKey.grantOpen(this.sweeper.function);
    this.tenantNotices.grantSubscribe(this.api.function);
    this.tenantNotices.grantPublish(this.worker.function);
    this.tenantNotices.grantPublish(this.sweeper.function);

    this.operationalWebhook?.grantRead(this.worker.function);
    this.operationalWebhook?.grantRead(this.sweeper.function);

    this.alerts.addAlarm('DeadLetterQueueNewArrivals', {
      description:
        'Herald: new messages reached the dead-letter queue (deliveries given up, schedules the Scheduler could not fire, or messages that kept failing in the worker). Inspect them and redeliver with POST /v1/deliveries/{id}/retry.',
      metric: deadLetterArrivals(this.queues),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    // A short retry legitimately waits in the queue for up to shortDelaySeconds; a message older
    // than that plus some slack means the worker is not keeping up (or keeps crashing on it).
    this.alerts.addAlarm('DeliveryQueueBacklog', {
      description: 'Herald: the oldest message on the delivery queue is older than expected; deliveries are running late.',
      metric: this.queues.queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: Math.max(settings.shortDelaySeconds, QUEUE_AGE_SLACK_SECONDS) + QUEUE_AGE_SLACK_SECONDS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
    });
    const functions: readonly [string, HeraldFunction][] = [
      ['ApiErrors', this.api.function],
      ['WorkerErrors', this.worker.function],
      ['SweeperErrors', this.sweeper.function],
    ];
    for (const [alarmId, fn] of functions) {
      this.alerts.addAlarm(alarmId, {
        description: `Herald: the Lambda ${fn.node.path} failed (uncaught error or timeout). See its log group.`,
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
    }

    this.operations = new OperationsDashboard(this, 'Operations', {
      deployment: this.stackName,
      api: this.api.function,
      worker: this.worker.function,
      sweeper: this.sweeper.function,
      deliveryQueue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
    });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the Herald API', value: this.api.stage.url });
    new CfnOutput(this, 'ApiKeySecretArn', {
      description: 'Secrets Manager secret holding the API key (aws secretsmanager get-secret-value --secret-id <arn>)',
      value: this.api.apiKeySecret.secretArn,
    });
    new CfnOutput(this, 'PortalSessionSecretArn', {
      description: 'Secrets Manager secret portal session tokens are signed under; rotate it to end every portal session',
      value: this.api.portalSessionSecret.secretArn,
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: 'Dead-letter queue of given-up deliveries',
      value: this.queues.deadLetterQueue.queueUrl,
    });
    if (this.operationalWebhook !== undefined) {
      new CfnOutput(this, 'OperationalWebhookSecretArn', {
        description: 'Signing key of the operational webhooks: verify with the Standard Webhooks secret "whsec_<value>"',
        value: this.operationalWebhook.secret.secretArn,
      });
    }
    new CfnOutput(this, 'TenantNoticeTopicArn', { description: 'SNS topic of tenant notices (e-mail contacts subscribe with a filter policy)', value: this.tenantNotices.topic.topicArn });
    new CfnOutput(this, 'AlertTopicArn', { description: 'SNS topic of Herald alerts', value: this.alerts.topic.topicArn });
  }
}

/**
 * New arrivals on the dead-letter queue per minute. Not its depth: dead letters stay there for 14
 * days, so an alarm on "at least one visible" would stay in ALARM and never notify again.
 *
 * - `NumberOfMessagesSent` counts what Herald's worker and the Scheduler send to it.
 * - It does not count messages the redrive policy moves there (poison messages), so a rise in the
 *   visible count is added.
 *
 * Either missing (an idle queue reports nothing) counts as 0.
 */
export function deadLetterArrivals(queues: DeliveryQueues): cloudwatch.MathExpression {
  const period = Duration.minutes(1);
  return new cloudwatch.MathExpression({
    expression: 'FILL(sent, 0) + FILL(IF(DIFF(visible) > 0, DIFF(visible), 0), 0)',
    usingMetrics: {
      sent: queues.deadLetterQueue.metricNumberOfMessagesSent({ period, statistic: cloudwatch.Stats.SUM }),
      visible: queues.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: cloudwatch.Stats.MAXIMUM }),
    },
    label: 'New dead letters',
    period,
  });
}

/**
 * The configuration every Herald Lambda reads at cold start (`lambdas/config.ts`), built from the
 * stack's resources and the deployment settings. The default retry policy is set only when the
 * deployer gave one, so the handlers' built-in default applies otherwise.
 */
export function runtimeEnvironment(settings: HeraldContext, deployment: string, names: ResourceNames): Record<string, string> {
  return {
    ...resourceEnvironment(names),
    [ENV.deployment]: deployment,
    [ENV.allowPrivateTargets]: String(settings.allowPrivateTargets),
    [ENV.retentionDays]: String(settings.retentionDays),
    [ENV.shortDelaySeconds]: String(settings.shortDelaySeconds),
    [ENV.disableAfterSeconds]: String(settings.disableAfterDays * 24 * 3600),
    [ENV.breakerFailureThreshold]: String(settings.breakerFailureThreshold),
    [ENV.breakerProbeSeconds]: String(settings.breakerProbeSeconds),
    [ENV.environment]: settings.environment ?? UNNAMED_ENVIRONMENT,
    ...(settings.defaultRetryPolicy === undefined
      ? {}
      : { [ENV.defaultRetryPolicy]: JSON.stringify(settings.defaultRetryPolicy) }),
  };
}
