/**
 * The deployment's settings, read from CDK context (`cdk deploy -c key=value` or `cdk.json`) and
 * validated before any resource is defined. A typo fails `cdk synth` with a message naming the key,
 * instead of deploying a stack whose Lambdas then fail at cold start or behave unexpectedly.
 *
 * Values given with `-c` arrive as strings; values from `cdk.json` keep their JSON type. Both forms
 * are accepted. An empty string counts as "not given".
 */
import type { Node } from 'constructs';
import { CIRCUIT_LIMITS, DEFAULT_CIRCUIT } from '../lambdas/core/circuit';
import type { RetryPolicyInput } from '../lambdas/core/model';
import { ENVIRONMENT_PATTERN } from '../lambdas/config';
import { validatePolicyInput } from '../lambdas/api/schemas/retry-policy';
import { resolvePolicy } from '../lambdas/core/policy';
import { RETENTION_MARGIN_SECONDS, SQS_MAX_DELAY_SECONDS } from './spec';

/** A context value is missing its expected form; the message names the key and the value. */
export class ContextError extends Error {
  override readonly name = 'ContextError';
}

/** The context keys Herald reads, as documented in the README. */
export const CONTEXT_KEYS = {
  alertEmail: 'alertEmail',
  allowPrivateTargets: 'allowPrivateTargets',
  retentionDays: 'retentionDays',
  shortDelaySeconds: 'shortDelaySeconds',
  defaultRetryPolicy: 'defaultRetryPolicy',
  disableAfterDays: 'disableAfterDays',
  breakerFailureThreshold: 'breakerFailureThreshold',
  breakerProbeSeconds: 'breakerProbeSeconds',
  environment: 'environment',
  operationalWebhookUrl: 'operationalWebhookUrl',
  workerConcurrency: 'workerConcurrency',
  reserveWorkerConcurrency: 'reserveWorkerConcurrency',
  platformLogs: 'platformLogs',
} as const;

export const CONTEXT_DEFAULTS = {
  allowPrivateTargets: false,
  retentionDays: 30,
  shortDelaySeconds: SQS_MAX_DELAY_SECONDS,
  disableAfterDays: 5,
  breakerFailureThreshold: DEFAULT_CIRCUIT.failureThreshold,
  breakerProbeSeconds: DEFAULT_CIRCUIT.probeIntervalSeconds,
  workerConcurrency: 20,
  reserveWorkerConcurrency: true,
  platformLogs: false,
} as const;

/** The validated deployment settings. */
export interface HeraldContext {
  /** Where alerts are e-mailed; no subscription when absent (the topic can still be subscribed by hand). */
  readonly alertEmail: string | undefined;
  /** Whether endpoints may target loopback, private or link-local addresses. */
  readonly allowPrivateTargets: boolean;
  /** Days an event, its deliveries and attempts are kept before DynamoDB TTL removes them. */
  readonly retentionDays: number;
  /** Retries due within this many seconds use an SQS message timer instead of the Scheduler. */
  readonly shortDelaySeconds: number;
  /** The deployment's default retry policy, merged under every endpoint's own. */
  readonly defaultRetryPolicy: RetryPolicyInput | undefined;
  /** An endpoint whose deliveries have failed for this many days without a success is disabled. */
  readonly disableAfterDays: number;
  /** Consecutive failed attempts that open an endpoint's circuit, unless the endpoint sets its own. */
  readonly breakerFailureThreshold: number;
  /** Seconds between probes of an open circuit, unless the endpoint sets its own. */
  readonly breakerProbeSeconds: number;
  /**
   * The deployment's environment (`sandbox`, `production`): it names the stack `Herald-<environment>`, so two
   * deploy side by side in one account, and is stamped into the payload formats that carry one. Absent: the
   * stack is `Herald` and the environment `production`.
   */
  readonly environment: string | undefined;
  /** Where operational webhooks go (an https URL); none when absent. */
  readonly operationalWebhookUrl: string | undefined;
  /** Most concurrent deliver Lambdas (the fast lane's event source mapping's maximum concurrency). */
  readonly workerConcurrency: number;
  /** Whether the lanes' concurrency is reserved for the deliver Lambda, so throttling cannot push valid messages to the DLQ. */
  readonly reserveWorkerConcurrency: boolean;
  /**
   * Whether Lambda writes its START, END and REPORT lines for every invocation (system log level INFO). Off by
   * default (WARN): about 300 bytes of logs per invocation, $0.15 per million single publishes; durations and
   * errors stay in the functions' CloudWatch metrics.
   */
  readonly platformLogs: boolean;
}

