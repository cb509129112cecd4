/**
 * Runtime configuration of the Lambda handlers, parsed once at cold start from the environment the
 * stack (or local mode) sets. A required variable that is missing or malformed fails fast, naming it.
 */
import { CIRCUIT_LIMITS, DEFAULT_CIRCUIT } from './core/circuit';
import type { RetryPolicyInput } from './core/model';
import { resolvePolicy } from './core/policy';
import { validatePolicyInput } from './api/schemas/retry-policy';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The environment variable names, shared by the CDK constructs and local mode. */
export const ENV = {
  tableName: 'HERALD_TABLE_NAME',
  deliveryQueueUrl: 'HERALD_DELIVERY_QUEUE_URL',
  deliveryQueueArn: 'HERALD_DELIVERY_QUEUE_ARN',
  /** The slow lane: records of endpoints whose circuit is not closed or that answer slowly. */
  slowDeliveryQueueUrl: 'HERALD_SLOW_DELIVERY_QUEUE_URL',
  slowDeliveryQueueArn: 'HERALD_SLOW_DELIVERY_QUEUE_ARN',
  deadLetterQueueUrl: 'HERALD_DLQ_URL',
  /** The Scheduler's own dead-letter target: a schedule whose SendMessage keeps failing ends there. */
  deadLetterQueueArn: 'HERALD_DLQ_ARN',
  alertTopicArn: 'HERALD_ALERT_TOPIC_ARN',
  /** The tenant-notices topic: tenants' and endpoints' e-mail contacts subscribe to it with a filter policy. */
  tenantNoticeTopicArn: 'HERALD_TENANT_NOTICE_TOPIC_ARN',
  scheduleGroup: 'HERALD_SCHEDULE_GROUP',
  schedulerRoleArn: 'HERALD_SCHEDULER_ROLE_ARN',
  /** AWS: the Secrets Manager secret holding the API key. */
  apiKeySecretArn: 'HERALD_API_KEY_SECRET_ARN',
  /** Local mode: the API key itself (instead of a secret ARN). */
  apiKey: 'HERALD_API_KEY',
  /** AWS: the Secrets Manager secret portal session tokens are signed under (a key derived from it). */
  portalSecretArn: 'HERALD_PORTAL_SECRET_ARN',
  /** Local mode: that secret itself (kept in the data folder). */
  portalSecret: 'HERALD_PORTAL_SECRET',
  /** AWS: the KMS key that wraps the data key sealing signing secrets and header values (api and deliver only). */
  secretsKeyArn: 'HERALD_SECRETS_KEY_ARN',
  allowPrivateTargets: 'HERALD_ALLOW_PRIVATE_TARGETS',
  retentionDays: 'HERALD_RETENTION_DAYS',
  /** JSON of a RetryPolicyInput: the deployment's default policy. */
  defaultRetryPolicy: 'HERALD_DEFAULT_RETRY_POLICY',
  shortDelaySeconds: 'HERALD_SHORT_DELAY_SECONDS',
  maxPayloadBytes: 'HERALD_MAX_PAYLOAD_BYTES',
  disableAfterSeconds: 'HERALD_DISABLE_AFTER_SECONDS',
  alertWindowSeconds: 'HERALD_ALERT_WINDOW_SECONDS',
  sweepGraceSeconds: 'HERALD_SWEEP_GRACE_SECONDS',
  /** The deployment's environment name (`sandbox`, `production`); the stack sets it from the `environment` context. */
  environment: 'HERALD_ENVIRONMENT',
  /** Consecutive failed attempts that open an endpoint's circuit (the deployment default; endpoints may override). */
  breakerFailureThreshold: 'HERALD_BREAKER_FAILURE_THRESHOLD',
  /** Seconds between probes of an open circuit (the deployment default; endpoints may override). */
  breakerProbeSeconds: 'HERALD_BREAKER_PROBE_SECONDS',
  /** The `Deployment` dimension of the metrics: the stack's name in AWS, `local` in local mode. */
  deployment: 'HERALD_DEPLOYMENT',
  /** Where operational webhooks go (endpoint disabled, dead letters, circuits); none when unset. */
  operationalWebhookUrl: 'HERALD_OPERATIONAL_WEBHOOK_URL',
  /** AWS: the Secrets Manager secret holding the operational webhooks' signing key. */
  operationalWebhookSecretArn: 'HERALD_OPERATIONAL_WEBHOOK_SECRET_ARN',
  /** Local mode: the signing secret itself, `whsec_...`. */
  operationalWebhookSecret: 'HERALD_OPERATIONAL_WEBHOOK_SECRET',
} as const;

