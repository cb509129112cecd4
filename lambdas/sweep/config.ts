/**
 * Configuration of the sweep Lambda, parsed once at cold start.
 */
import { ENV, optionalInt, parseCommonConfig, parseOperationalWebhook, requireString, type CommonConfig, type Env, type OperationalWebhookConfig } from '../config';

/** Default grace: a delivery is swept once its next attempt is five minutes overdue. */
export const DEFAULT_SWEEP_GRACE_SECONDS = 300;

export interface SweepConfig extends CommonConfig {
  readonly graceSeconds: number;
  readonly alertTopicArn: string;
  /** Where the tenant notices of dead-letter summaries are published. */
  readonly tenantNoticeTopicArn: string;
  /** Operational webhooks (the dead-letter summaries); undefined when the deployment names no URL. */
  readonly operationalWebhook: OperationalWebhookConfig | undefined;
}

/** Reads the sweep's settings; fails fast (ConfigError naming the variable) on a missing or malformed one. */
export function parseSweepConfig(env: Env): SweepConfig {
  return {
    ...parseCommonConfig(env),
    graceSeconds: optionalInt(env, ENV.sweepGraceSeconds, DEFAULT_SWEEP_GRACE_SECONDS, 0, 86_400),
    alertTopicArn: requireString(env, ENV.alertTopicArn),
    tenantNoticeTopicArn: requireString(env, ENV.tenantNoticeTopicArn),
    operationalWebhook: parseOperationalWebhook(env),
  };
}