/** The environment stamped into payloads when the deployer names none. */
export const UNNAMED_ENVIRONMENT = 'production';

/** The stack's name (and construct id): `Herald`, or `Herald-<environment>` when one is named. */
export function heraldStackName(settings: Pick<HeraldContext, 'environment'>): string {
  return settings.environment === undefined ? 'Herald' : `Herald-${settings.environment}`;
}

/** Returns the raw context value of a key, `undefined` when not set. */
export type ContextLookup = (key: string) => unknown;

/**
 * Validates the deployment settings and applies the defaults.
 *
 * Throws a {@link ContextError} naming the first invalid key, so `cdk synth` stops before it
 * produces a template that would deploy a misconfigured system.
 */
export function parseHeraldContext(lookup: ContextLookup): HeraldContext {
  const value = (key: string): unknown => {
    const raw = lookup(key);
    return raw === '' || raw === null ? undefined : raw;
  };
  const context: HeraldContext = {
    alertEmail: parseEmail(CONTEXT_KEYS.alertEmail, value(CONTEXT_KEYS.alertEmail)),
    allowPrivateTargets: parseBoolean(
      CONTEXT_KEYS.allowPrivateTargets,
      value(CONTEXT_KEYS.allowPrivateTargets),
      CONTEXT_DEFAULTS.allowPrivateTargets,
    ),
    retentionDays: parseInteger(CONTEXT_KEYS.retentionDays, value(CONTEXT_KEYS.retentionDays), {
      fallback: CONTEXT_DEFAULTS.retentionDays,
      min: 1,
      max: 3650,
    }),
    // The upper bound is the longest SQS message timer: a retry beyond it cannot wait in the queue.
    shortDelaySeconds: parseInteger(CONTEXT_KEYS.shortDelaySeconds, value(CONTEXT_KEYS.shortDelaySeconds), {
      fallback: CONTEXT_DEFAULTS.shortDelaySeconds,
      min: 0,
      max: SQS_MAX_DELAY_SECONDS,
    }),
    defaultRetryPolicy: parseRetryPolicy(CONTEXT_KEYS.defaultRetryPolicy, value(CONTEXT_KEYS.defaultRetryPolicy)),
    disableAfterDays: parseInteger(CONTEXT_KEYS.disableAfterDays, value(CONTEXT_KEYS.disableAfterDays), {
      fallback: CONTEXT_DEFAULTS.disableAfterDays,
      min: 1,
      max: 365,
    }),
    breakerFailureThreshold: parseInteger(CONTEXT_KEYS.breakerFailureThreshold, value(CONTEXT_KEYS.breakerFailureThreshold), {
      fallback: CONTEXT_DEFAULTS.breakerFailureThreshold,
      ...CIRCUIT_LIMITS.failureThreshold,
    }),
    breakerProbeSeconds: parseInteger(CONTEXT_KEYS.breakerProbeSeconds, value(CONTEXT_KEYS.breakerProbeSeconds), {
      fallback: CONTEXT_DEFAULTS.breakerProbeSeconds,
      ...CIRCUIT_LIMITS.probeIntervalSeconds,
    }),
    environment: parseEnvironmentName(CONTEXT_KEYS.environment, value(CONTEXT_KEYS.environment)),
    operationalWebhookUrl: parseHttpsUrl(CONTEXT_KEYS.operationalWebhookUrl, value(CONTEXT_KEYS.operationalWebhookUrl)),
    // 2 to 1000 is what an SQS event source mapping's maximum concurrency accepts.
    workerConcurrency: parseInteger(CONTEXT_KEYS.workerConcurrency, value(CONTEXT_KEYS.workerConcurrency), {
      fallback: CONTEXT_DEFAULTS.workerConcurrency,
      min: 2,
      max: 1000,
    }),
    reserveWorkerConcurrency: parseBoolean(
      CONTEXT_KEYS.reserveWorkerConcurrency,
      value(CONTEXT_KEYS.reserveWorkerConcurrency),
      CONTEXT_DEFAULTS.reserveWorkerConcurrency,
    ),
    platformLogs: parseBoolean(CONTEXT_KEYS.platformLogs, value(CONTEXT_KEYS.platformLogs), CONTEXT_DEFAULTS.platformLogs),
  };
  checkRetentionCoversPolicy(context);
  return context;
}

