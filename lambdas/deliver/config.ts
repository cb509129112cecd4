/**
 * The deliver Lambda's configuration, parsed once at cold start. A missing or malformed variable
 * fails the cold start, naming it.
 */
import { DELIVER_TIMEOUT_SECONDS, SQS_MAX_DELAY_SECONDS } from '../../lib/spec';
import { ConfigError, ENV, optionalInt, parseCommonConfig, parseOperationalWebhook, requireString, type CommonConfig, type Env, type OperationalWebhookConfig } from '../config';
import { DEFAULT_DELIVER_SETTINGS, type DeliverSettings } from '../use-cases/deliver/deps';

export interface DeliverConfig extends CommonConfig {
  readonly deliveryQueueArn: string;
  readonly slowDeliveryQueueUrl: string;
  readonly slowDeliveryQueueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
  readonly alertTopicArn: string;
  /** Where tenant notices are published (their e-mail contacts subscribe to it). */
  readonly tenantNoticeTopicArn: string;
  readonly scheduleGroup: string;
  readonly schedulerRoleArn: string;
  readonly shortDelaySeconds: number;
  readonly disableAfterSeconds: number;
  readonly alertWindowSeconds: number;
  /** Operational webhooks; undefined when the deployment names no URL. */
  readonly operationalWebhook: OperationalWebhookConfig | undefined;
}

/**
 * Reads the deliver Lambda's environment: the shared settings, the queue, topic and Scheduler
 * resources it writes to (required: there is no sensible default for a resource name), and the
 * tunables with their documented defaults. The deployment's default retry policy is resolved once
 * here, so a broken policy fails the cold start instead of every delivery.
 *
 * @throws ConfigError naming the first missing or malformed variable
 */
export function parseDeliverConfig(env: Env): DeliverConfig {
  const common = parseCommonConfig(env);
  return {
    ...common,
    deliveryQueueArn: requireString(env, ENV.deliveryQueueArn),
    slowDeliveryQueueUrl: requireString(env, ENV.slowDeliveryQueueUrl),
    slowDeliveryQueueArn: requireString(env, ENV.slowDeliveryQueueArn),
    deadLetterQueueUrl: requireString(env, ENV.deadLetterQueueUrl),
    deadLetterQueueArn: requireString(env, ENV.deadLetterQueueArn),
    alertTopicArn: requireString(env, ENV.alertTopicArn),
    tenantNoticeTopicArn: requireString(env, ENV.tenantNoticeTopicArn),
    scheduleGroup: requireString(env, ENV.scheduleGroup),
    schedulerRoleArn: requireString(env, ENV.schedulerRoleArn),
    shortDelaySeconds: optionalInt(env, ENV.shortDelaySeconds, DEFAULT_DELIVER_SETTINGS.shortDelaySeconds, 0, SQS_MAX_DELAY_SECONDS),
    disableAfterSeconds: optionalInt(env, ENV.disableAfterSeconds, DEFAULT_DELIVER_SETTINGS.disableAfterSeconds, 60, 365 * 86_400),
    alertWindowSeconds: optionalInt(env, ENV.alertWindowSeconds, DEFAULT_DELIVER_SETTINGS.alertWindowSeconds, 1, 86_400),
    operationalWebhook: parseOperationalWebhook(env),
  };
}

/**
 * The use case settings for a configuration. The HTTP timeout of any endpoint is capped 10 s below
 * the Lambda timeout, which leaves time to record the attempt after a response that came at the
 * last moment.
 */
export function deliverSettings(config: DeliverConfig): DeliverSettings {
  return {
    defaultRetryPolicy: config.defaultRetryPolicy,
    shortDelaySeconds: config.shortDelaySeconds,
    disableAfterSeconds: config.disableAfterSeconds,
    alertWindowSeconds: config.alertWindowSeconds,
    concurrency: DEFAULT_DELIVER_SETTINGS.concurrency,
    maxTimeoutMs: (DELIVER_TIMEOUT_SECONDS - 10) * 1000,
    leaseMarginMs: DEFAULT_DELIVER_SETTINGS.leaseMarginMs,
    disabledRecheckSeconds: DEFAULT_DELIVER_SETTINGS.disabledRecheckSeconds,
    environment: config.environment,
  };
}