/** A deployment's environment name: a lower-case letter, then up to 31 lower-case letters, digits and `-`. */
export const ENVIRONMENT_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/** The environment of a deployment that names none: local mode and tests. */
export const DEFAULT_ENVIRONMENT = 'development';

export type Env = Readonly<Record<string, string | undefined>>;

/** The stateful resources every handler is pointed at (stack outputs in AWS, emulator resources locally). */
export interface ResourceNames {
  readonly tableName: string;
  readonly deliveryQueueUrl: string;
  readonly deliveryQueueArn: string;
  readonly slowDeliveryQueueUrl: string;
  readonly slowDeliveryQueueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
  readonly alertTopicArn: string;
  readonly tenantNoticeTopicArn: string;
  readonly scheduleGroup: string;
  readonly schedulerRoleArn: string;
}

/**
 * The part of the handlers' environment that names their resources: written once here, for the CDK stack and
 * for local mode alike, so the two always set the same variables.
 */
export function resourceEnvironment(names: ResourceNames): Record<string, string> {
  return {
    [ENV.tableName]: names.tableName,
    [ENV.deliveryQueueUrl]: names.deliveryQueueUrl,
    [ENV.deliveryQueueArn]: names.deliveryQueueArn,
    [ENV.slowDeliveryQueueUrl]: names.slowDeliveryQueueUrl,
    [ENV.slowDeliveryQueueArn]: names.slowDeliveryQueueArn,
    [ENV.deadLetterQueueUrl]: names.deadLetterQueueUrl,
    [ENV.deadLetterQueueArn]: names.deadLetterQueueArn,
    [ENV.alertTopicArn]: names.alertTopicArn,
    [ENV.tenantNoticeTopicArn]: names.tenantNoticeTopicArn,
    [ENV.scheduleGroup]: names.scheduleGroup,
    [ENV.schedulerRoleArn]: names.schedulerRoleArn,
  };
}

export function requireString(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigError(`missing required environment variable ${name}`);
  }
  return value;
}