/**
 * Retention must outlive every delivery the default policy allows: TTL really deletes, and a delivery whose
 * records expire while it still waits is lost. The longest life is the policy's `maxAgeSeconds` plus
 * RETENTION_MARGIN_SECONDS; an endpoint's own policy is held to the same bound by the API.
 */
function checkRetentionCoversPolicy(context: HeraldContext): void {
  const maxAgeSeconds = resolvePolicy(undefined, context.defaultRetryPolicy).maxAgeSeconds;
  const neededDays = Math.ceil((maxAgeSeconds + RETENTION_MARGIN_SECONDS) / 86_400);
  if (context.retentionDays < neededDays) {
    throw new ContextError(
      `context ${CONTEXT_KEYS.retentionDays} is ${context.retentionDays} days, shorter than the longest life the default retry policy ` +
        `allows: maxAgeSeconds ${maxAgeSeconds} s plus a ${RETENTION_MARGIN_SECONDS / 86_400}-day margin needs at least ${neededDays} days`,
    );
  }
}

function parseHttpsUrl(key: string, raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = typeof raw === 'string' ? new URL(raw.trim()) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || url.protocol !== 'https:' || String(raw).length > 2048) {
    throw new ContextError(`context ${key} must be an https URL, got ${show(raw)}`);
  }
  return String(raw).trim();
}

/** Reads and validates the deployment settings from a construct node's context (see {@link parseHeraldContext}). */
export function readHeraldContext(node: Node): HeraldContext {
  return parseHeraldContext((key) => node.tryGetContext(key));
}

// Deliberately simple: one `@`, no whitespace, a dot in the domain. SNS confirms the address anyway.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function parseEmail(key: string, raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.length > 254 || !EMAIL.test(raw.trim())) {
    throw new ContextError(`context ${key} must be an e-mail address, got ${show(raw)}`);
  }
  return raw.trim();
}

function parseEnvironmentName(key: string, raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !ENVIRONMENT_PATTERN.test(raw)) {
    throw new ContextError(`context ${key} must be a lower-case letter then up to 31 lower-case letters, digits and - (e.g. sandbox), got ${show(raw)}`);
  }
  return raw;
}

function parseBoolean(key: string, raw: unknown, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new ContextError(`context ${key} must be true or false, got ${show(raw)}`);
}

function parseInteger(
  key: string,
  raw: unknown,
  range: { readonly fallback: number; readonly min: number; readonly max: number },
): number {
  if (raw === undefined) return range.fallback;
  const parsed = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < range.min || parsed > range.max) {
    throw new ContextError(`context ${key} must be an integer from ${range.min} to ${range.max}, got ${show(raw)}`);
  }
  return parsed;
}

function parseRetryPolicy(key: string, raw: unknown): RetryPolicyInput | undefined {
  if (raw === undefined) return undefined;
  let parsed: unknown = raw;
  if (typeof raw === 'string') {
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ContextError(`context ${key} must be a JSON object (a retry policy), got invalid JSON ${show(raw)}`);
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ContextError(`context ${key} must be a JSON object (a retry policy), got ${show(raw)}`);
  }
  // The same validation as an endpoint's retryPolicy in the API, so a policy the handlers would
  // reject at cold start fails the synth instead.
  const result = validatePolicyInput(parsed, key);
  if (!result.ok) {
    const problems = result.error.map((issue) => `${issue.path} ${issue.message}`).join('; ');
    throw new ContextError(`context ${key} is not a valid retry policy: ${problems}`);
  }
  return result.value;
}

function show(raw: unknown): string {
  return typeof raw === 'string' ? `"${raw}"` : JSON.stringify(raw) ?? String(raw);
}
