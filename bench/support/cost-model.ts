/**
 * The arithmetic of the AWS cost benchmark: DynamoDB item sizes and capacity units, SQS/SNS request
 * chunks, Lambda GB-seconds, the share of retries that go through EventBridge Scheduler, and the
 * price of a delivery case per million deliveries.
 *
 * Pure: the benchmark measures usage (calls, item images, durations) during local runs; these
 * functions only count and multiply, so the unit tests pin them with exact tables.
 */
import { readFileSync } from 'node:fs';
import { backoffCapSeconds } from '../../lambdas/core/backoff';
import type { RetryPolicy } from '../../lambdas/core/model';
import { SQS_MAX_DELAY_SECONDS } from '../../lib/spec';

/** The shape of bench/prices.json. */
export interface Prices {
  readonly region: string;
  readonly currency: string;
  readonly recordedOn: string;
  readonly lambda: { readonly arm64GbSecond: number; readonly requestsPerMillion: number; readonly billingGranularityMs: number };
  readonly dynamodb: { readonly onDemandWriteRequestUnitsPerMillion: number; readonly onDemandReadRequestUnitsPerMillion: number };
  readonly sqs: { readonly standardRequestsPerMillion: number; readonly requestChunkBytes: number };
  readonly scheduler: { readonly invocationsPerMillion: number; readonly apiCallsBilled: boolean };
  readonly sns: { readonly publishesPerMillion: number; readonly requestChunkBytes: number; readonly emailNotificationsPerHundredThousand: number };
  readonly apiGateway: { readonly httpApiRequestsPerMillion: number; readonly requestChunkBytes: number };
  readonly cloudwatchLogs: { readonly ingestionPerGb: number };
}

/** Reads bench/prices.json. */
export function loadPrices(): Prices {
  return JSON.parse(readFileSync(new URL('../prices.json', import.meta.url), 'utf8')) as Prices;
}

// ---------------------------------------------------------------------------------------------
// DynamoDB item sizes and capacity units

/** A DynamoDB item in DocumentClient form (native JavaScript values). */
export type NativeItem = Readonly<Record<string, unknown>>;

export const READ_UNIT_BYTES = 4096;
export const WRITE_UNIT_BYTES = 1024;

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Size of a DynamoDB number: 1 byte plus 1 byte per two significant digits, leading and trailing
 * zeros trimmed (AWS gives this as an approximation; it is what the service documents).
 */
export function numberSize(value: number | bigint | string): number {
  const mantissa = String(value).replace(/^-/, '').split(/e/i)[0] ?? '';
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return 1 + Math.ceil(Math.max(1, digits.length) / 2);
}

/**
 * Size in bytes of one attribute value as DynamoDB counts it: strings and binaries by their bytes,
 * numbers by {@link numberSize}, null and booleans 1 byte, lists and maps 3 bytes plus 1 byte per
 * element plus their elements (a map element also counts its name), sets the sum of their elements.
 */
export function attributeSize(value: unknown): number {
  if (value === null || value === undefined) return 1;
  switch (typeof value) {
    case 'string':
      return utf8Bytes(value);
    case 'number':
    case 'bigint':
      return numberSize(value);
    case 'boolean':
      return 1;
    default:
      break;
  }
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) {
    let total = 0;
    for (const element of value) total += attributeSize(element);
    return total;
  }
  if (Array.isArray(value)) {
    return value.reduce((sum: number, element) => sum + attributeSize(element) + 1, 3);
  }
  let total = 3;
  for (const [name, element] of Object.entries(value as Record<string, unknown>)) {
    if (element === undefined) continue;
    total += utf8Bytes(name) + attributeSize(element) + 1;
  }
  return total;
}

/** Size in bytes of an item: every attribute's name plus its value (undefined attributes are not stored). */
export function itemSize(item: NativeItem | undefined): number {
  if (item === undefined) return 0;
  let total = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    total += utf8Bytes(name) + attributeSize(value);
  }
  return total;
}

/**
 * Read request units of reading `bytes` in one read: 1 per started 4 KB for a strongly consistent
 * read, half that for an eventually consistent one; a read of nothing still costs the minimum.
 */
export function readUnits(bytes: number, consistency: 'strong' | 'eventual'): number {
  const units = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  return consistency === 'strong' ? units : units / 2;
}

/** Write request units of writing an item of `bytes`: 1 per started 1 KB, at least 1. */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
}

/**
 * Table write units of a put, update or delete: the larger of the item before and after counts
 * (AWS: "the larger of the two"), at least 1. A conditional write that fails is billed as a write of
 * the existing item: pass that item as `before` and `undefined` as `after`.
 */
export function tableWriteUnits(before: NativeItem | undefined, after: NativeItem | undefined): number {
  return writeUnits(Math.max(itemSize(before), itemSize(after)));
}

export interface IndexKeys {
  readonly partitionKey: string;
  readonly sortKey: string;
}

/** What a global secondary index stores of an item. */
export type Projection = 'ALL' | 'KEYS_ONLY';

