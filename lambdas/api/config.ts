/**
 * Configuration of the api Lambda, parsed once at cold start.
 */
import type { ApiDeps } from './app';
import { ConfigError, ENV, optionalInt, parseCommonConfig, requireString, type CommonConfig, type Env } from '../config';

/** 256 KiB: the default largest request body. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 262_144;

/**
 * The largest body the api accepts is capped below DynamoDB's 400 KB item limit: the event item holds the
 * payload plus its delivery ids.
 */
export const MAX_PAYLOAD_BYTES_LIMIT = 300_000;

export interface ApiConfig extends CommonConfig {
  readonly maxPayloadBytes: number;
  /** Where the API key comes from: Secrets Manager in AWS, the environment in local mode. */
  readonly apiKey: { readonly kind: 'secret'; readonly secretId: string } | { readonly kind: 'static'; readonly key: string };
  /** What portal session tokens are signed under: a Secrets Manager secret in AWS, the value itself in local mode. */
  readonly portalSecret: { readonly kind: 'secret'; readonly secretId: string } | { readonly kind: 'static'; readonly value: string };
  /** The slow delivery lane, whose depth the overview adds to the delivery queue's. */
  readonly slowDeliveryQueueUrl: string;
  /** Where e-mail contacts are subscribed (sns:Subscribe and sns:Unsubscribe on this topic only). */
  readonly tenantNoticeTopicArn: string;
}

/**
 * Reads the api's settings. Fails fast (ConfigError naming the variable) when a required one is missing, when
 * neither HERALD_API_KEY_SECRET_ARN nor HERALD_API_KEY is set, when neither HERALD_PORTAL_SECRET_ARN nor
 * HERALD_PORTAL_SECRET is set, or (parseCommonConfig) when the default retry policy is invalid.
 */
export function parseApiConfig(env: Env): ApiConfig {
  const common = parseCommonConfig(env);
  const secretId = env[ENV.apiKeySecretArn];
  const apiKey =
    secretId !== undefined && secretId.trim() !== ''
      ? ({ kind: 'secret', secretId } as const)
      : env[ENV.apiKey] !== undefined && env[ENV.apiKey]?.trim() !== ''
        ? ({ kind: 'static', key: requireString(env, ENV.apiKey) } as const)
        : undefined;
  if (apiKey === undefined) {
    throw new ConfigError(`missing required environment variable ${ENV.apiKeySecretArn} (or ${ENV.apiKey} in local mode)`);
  }
  const portalSecretId = env[ENV.portalSecretArn]?.trim();
  const portalSecret =
    portalSecretId !== undefined && portalSecretId !== ''
      ? ({ kind: 'secret', secretId: portalSecretId } as const)
      : env[ENV.portalSecret] !== undefined && env[ENV.portalSecret]?.trim() !== ''
        ? ({ kind: 'static', value: requireString(env, ENV.portalSecret) } as const)
        : undefined;
  if (portalSecret === undefined) {
    throw new ConfigError(`missing required environment variable ${ENV.portalSecretArn} (or ${ENV.portalSecret} in local mode)`);
  }
  return {
    ...common,
    maxPayloadBytes: optionalInt(env, ENV.maxPayloadBytes, DEFAULT_MAX_PAYLOAD_BYTES, 1024, MAX_PAYLOAD_BYTES_LIMIT),
    apiKey,
    portalSecret,
    slowDeliveryQueueUrl: requireString(env, ENV.slowDeliveryQueueUrl),
    tenantNoticeTopicArn: requireString(env, ENV.tenantNoticeTopicArn),
  };
}

/** The handler settings of a parsed configuration (the `config` of ApiDeps), as handler.ts and local mode pass them. */
export function apiSettings(config: ApiConfig): ApiDeps['config'] {
  return {
    allowPrivateTargets: config.allowPrivateTargets,
    retentionDays: config.retentionDays,
    maxPayloadBytes: config.maxPayloadBytes,
    environment: config.environment,
    ...(config.defaultRetryPolicy === undefined ? {} : { defaultRetryPolicy: config.defaultRetryPolicy }),
  };
}
