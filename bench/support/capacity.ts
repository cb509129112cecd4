/**
 * Throughput on paper: the deliveries per second Herald's design carries before an AWS limit binds, for one
 * endpoint and in total, with the settings the stack documents (docs/benchmarks.md explains each number).
 *
 * The model is data: the AWS limits, what one delivery costs each of them (from the layout in
 * lambdas/adapters/dynamo/schema.ts and the worker's batching), and the documented settings. Each candidate
 * limit gives a ceiling; the lowest one binds.
 */
import { DELIVERY_SHARDS, SUBSCRIPTION_COPIES } from '../../lib/spec';
import type { BenchContext } from './context';

/** AWS limits (account defaults where they are adjustable). */
export const AWS_LIMITS = {
  /** One DynamoDB partition: write and read capacity units per second. */
  partitionWcu: 1000,
  partitionRcu: 3000,
  /** Lambda concurrent executions per account and region (default quota). */
  lambdaConcurrency: 1000,
  /** EventBridge Scheduler: schedule invocations per second (default quota). */
  schedulerInvocationsPerSecond: 1000,
} as const;

/** The settings the model assumes, as the README documents them for high throughput. */
export const CAPACITY_SETTINGS = {
  /** `-c workerConcurrency=600`: the deliver event source mapping's maxConcurrency. */
  workerConcurrency: 600,
  /** Records per deliver invocation (lib/constructs/delivery-worker.ts). */
  batchSize: 10,
  /** How long a batch of ten runs: it ends with its slowest record (receivers answering within about 0.5 s). */
  batchSeconds: 0.5,
  /** A single-publish api invocation (measured locally at tens of ms; AWS is in the same range). */
  apiSecondsPerPublish: 0.03,
  /** Share of deliveries whose retry waits longer than 15 minutes (through the Scheduler). */
  schedulerRetryShare: 0.05,
} as const;

/** Write units one delivery's first attempt puts on its endpoint's partition (one item under 1 KB). */
const WCU_PER_ATTEMPT = 1;
/** Read units one publish takes from a subscription copy (a strongly consistent Query under 4 KB). */
const RCU_PER_PUBLISH = 1;

export interface Ceiling {
  readonly limit: string;
  readonly deliveriesPerSecond: number;
}

/** The ceilings for one endpoint taking all traffic of one tenant. */
export function oneEndpointCeilings(): Ceiling[] {
  return [
    { limit: `DynamoDB partitions: ${DELIVERY_SHARDS} delivery shards of the endpoint × ${AWS_LIMITS.partitionWcu} WCU/s at ${WCU_PER_ATTEMPT} WRU per attempt`, deliveriesPerSecond: (DELIVERY_SHARDS * AWS_LIMITS.partitionWcu) / WCU_PER_ATTEMPT },
    {
      limit: `DynamoDB partitions: ${SUBSCRIPTION_COPIES} subscription copies of the tenant × ${AWS_LIMITS.partitionRcu} RCU/s, one strongly consistent read per publish`,
      deliveriesPerSecond: (SUBSCRIPTION_COPIES * AWS_LIMITS.partitionRcu) / RCU_PER_PUBLISH,
    },
    {
      limit: `DynamoDB partition of the endpoint item: one strongly consistent read per deliver batch of ${CAPACITY_SETTINGS.batchSize}`,
      deliveriesPerSecond: AWS_LIMITS.partitionRcu * CAPACITY_SETTINGS.batchSize,
    },
    ...totalCeilings(),
  ];
}

/** The ceilings of the whole deployment. */
export function totalCeilings(): Ceiling[] {
  const { workerConcurrency, batchSize, batchSeconds, apiSecondsPerPublish, schedulerRetryShare } = CAPACITY_SETTINGS;
  const deliverPerSecond = (workerConcurrency * batchSize) / batchSeconds;
  // The api shares the account's concurrency: each delivery's publish holds an api Lambda apiSecondsPerPublish.
  const accountPerSecond = AWS_LIMITS.lambdaConcurrency / (batchSeconds / batchSize + apiSecondsPerPublish);
  return [
    {
      limit: `Lambda: workerConcurrency ${workerConcurrency} × ${batchSize} records per ${batchSeconds} s batch`,
      deliveriesPerSecond: deliverPerSecond,
    },
    {
      limit: `Lambda: ${AWS_LIMITS.lambdaConcurrency} concurrent executions shared by deliver (${batchSeconds / batchSize} s per delivery) and api (${apiSecondsPerPublish} s per publish)`,
      deliveriesPerSecond: accountPerSecond,
    },
    {
      limit: `Scheduler: ${AWS_LIMITS.schedulerInvocationsPerSecond} invocations/s with ${schedulerRetryShare * 100} % of deliveries retried later than 15 min`,
      deliveriesPerSecond: AWS_LIMITS.schedulerInvocationsPerSecond / schedulerRetryShare,
    },
    // Event items (random keys), the SQS standard queue and the WAIT#/DEAD# shards do not bind at these rates.
  ];
}

function binding(ceilings: readonly Ceiling[]): Ceiling {
  return ceilings.reduce((low, c) => (c.deliveriesPerSecond < low.deliveriesPerSecond ? c : low));
}

/** Prints `capacity.one-endpoint` and `capacity.total` with the limit that binds first. */
export function reportCapacity(ctx: BenchContext): void {
  const one = binding(oneEndpointCeilings());
  const total = binding(totalCeilings());
  ctx.report.figure('capacity.one-endpoint', Math.floor(one.deliveriesPerSecond), `deliveries/s (bound: ${one.limit})`);
  ctx.report.figure('capacity.total', Math.floor(total.deliveriesPerSecond), `deliveries/s (bound: ${total.limit})`);
  ctx.report.note(
    `model (bench/support/capacity.ts, docs/benchmarks.md): workerConcurrency ${CAPACITY_SETTINGS.workerConcurrency}, ` +
      `batches of ${CAPACITY_SETTINGS.batchSize} lasting ${CAPACITY_SETTINGS.batchSeconds} s, account Lambda concurrency ${AWS_LIMITS.lambdaConcurrency}`,
  );
}