function indexEntry(item: NativeItem | undefined, index: IndexKeys, tableKeys: readonly string[], projection: Projection): NativeItem | undefined {
  if (item === undefined || item[index.partitionKey] === undefined || item[index.sortKey] === undefined) return undefined;
  if (projection === 'ALL') return item;
  const names = new Set([...tableKeys, index.partitionKey, index.sortKey]);
  return Object.fromEntries(Object.entries(item).filter(([name]) => names.has(name)));
}

/** A canonical text of a value, for equality: maps by sorted names, sets by sorted elements. */
function canonical(value: unknown): string {
  if (value === undefined) return 'u';
  if (value === null || typeof value !== 'object') return JSON.stringify(typeof value === 'bigint' ? String(value) : value);
  if (value instanceof Uint8Array) return `b:${Buffer.from(value).toString('base64')}`;
  if (value instanceof Set) return `s:[${[...value].map(canonical).sort().join(',')}]`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

/**
 * Write units one table write costs in one global secondary index, by the AWS rules: an item that
 * enters the index costs one write of its entry, one that leaves it one write (the delete), one
 * whose index key changes two (delete and put), one that stays with the same key but a changed
 * entry (a projected attribute changed) one, and one outside the index before and after nothing.
 * The entry is the whole item for `ALL`, the table and index keys for `KEYS_ONLY`.
 */
export function indexWriteUnits(
  before: NativeItem | undefined,
  after: NativeItem | undefined,
  index: IndexKeys,
  tableKeys: readonly string[],
  projection: Projection,
): number {
  const old = indexEntry(before, index, tableKeys, projection);
  const next = indexEntry(after, index, tableKeys, projection);
  if (old === undefined && next === undefined) return 0;
  if (old === undefined) return writeUnits(itemSize(next));
  if (next === undefined) return writeUnits(itemSize(old));
  const keyChanged =
    canonical(old[index.partitionKey]) !== canonical(next[index.partitionKey]) || canonical(old[index.sortKey]) !== canonical(next[index.sortKey]);
  if (keyChanged) return writeUnits(itemSize(old)) + writeUnits(itemSize(next));
  return canonical(old) === canonical(next) ? 0 : writeUnits(itemSize(next));
}

// ---------------------------------------------------------------------------------------------
// Requests, Lambda

/** Billed requests of one SQS/SNS/API Gateway request carrying `bytes`: one per started chunk, at least 1. */
export function requestChunks(bytes: number, chunkBytes: number): number {
  return Math.max(1, Math.ceil(bytes / chunkBytes));
}

/** A Lambda invocation's billed duration: rounded up to the billing granularity (1 ms), at least one unit. */
export function billedMs(durationMs: number, granularityMs: number): number {
  return Math.max(granularityMs, Math.ceil(durationMs / granularityMs) * granularityMs);
}

/** GB-seconds of `billedMsTotal` milliseconds at `memoryMb` (Lambda counts 1 GB = 1024 MB). */
export function gbSeconds(billedMsTotal: number, memoryMb: number): number {
  return (billedMsTotal / 1000) * (memoryMb / 1024);
}

// ---------------------------------------------------------------------------------------------
// Retries through the Scheduler

/**
 * Probability that the retry after attempt `attempt` (1-based) goes through EventBridge Scheduler
 * rather than an SQS message timer. The deliver worker uses the timer when the delay is at most
 * `shortDelaySeconds` (capped at the SQS maximum of 900 s) and the Scheduler otherwise, every
 * retry when `shortDelaySeconds` is 0. Delays follow the policy: a fixed list, or backoff under its
 * cap with full jitter (uniform below the cap, never below 1 s), equal jitter (uniform in the upper
 * half) or none. Retry-After answers are not modelled (the benchmark's receiver sends none).
 */
export function schedulerShare(attempt: number, policy: RetryPolicy, shortDelaySeconds: number): number {
  const short = Math.min(shortDelaySeconds, SQS_MAX_DELAY_SECONDS);
  if (short <= 0) return 1;
  if (policy.delays !== undefined && policy.delays.length > 0) {
    const index = Math.min(Math.max(attempt, 1), policy.delays.length) - 1;
    return (policy.delays[index] ?? 0) > short ? 1 : 0;
  }
  const cap = backoffCapSeconds(attempt, policy);
  if (cap <= short) return 0;
  switch (policy.backoff.jitter) {
    case 'none':
      return 1;
    case 'full':
      // delay = max(1, U × cap) with U uniform in [0, 1): above `short` (≥ 1) exactly when U × cap > short.
      return 1 - short / cap;
    case 'equal':
      // delay = cap/2 + U × cap/2.
      return short < cap / 2 ? 1 : (cap - short) / (cap / 2);
  }
}

/**
 * Expected number of Scheduler retries of a delivery that uses every attempt of `policy` (it fails
 * until it is dead): the sum of {@link schedulerShare} over its `maxAttempts - 1` retries.
 */
export function expectedSchedulerRetries(policy: RetryPolicy, shortDelaySeconds: number): number {
  let total = 0;
  for (let attempt = 1; attempt < policy.maxAttempts; attempt++) total += schedulerShare(attempt, policy, shortDelaySeconds);
  return total;
}

// ---------------------------------------------------------------------------------------------
// Cost per million deliveries

/** One Lambda function's share of a case. */
export interface LambdaUsage {
  readonly name: string;
  readonly memoryMb: number;
  readonly invocations: number;
  /** Sum of the invocations' billed durations. */
  readonly billedMs: number;
}

/** What a run of one case used, in total, for `deliveries` deliveries. */
export interface CaseUsage {
  readonly deliveries: number;
  readonly apiGatewayRequests: number;
  readonly lambdas: readonly LambdaUsage[];
  readonly dynamoReadUnits: number;
  readonly dynamoWriteUnits: number;
  /** Billed SQS requests (64 KB chunks), whoever made them: the functions, the event source mapping, the Scheduler. */
  readonly sqsRequests: number;
  readonly schedulerInvocations: number;
  /** Billed SNS publish requests (64 KB chunks). */
  readonly snsPublishes: number;
  /** E-mails SNS sends (one per publish per e-mail subscription). */
  readonly emailNotifications: number;
  /** Bytes written to CloudWatch Logs. */
  readonly logBytes: number;
}

/** USD per million deliveries, by line. */
export interface CostBreakdown {
  readonly apiGateway: number;
  readonly lambdaRequests: number;
  readonly lambdaCompute: number;
  readonly dynamoReads: number;
  readonly dynamoWrites: number;
  readonly sqs: number;
  readonly scheduler: number;
  readonly sns: number;
  readonly logs: number;
  readonly total: number;
}

const GB = 1024 ** 3;

/** Prices `usage` per million deliveries: each line is (its quantity per delivery) × 10^6 × (its unit price). */
export function costPerMillionDeliveries(usage: CaseUsage, prices: Prices): CostBreakdown {
  if (!(usage.deliveries > 0)) throw new Error('a case needs at least one delivery');
  // Quantity per delivery times a price per million units is the cost per million deliveries.
  const perDelivery = (quantity: number) => quantity / usage.deliveries;
  const invocations = usage.lambdas.reduce((sum, l) => sum + l.invocations, 0);
  const computeGbSeconds = usage.lambdas.reduce((sum, l) => sum + gbSeconds(l.billedMs, l.memoryMb), 0);
  const lines = {
    apiGateway: perDelivery(usage.apiGatewayRequests) * prices.apiGateway.httpApiRequestsPerMillion,
    lambdaRequests: perDelivery(invocations) * prices.lambda.requestsPerMillion,
    lambdaCompute: perDelivery(computeGbSeconds) * prices.lambda.arm64GbSecond * 1e6,
    dynamoReads: perDelivery(usage.dynamoReadUnits) * prices.dynamodb.onDemandReadRequestUnitsPerMillion,
    dynamoWrites: perDelivery(usage.dynamoWriteUnits) * prices.dynamodb.onDemandWriteRequestUnitsPerMillion,
    sqs: perDelivery(usage.sqsRequests) * prices.sqs.standardRequestsPerMillion,
    scheduler: perDelivery(usage.schedulerInvocations) * prices.scheduler.invocationsPerMillion,
    sns:
      perDelivery(usage.snsPublishes) * prices.sns.publishesPerMillion +
      perDelivery(usage.emailNotifications) * prices.sns.emailNotificationsPerHundredThousand * 10,
    logs: (perDelivery(usage.logBytes) / GB) * prices.cloudwatchLogs.ingestionPerGb * 1e6,
  };
  const total = Object.values(lines).reduce((sum, v) => sum + v, 0);
  return { ...lines, total };
}

/**
 * The most alert publishes one outage of one endpoint may make and still be priced once per outage: the circuit
 * opening and closing, the endpoint degraded and recovered (each coalesced per endpoint, not per delivery).
 */
export const ALERTS_PER_OUTAGE_LIMIT = 4;

/**
 * `usage` with its alerts (SNS publishes and e-mails) priced once for `eventsPerOutage` events instead of once per
 * `usage.deliveries`: an outage's alerts are per outage, so a run of a few hundred events would otherwise price
 * them thousands of times over for a million. Applied only when the run made no more than
 * `ALERTS_PER_OUTAGE_LIMIT` publishes; more means alerts that grow with the events, and they stay per event
 * (`undefined` is returned so the caller says so).
 */
export function alertsOncePerOutage(usage: CaseUsage, eventsPerOutage: number): CaseUsage | undefined {
  if (usage.snsPublishes > ALERTS_PER_OUTAGE_LIMIT) return undefined;
  const share = usage.deliveries / eventsPerOutage;
  return { ...usage, snsPublishes: usage.snsPublishes * share, emailNotifications: usage.emailNotifications * share };
}