export function optionalInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`environment variable ${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  }
  return value;
}

export function optionalBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`environment variable ${name} must be true or false, got "${raw}"`);
}

export function optionalJson(env: Env, name: string): unknown {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new ConfigError(`environment variable ${name} is not valid JSON`);
  }
}

/** Settings every handler shares. */
export interface CommonConfig {
  readonly tableName: string;
  readonly deliveryQueueUrl: string;
  readonly allowPrivateTargets: boolean;
  readonly retentionDays: number;
  /** The deployment's default retry policy, validated (and checked to resolve) at cold start. */
  readonly defaultRetryPolicy: RetryPolicyInput | undefined;
  /** The deployment's environment name, stamped into the payload formats that carry one and shown in the console. */
  readonly environment: string;
  /** The deployment's circuit breaker settings, under every endpoint's own `circuitBreaker`. */
  readonly breaker: BreakerDefaults;
  /** The metrics' `Deployment` dimension. @default 'herald' */
  readonly deployment: string;
}

/** The deployment-wide circuit breaker settings. */
export interface BreakerDefaults {
  readonly failureThreshold: number;
  readonly probeIntervalSeconds: number;
}

/** The metrics' deployment name when HERALD_DEPLOYMENT is not set (a handler run outside the stack). */
export const DEFAULT_DEPLOYMENT = 'herald';

export function parseCommonConfig(env: Env): CommonConfig {
  return {
    tableName: requireString(env, ENV.tableName),
    deliveryQueueUrl: requireString(env, ENV.deliveryQueueUrl),
    allowPrivateTargets: optionalBool(env, ENV.allowPrivateTargets, false),
    retentionDays: optionalInt(env, ENV.retentionDays, 30, 1, 3650),
    defaultRetryPolicy: parseDefaultRetryPolicy(env),
    environment: parseEnvironment(env),
    breaker: parseBreakerDefaults(env),
    deployment: parseDeployment(env),
  };
}

/**
 * The deployment's breaker settings from HERALD_BREAKER_FAILURE_THRESHOLD and HERALD_BREAKER_PROBE_SECONDS, with
 * the documented defaults (5 failures, 60 s). Out-of-range values fail the cold start, naming the variable.
 */
export function parseBreakerDefaults(env: Env): BreakerDefaults {
  const { failureThreshold, probeIntervalSeconds } = CIRCUIT_LIMITS;
  return {
    failureThreshold: optionalInt(
      env,
      ENV.breakerFailureThreshold,
      DEFAULT_CIRCUIT.failureThreshold,
      failureThreshold.min,
      failureThreshold.max,
    ),
    probeIntervalSeconds: optionalInt(
      env,
      ENV.breakerProbeSeconds,
      DEFAULT_CIRCUIT.probeIntervalSeconds,
      probeIntervalSeconds.min,
      probeIntervalSeconds.max,
    ),
  };
}

/**
 * HERALD_ENVIRONMENT: the deployment's environment name. The stack always sets it; local mode passes its own
 * HERALD_ENVIRONMENT through, and without one it is {@link DEFAULT_ENVIRONMENT}.
 */
export function parseEnvironment(env: Env): string {
  const raw = env[ENV.environment];
  if (raw === undefined || raw === '') return DEFAULT_ENVIRONMENT;
  if (!ENVIRONMENT_PATTERN.test(raw)) {
    throw new ConfigError(
      `environment variable ${ENV.environment} must be a lower-case letter then up to 31 lower-case letters, digits and -, got "${raw}"`,
    );
  }
  return raw;
}

/** HERALD_DEPLOYMENT: a CloudWatch dimension value (1..255 printable characters). */
function parseDeployment(env: Env): string {
  const raw = env[ENV.deployment];
  if (raw === undefined || raw.trim() === '') return DEFAULT_DEPLOYMENT;
  if (raw.length > 255 || !/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError(`environment variable ${ENV.deployment} must be 1 to 255 printable ASCII characters without spaces, got "${raw}"`);
  }
  return raw;
}

/** The deployment's default retry policy from HERALD_DEFAULT_RETRY_POLICY; an invalid one fails the cold start. */
export function parseDefaultRetryPolicy(env: Env): RetryPolicyInput | undefined {
  const raw = optionalJson(env, ENV.defaultRetryPolicy);
  if (raw === undefined) return undefined;
  const checked = validatePolicyInput(raw, 'defaultRetryPolicy');
  if (!checked.ok) {
    throw new ConfigError(
      `environment variable ${ENV.defaultRetryPolicy} is invalid: ${checked.error.map((e) => `${e.path} ${e.message}`).join('; ')}`,
    );
  }
  try {
    resolvePolicy(undefined, checked.value);
  } catch (error) {
    throw new ConfigError(`environment variable ${ENV.defaultRetryPolicy} is invalid: ${(error as Error).message}`);
  }
  return checked.value;
}

/**
 * The KMS key of the secret box (HERALD_SECRETS_KEY_ARN), as the api and deliver Lambdas need it in AWS. Local mode
 * never calls this: it passes a box on its own master key.
 *
 * @throws ConfigError when the variable is missing
 */
export function requireSecretsKeyArn(env: Env): string {
  return requireString(env, ENV.secretsKeyArn);
}

/** Where operational webhooks go and how they are signed. */
export interface OperationalWebhookConfig {
  readonly url: string;
  readonly secret: { readonly kind: 'secret'; readonly secretId: string } | { readonly kind: 'static'; readonly value: string };
}

/**
 * The operational webhook settings: undefined when HERALD_OPERATIONAL_WEBHOOK_URL is unset (the feature is off).
 * A URL must be http(s) and comes with its signing secret: HERALD_OPERATIONAL_WEBHOOK_SECRET_ARN in AWS, or
 * HERALD_OPERATIONAL_WEBHOOK_SECRET (`whsec_` + base64) locally; an unsigned operational webhook is never sent.
 *
 * @throws ConfigError naming the variable that is malformed or missing
 */
export function parseOperationalWebhook(env: Env): OperationalWebhookConfig | undefined {
  const url = env[ENV.operationalWebhookUrl]?.trim();
  if (url === undefined || url === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`environment variable ${ENV.operationalWebhookUrl} must be an http(s) URL, got "${url}"`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ConfigError(`environment variable ${ENV.operationalWebhookUrl} must be an http(s) URL, got "${url}"`);
  }
  const secretId = env[ENV.operationalWebhookSecretArn]?.trim();
  if (secretId !== undefined && secretId !== '') return { url, secret: { kind: 'secret', secretId } };
  const value = env[ENV.operationalWebhookSecret]?.trim();
  if (value === undefined || value === '') {
    throw new ConfigError(
      `${ENV.operationalWebhookUrl} is set, so ${ENV.operationalWebhookSecretArn} (or ${ENV.operationalWebhookSecret} in local mode) is required to sign the operational webhooks`,
    );
  }
  if (!/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/.test(value)) {
    throw new ConfigError(`environment variable ${ENV.operationalWebhookSecret} must be "whsec_" followed by the base64 of at least 24 bytes`);
  }
  return { url, secret: { kind: 'static', value } };
}
