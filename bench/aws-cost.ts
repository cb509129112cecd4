/**
 * AWS cost per million deliveries, from the calls a local run makes (bench/support/cost-rig.ts,
 * bench/support/aws-meter.ts) priced with bench/prices.json (bench/support/cost-model.ts).
 *
 * Each delivery here is one published event with one subscribed endpoint, so every delivery
 * carries one API Gateway request and one api invocation; with M endpoints per event that share is
 * divided by M. Cases:
 *
 * - `first-attempt`: the receiver answers 200.
 * - `one-retry`: it answers 500, then 200; the retry is 1 s later through an SQS message timer.
 * - `dead-all-scheduler`: it always answers 500; as many attempts as the default policy makes (15,
 *   with 0 s delays so the run is short) and `shortDelaySeconds` 0, so each of the 14 retries goes
 *   through the Scheduler and is counted; then the dead letter and its (coalesced) alert.
 * - `dead-default-policy.no-breaker`: derived from the previous one: the default policy's backoff sends a
 *   retry through the Scheduler only when its delay exceeds 900 s, on average 8.125 of its 14
 *   retries (cost-model.ts `expectedSchedulerRetries`); the others go through the SQS timer. Either way a
 *   retry is one SQS request (by the function or by the Scheduler), and CreateSchedule is not
 *   billed, so only the Scheduler invocations change. This is what a delivery that fails alone costs (its
 *   endpoint's other deliveries succeed, so its circuit stays closed), or any delivery of an endpoint with
 *   `circuitBreaker: false` (the seed presets' exact schedules).
 * - `dead-default-policy`: a deployment as it ships (the default policy and the deployment's circuit breaker)
 *   with an endpoint that never answers 2xx again: the first failures open its circuit, every later delivery is
 *   parked (one write, no POST), and at the policy's maximum age the parked deliveries are dead-lettered in bulk
 *   with one coalesced alert. The run shortens the maximum age to its floor (60 s, from 3 days) and probes every
 *   second (AWS: every minute), so its probes weigh far more per event than in AWS: an upper bound.
 *
 * - `outage-24h`: the receiver is down (503) and comes back. With the circuit breaker (the deployment's, probing
 *   every second so the run is short), the endpoint's first failures open the circuit, every later delivery is
 *   parked (one write, no POST, no message), a probe closes the circuit once the receiver is back, and the parked
 *   deliveries are released and delivered. The cost of the outage does not grow with its length: in AWS an open
 *   circuit costs one probe per minute (1,440 a day) however many events wait, while this run probes every second
 *   over a few seconds of outage, so its probes weigh far more per event here than in a day-long outage. The
 *   figure is therefore an upper bound for an endpoint down 24 h and then back. Its alerts (the circuit's and the
 *   degraded endpoint's e-mails, coalesced per endpoint: two for 200 events and two for 400) are per outage, so the
 *   figure prices them once for the million events (`outageCost`); at 200 events they would read $0.21 per million.
 *   `dead-default-policy` is priced the same way. `outage.schedules-created` is the Scheduler schedules created for
 *   that million (CreateSchedule calls per event × 10^6).
 *
 * Each case runs twice: once to time the handlers (Lambda GB-s) and count calls, once with
 * DynamoDB write metering on (it reads item images, which would inflate the durations). Batches:
 * 10 records per deliver invocation (publishes arrive in a burst, as under load) and, in the full
 * run, 1 record per invocation (sparse traffic: every message its own invocation).
 * Idle polling of the event source mapping (empty receives) is not per delivery and is left out.
 */
import { CONTEXT_DEFAULTS } from '../lib/context';
import { DEFAULT_POLICY } from '../lambdas/core/policy';
import type { Benchmark, BenchContext } from './support/context';
import { largePayload, samplePayload } from './support/payload';
import { batchGet } from '../lambdas/adapters/dynamo/table-io';
import { keys } from '../lambdas/adapters/dynamo/schema';
import { parseDeliveryId } from '../lambdas/core/ids';
import { reportCapacity } from './support/capacity';
import type { MeteredCall } from './support/aws-meter';
import {
  billedMs,
  alertsOncePerOutage,
  costPerMillionDeliveries,
  expectedSchedulerRetries,
  loadPrices,
  type CaseUsage,
  type CostBreakdown,
  type Prices,
} from './support/cost-model';
import { startCostRig, type CostRig } from './support/cost-rig';
import { startFastReceiver } from './support/fast-receiver';
import { runLoad } from './support/http-load';
import { round } from './support/stats';

/** Memory of the api and deliver functions (lib/constructs/publish-api.ts, delivery-worker.ts). */
const API_MEMORY_MB = 512;
const DELIVER_MEMORY_MB = 512;
/**
 * Estimated bytes of the START, END and REPORT lines Lambda writes to CloudWatch Logs for every
 * invocation (request id, durations, memory), when context `platformLogs` asks for them.
 */
export const LAMBDA_PLATFORM_LOG_BYTES = 300;
/**
 * What the stack as shipped writes of them per invocation: nothing, its functions log at the WARN system level
 * (lib/constructs/herald-function.ts); `platformLogs: true` brings back {@link LAMBDA_PLATFORM_LOG_BYTES}.
 */
export const PLATFORM_LOG_BYTES_PER_INVOCATION = CONTEXT_DEFAULTS.platformLogs ? LAMBDA_PLATFORM_LOG_BYTES : 0;

interface CaseSpec {
  readonly name: string;
  /** Status the receiver answers to the n-th POST (1-based) of one webhook id. */
  readonly answer: (n: number) => number;
  readonly retryPolicy: Record<string, unknown>;
  readonly env: Record<string, string>;
  readonly finalStatus: 'delivered' | 'dead';
  readonly attempts: number;
  /** Endpoints every event goes to. @default 1 */
  readonly endpoints?: number;
  /** `batch`: POST /v1/events/batch with 10 events per request. @default single */
  readonly publish?: 'single' | 'batch';
  /** The event data. @default samplePayload */
  readonly payload?: (i: number) => unknown;
  /** Only in the full run (not --quick). */
  readonly fullOnly?: boolean;
  /**
   * The receiver answers 503 until every delivery is parked or waiting for its retry, then 200 (the `answer`
   * function is not used); `attempts` is then the fewest a delivery makes, not the exact count.
   */
  readonly outage?: true;
  /**
   * The endpoint's `circuitBreaker`. The retry cases set `false`: every delivery failing at once is an outage to the
   * breaker, which would park them; these cases price a retry as the policy schedules it.
   */
  readonly circuitBreaker?: false;
  /** Deliveries of the case, when not `cost.deliveries` (the outage case amortizes the outage's fixed costs). */
  readonly deliveriesParam?: string;
  /** `attempts` is the fewest a delivery makes (parked ones may make none), not the exact count. */
  readonly attemptsAtLeast?: true;
}

/** Events per request of the batch-publish case. */
const BATCH_PUBLISH_SIZE = 10;

const RETRIES = DEFAULT_POLICY.maxAttempts - 1;
const CASES: readonly CaseSpec[] = [
  { name: 'first-attempt', answer: () => 200, retryPolicy: {}, env: {}, finalStatus: 'delivered', attempts: 1 },
  { name: 'first-attempt.batch-publish', answer: () => 200, retryPolicy: {}, env: {}, finalStatus: 'delivered', attempts: 1, publish: 'batch' },
  {
    name: 'first-attempt.payload-4kb',
    answer: () => 200,
    retryPolicy: {},
    env: {},
    finalStatus: 'delivered',
    attempts: 1,
    payload: (i) => largePayload(i, 4096),
    fullOnly: true,
  },
  { name: 'fan-out-10', answer: () => 200, retryPolicy: {}, env: {}, finalStatus: 'delivered', attempts: 1, endpoints: 10, fullOnly: true },
  {
    name: 'one-retry',
    answer: (n) => (n === 1 ? 500 : 200),
    retryPolicy: { delays: Array.from({ length: RETRIES }, () => '1s') },
    env: {},
    circuitBreaker: false,
    finalStatus: 'delivered',
    attempts: 2,
  },
  {
    name: 'outage-24h',
    answer: () => 200,
    retryPolicy: {},
    env: { HERALD_BREAKER_PROBE_SECONDS: '1' },
    finalStatus: 'delivered',
    attempts: 1,
    outage: true,
    deliveriesParam: 'cost.outageEvents',
  },
  {
    name: 'dead-default-policy',
    answer: () => 503,
    // The default policy, its maximum age at the floor the API allows so the run ends (3 days in the default).
    retryPolicy: { maxAgeSeconds: 60 },
    env: { HERALD_BREAKER_PROBE_SECONDS: '1' },
    finalStatus: 'dead',
    attempts: 0,
    attemptsAtLeast: true,
    deliveriesParam: 'cost.outageEvents',
  },
  {
    name: 'dead-all-scheduler',
    answer: () => 500,
    retryPolicy: { delays: Array.from({ length: RETRIES }, () => '0s') },
    env: { HERALD_SHORT_DELAY_SECONDS: '0' },
    circuitBreaker: false,
    finalStatus: 'dead',
    attempts: DEFAULT_POLICY.maxAttempts,
  },
];

interface PassResult {
  /** Deliveries the pass made (events × endpoints). */
  readonly deliveries: number;
  readonly calls: readonly MeteredCall[];
  readonly apiMs: readonly number[];
  readonly deliverMs: readonly number[];
  readonly logBytes: number;
}

/** Calls that are billed per delivery: not the emulator's own lookups, not idle polls. */
function perDeliveryCalls(calls: readonly MeteredCall[]): MeteredCall[] {
  return calls.filter(
    (c) =>
      !(c.role === 'scheduler-service' && c.command === 'GetQueueUrl') &&
      !(c.role === 'event-source-mapping' && c.command === 'ReceiveMessage' && c.messages === 0),
  );
}

async function waitUntilFinal(
  rig: CostRig,
  deliveryIds: readonly string[],
  spec: Pick<CaseSpec, 'name' | 'finalStatus' | 'attempts' | 'outage' | 'attemptsAtLeast'>,
  deadline: number,
): Promise<void> {
  const expectedMessages = deliveryIds.length * spec.attempts;
  for (;;) {
    const final = await finalCount(rig, deliveryIds, spec.finalStatus, spec.attempts, spec.outage === true || spec.attemptsAtLeast === true);
    const { received, deleted } = rig.poller.stats;
    if (final === deliveryIds.length && rig.inFlight() === 0 && deleted >= expectedMessages && deleted === received) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${spec.name}: only ${final}/${deliveryIds.length} deliveries reached ${spec.finalStatus} after ${spec.attempts} attempt(s) in time ` +
          `(poller received ${received}, deleted ${deleted})`,
      );
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

/**
 * Events the warm-up delivers before a pass is measured: enough for V8 to have optimised the hot paths, as in a
 * container that has served traffic for a while (with 20, the first case of a run measured its publishes at 14 ms
 * against 6 ms for the later cases, which ran in the same, warmer process).
 */
const WARM_UP_EVENTS = 200;

/**
 * Runs a few deliveries through the rig before measuring (to an endpoint of its own tenant, answering 200), so the
 * handlers' code is compiled and their connections open, as in Lambda containers under load: the first case of a
 * run would otherwise pay this process's warm-up in its durations. (Cold starts are the cold-start benchmark's.)
 */
async function warmUp(rig: CostRig, auth: Record<string, string>, origin: string): Promise<void> {
  const created = await fetch(`${rig.url}/v1/endpoints`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ url: `${origin}/warm-up`, tenant: 'warm-up' }),
  });
  if (created.status !== 201) throw new Error(`creating the warm-up endpoint answered ${created.status}`);
  const ids: string[] = [];
  await runLoad({
    url: `${rig.url}/v1/events`,
    concurrency: 4,
    count: WARM_UP_EVENTS,
    timeLimitMs: 30_000,
    request: (i) => ({ body: JSON.stringify({ type: 'warm.up', tenant: 'warm-up', data: samplePayload(i) }), headers: auth }),
    onResponse: (_i, status, body) => {
      if (status === 202) ids.push(...(JSON.parse(body) as { deliveries: { id: string }[] }).deliveries.map((d) => d.id));
    },
  });
  // Polled by hand: the poller's own loop starts once, for the measured pass.
  const deadline = Date.now() + 60_000;
  while ((await finalCount(rig, ids, 'delivered', 1)) < ids.length) {
    if (Date.now() > deadline) throw new Error('the warm-up deliveries did not finish in time');
    await Promise.all([rig.poller.fast.pollOnce(1), rig.poller.slow.pollOnce(0)]);
  }
}

/**
 * How many of the deliveries are stored in `status` with `attempts` attempts (`atLeast`: `attempts` or more), read
 * with the unmetered client.
 */
async function finalCount(rig: CostRig, deliveryIds: readonly string[], status: string | readonly string[], attempts: number, atLeast = false): Promise<number> {
  const table = rig.resources.tableName;
  const located = deliveryIds.map((id) => parseDeliveryId(id)!);
  const events = await batchGet(rig.emulators.clients.doc, table, [...new Set(located.map((l) => l.eventKey))].map((k) => keys.event(k)));
  const createdAt = new Map(events.map((e) => [String(e.pk).slice('EVT#'.length), e.createdAt as number]));
  const items = await batchGet(rig.emulators.clients.doc, table, located.map((l) => keys.delivery({ ...l, createdAt: createdAt.get(l.eventKey)! })));
  const statuses: readonly string[] = typeof status === 'string' ? [status] : status;
  return items.filter((i) => statuses.includes(i.status as string) && (atLeast ? (i.attemptCount as number) >= attempts : i.attemptCount === attempts)).length;
}

async function runPass(spec: CaseSpec, batchSize: number, deliveries: number, capacity: boolean): Promise<PassResult> {
  const seen = new Map<string, number>();
  let down = spec.outage === true;
  const receiver = await startFastReceiver({
    keepBody: false,
    onPost: ({ headers, path }) => {
      if (path === '/warm-up') return 200;
      if (spec.outage === true) return down ? 503 : 200;
      // Per (event, endpoint): the endpoint's header tells fan-out deliveries of one event apart.
      const id = `${String(headers['webhook-id'])} ${String(headers['x-endpoint'])}`;
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      return spec.answer(n);
    },
  });
  const rig = await startCostRig({ batchSize, env: spec.env });
  try {
    const auth = { authorization: `Bearer ${rig.apiKey}` };
    const endpoints = spec.endpoints ?? 1;
    for (let e = 0; e < endpoints; e++) {
      const created = await fetch(`${rig.url}/v1/endpoints`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          url: `${receiver.origin}/webhook`,
          eventTypes: ['*'],
          retryPolicy: spec.retryPolicy,
          headers: { 'x-endpoint': String(e) },
          ...(spec.circuitBreaker === undefined ? {} : { circuitBreaker: spec.circuitBreaker }),
        }),
      });
      if (created.status !== 201) throw new Error(`creating the endpoint answered ${created.status}: ${await created.text()}`);
    }
    await warmUp(rig, auth, receiver.origin);
    rig.resetUsage();
    rig.meter.capacity = capacity;

    const events = Math.ceil(deliveries / endpoints);
    const perRequest = spec.publish === 'batch' ? BATCH_PUBLISH_SIZE : 1;
    const payload = spec.payload ?? samplePayload;
    const event = (i: number) => ({ type: 'dir_sync.user.update.success', data: payload(i) });
    const deliveryIds: string[] = [];
    const collect = (body: { deliveries: { id: string }[] }) => deliveryIds.push(...body.deliveries.map((d) => d.id));
    // One publish at a time: in AWS every invocation has its execution environment to itself, while here the
    // handlers share one event loop (and the emulators), so concurrent publishes would each be timed with the
    // others' work in their milliseconds. The poller starts after the last publish, so the batches are the same.
    const load = await runLoad({
      url: `${rig.url}/v1/events${spec.publish === 'batch' ? '/batch' : ''}`,
      concurrency: 1,
      count: Math.ceil(events / perRequest),
      timeLimitMs: 60_000,
      request: (r) => ({
        body:
          spec.publish === 'batch'
            ? JSON.stringify({ events: Array.from({ length: perRequest }, (_, j) => event(r * perRequest + j)) })
            : JSON.stringify(event(r)),
        headers: { ...auth, 'idempotency-key': `cost-${spec.name}-${r}` },
      }),
      onResponse: (_i, status, body) => {
        if (status !== 202) return;
        const parsed = JSON.parse(body) as { deliveries: { id: string }[] } & { events: { deliveries: { id: string }[] }[] };
        if (spec.publish === 'batch') parsed.events.forEach(collect);
        else collect(parsed);
      },
    });
    const expected = Math.ceil(events / perRequest) * perRequest * endpoints;
    if (deliveryIds.length !== expected) throw new Error(`${spec.name}: ${deliveryIds.length}/${expected} deliveries accepted (${JSON.stringify([...load.statuses])})`);
    rig.poller.start();
    if (spec.outage === true) {
      // Down until every delivery is parked (or, failed before the circuit opened, waiting for its retry); then back.
      const downUntil = Date.now() + 60_000;
      while ((await finalCount(rig, deliveryIds, ['parked', 'retrying'], 0, true)) < deliveryIds.length) {
        if (Date.now() > downUntil) throw new Error(`${spec.name}: the deliveries were not all parked or retrying in time`);
        await new Promise((r) => setTimeout(r, 150));
      }
      down = false;
    }
    // Each attempt is a round trip through the queue (or the Scheduler emulator's tick): allow for all of them.
    const maxAgeMs = typeof spec.retryPolicy.maxAgeSeconds === 'number' ? spec.retryPolicy.maxAgeSeconds * 1000 : 0;
    await waitUntilFinal(rig, deliveryIds, spec, Date.now() + 90_000 + spec.attempts * 10_000 + maxAgeMs);
    await rig.poller.stop();
    return {
      deliveries: deliveryIds.length,
      calls: [...rig.meter.calls],
      apiMs: rig.apiInvocations.map((i) => i.ms),
      deliverMs: rig.deliverInvocations.map((i) => i.ms),
      logBytes: rig.apiLogs.written.bytes + rig.deliverLogs.written.bytes,
    };
  } finally {
    await rig.stop();
    await receiver.close();
  }
}

function sum(calls: readonly MeteredCall[], field: 'requests' | 'readUnits' | 'writeUnits' | 'writeUnitsKeysOnly'): number {
  return calls.reduce((total, c) => total + c[field], 0);
}

/** The usage of a case: calls and durations from the timing pass, DynamoDB write units from the metering pass. */
function usageOf(deliveries: number, timing: PassResult, metering: PassResult, keysOnly: boolean, prices: Prices): CaseUsage {
  const calls = perDeliveryCalls(timing.calls);
  const metered = perDeliveryCalls(metering.calls);
  const granularity = prices.lambda.billingGranularityMs;
  const invocations = timing.apiMs.length + timing.deliverMs.length;
  return {
    deliveries,
    apiGatewayRequests: timing.apiMs.length,
    lambdas: [
      { name: 'api', memoryMb: API_MEMORY_MB, invocations: timing.apiMs.length, billedMs: timing.apiMs.reduce((s, ms) => s + billedMs(ms, granularity), 0) },
      {
        name: 'deliver',
        memoryMb: DELIVER_MEMORY_MB,
        invocations: timing.deliverMs.length,
        billedMs: timing.deliverMs.reduce((s, ms) => s + billedMs(ms, granularity), 0),
      },
    ],
    dynamoReadUnits: sum(calls.filter((c) => c.service === 'dynamodb'), 'readUnits'),
    dynamoWriteUnits: sum(metered.filter((c) => c.service === 'dynamodb'), keysOnly ? 'writeUnitsKeysOnly' : 'writeUnits'),
    sqsRequests: sum(calls.filter((c) => c.service === 'sqs'), 'requests'),
    schedulerInvocations: calls.filter((c) => c.role === 'scheduler-service' && c.command === 'SendMessage').length,
    snsPublishes: sum(calls.filter((c) => c.service === 'sns'), 'requests'),
    emailNotifications: calls.filter((c) => c.service === 'sns' && c.command === 'Publish').length,
    logBytes: timing.logBytes + invocations * PLATFORM_LOG_BYTES_PER_INVOCATION,
  };
}

/** "UpdateItem 2.2, PutItem 1" for one role, per delivery. */
function callsPerDelivery(calls: readonly MeteredCall[], role: string, deliveries: number): string {
  const counts = new Map<string, number>();
  for (const c of calls) if (c.role === role) counts.set(c.command, (counts.get(c.command) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([command, n]) => `${command} ${round(n / deliveries)}`)
    .join(', ');
}

function describeCost(cost: CostBreakdown): string {
  const parts: [string, number][] = [
    ['API GW', cost.apiGateway],
    ['Lambda requests', cost.lambdaRequests],
    ['Lambda GB-s', cost.lambdaCompute],
    ['DynamoDB reads', cost.dynamoReads],
    ['DynamoDB writes', cost.dynamoWrites],
    ['SQS', cost.sqs],
    ['Scheduler', cost.scheduler],
    ['SNS', cost.sns],
    ['Logs', cost.logs],
  ];
  return parts.map(([name, usd]) => `${name} ${usd.toFixed(3)}`).join(', ');
}

/** Events one outage of one endpoint is priced over: the issue's million events to an endpoint down for a day. */
const EVENTS_PER_OUTAGE = 1_000_000;

/**
 * An outage case's cost per million events: per event as measured, except its alerts, which are per outage (the
 * circuit's and the degraded endpoint's e-mails are coalesced per endpoint) and so priced once for the million.
 * The run's probes stay per event: it probes every second over a few seconds, more per event than a day of probes
 * every minute spread over a million events.
 */
function outageCost(ctx: BenchContext, usage: CaseUsage, prices: Prices): number {
  const perEvent = costPerMillionDeliveries(usage, prices);
  const once = alertsOncePerOutage(usage, EVENTS_PER_OUTAGE);
  if (once === undefined) {
    ctx.report.note(`the run made ${usage.snsPublishes} alert publishes, more than one outage makes: they are priced per event`);
    return perEvent.total;
  }
  const cost = costPerMillionDeliveries(once, prices);
  ctx.report.note(
    `the outage's ${usage.snsPublishes} alert publishes (${usage.emailNotifications} e-mails) are per outage, not per event: ` +
      `priced once for the million events, SNS ${cost.sns.toFixed(4)} USD instead of ${perEvent.sns.toFixed(3)} at this run's ${usage.deliveries} events`,
  );
  return cost.total;
}

function report(ctx: BenchContext, name: string, usage: CaseUsage, keysOnlyUsage: CaseUsage, timing: PassResult, metering: PassResult, prices: Prices): void {
  const cost = costPerMillionDeliveries(usage, prices);
  const keysOnly = costPerMillionDeliveries(keysOnlyUsage, prices);
  const n = usage.deliveries;
  ctx.report.figure(`aws-cost.${name}`, cost.total, 'USD per million deliveries');
  const api = usage.lambdas[0]!;
  const deliver = usage.lambdas[1]!;
  ctx.report.note(
    `per delivery: ${round(usage.apiGatewayRequests / n)} API request, api ${round(api.invocations / n)} inv × ${round(api.billedMs / Math.max(1, api.invocations))} ms, ` +
      `deliver ${round(deliver.invocations / n)} inv × ${round(deliver.billedMs / Math.max(1, deliver.invocations))} ms (512 MB), ` +
      `DynamoDB ${round(usage.dynamoReadUnits / n)} RRU + ${round(usage.dynamoWriteUnits / n)} WRU, SQS ${round(usage.sqsRequests / n)} req, ` +
      `Scheduler ${round(usage.schedulerInvocations / n)} inv, SNS ${round(usage.snsPublishes / n)} pub, logs ${round(usage.logBytes / n)} B`,
  );
  ctx.report.note(`USD per million: ${describeCost(cost)}`);
  const calls = perDeliveryCalls(timing.calls);
  for (const role of ['api', 'deliver', 'event-source-mapping', 'scheduler-service']) {
    const text = callsPerDelivery(calls, role, n);
    if (text !== '') ctx.report.note(`calls per delivery, ${role}: ${text}`);
  }
  const writes = new Map<string, number>();
  for (const c of perDeliveryCalls(metering.calls)) {
    if (c.writeUnits > 0) writes.set(`${c.role} ${c.command}`, (writes.get(`${c.role} ${c.command}`) ?? 0) + c.writeUnits);
  }
  ctx.report.note(
    `WRU per delivery by call (table + indexes): ${[...writes].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${round(v / n)}`).join(', ')}`,
  );
  ctx.report.note(
    `with KEYS_ONLY index projections the writes would be ${round(keysOnlyUsage.dynamoWriteUnits / n)} WRU per delivery: total ${keysOnly.total.toFixed(2)} USD per million`,
  );
}

export const awsCost: Benchmark = {
  name: 'aws-cost',
  summary: 'AWS calls per delivery by kind, priced per million deliveries (bench/prices.json)',
  params: [
    ['cost.deliveries', 30, 10, 'deliveries per case and pass'],
    ['cost.sparse', 1, 0, '1: also run with 1 record per deliver invocation'],
    ['cost.outageEvents', 200, 100, 'events of the outage-24h and dead-default-policy cases (a circuit opening, probes and alert are per outage, not per event)'],
  ],
  async run(ctx: BenchContext) {
    const deliveries = ctx.param('cost.deliveries');
    const sparse = ctx.param('cost.sparse') === 1;
    const prices = loadPrices();
    ctx.report.note(`prices: ${prices.region} list prices recorded ${prices.recordedOn} (bench/prices.json; not fetched live)`);
    // One pass whose figures are thrown away: the first pass of a process measured its handlers about twice as slow
    // as the same pass run later (publishes 11 ms against 5.5 ms), however long its own rig's warm-up; a Lambda
    // container under the load these figures price has long been warm.
    const firstCase = CASES[0];
    if (firstCase !== undefined) await runPass(firstCase, 10, deliveries, false);
    for (const batchSize of sparse ? [10, 1] : [10]) {
      const totals = new Map<string, number>();
      for (const spec of CASES) {
        // The extra first-attempt cases are measured with the deliver batches the targets name (10).
        if (spec.name !== 'first-attempt' && spec.name.startsWith('first-attempt') && batchSize !== 10) continue;
        if ((spec.fullOnly === true && !sparse) || ((spec.name === 'fan-out-10' || spec.name === 'dead-default-policy') && batchSize !== 10)) continue;
        const count = spec.deliveriesParam === undefined ? deliveries : ctx.param(spec.deliveriesParam);
        const timing = await runPass(spec, batchSize, count, false);
        const metering = await runPass(spec, batchSize, count, true);
        const countsOf = (r: PassResult) => perDeliveryCalls(r.calls).length;
        const n = timing.deliveries;
        const usage = usageOf(n, timing, metering, false, prices);
        const keysOnly = usageOf(n, timing, metering, true, prices);
        const label = `${spec.name}.batch${batchSize}`;
        report(ctx, label, usage, keysOnly, timing, metering, prices);
        totals.set(spec.name, costPerMillionDeliveries(usage, prices).total);
        if (countsOf(timing) !== countsOf(metering)) {
          ctx.report.note(`(the metering pass made ${countsOf(metering)} calls, the timing pass ${countsOf(timing)}: conditional writes and health refreshes vary a little between runs; write units are the metering pass's)`);
        }
        if ((batchSize === 10 && spec.name.startsWith('first-attempt')) || spec.name === 'fan-out-10') {
          // The figures the targets name (deliver batches of 10), under their plain names.
          ctx.report.figure(`aws-cost.${spec.name}`, costPerMillionDeliveries(usage, prices).total, 'USD per million deliveries');
        }
        if (spec.name === 'one-retry') {
          const first = totals.get('first-attempt');
          if (first !== undefined) {
            // What one more attempt costs: the one-retry case less the first-attempt case, per delivery.
            // Less the case's alert e-mails: a receiver failing half its first attempts is degraded (issue 15), which
            // is one e-mail per endpoint, not per delivery; 30 deliveries would otherwise price it per delivery.
            const retry = costPerMillionDeliveries({ ...usage, snsPublishes: 0, emailNotifications: 0 }, prices).total - first;
            ctx.report.figure(`aws-cost.retry-attempt${batchSize === 10 ? '' : `.batch${batchSize}`}`, retry, 'USD per million retry attempts');
            ctx.report.note('one-retry less first-attempt: the failed first attempt\'s retry send and health write, and the second attempt');
          }
        }
        if (spec.name === 'dead-default-policy' && batchSize === 10) {
          ctx.report.figure('aws-cost.dead-default-policy', outageCost(ctx, usage, prices), 'USD per million deliveries (target ≤ 20)');
          ctx.report.note(
            `dead, default policy with the deployment's breaker: ${n} events to an endpoint answering 503 throughout; the circuit opens, the rest park, ` +
              'and the parked ones are dead-lettered in bulk at their maximum age (60 s here, 3 days by default; probes every second here, every minute in AWS)',
          );
        }
        if (spec.name === 'outage-24h') {
          const schedules = timing.calls.filter((c) => c.service === 'scheduler' && c.command === 'CreateSchedule').length;
          if (batchSize === 10) {
            ctx.report.figure('aws-cost.outage-24h', outageCost(ctx, usage, prices), 'USD per million events (target ≤ 6)');
            ctx.report.figure('outage.schedules-created', Math.round((schedules / n) * 1_000_000), 'per million events (target ≤ 1000)');
          }
          ctx.report.note(
            `outage: ${n} events to an endpoint answering 503 until all were parked or waiting for a retry, then 200; ${schedules} schedules created; ` +
              'the run probes every second (AWS: every minute), so its probes weigh more per event than in a 24 h outage',
          );
        }
        if (spec.name === 'dead-all-scheduler') {
          const expected = expectedSchedulerRetries(DEFAULT_POLICY, 900) * n;
          const adjust = (u: CaseUsage): CaseUsage => ({ ...u, schedulerInvocations: expected });
          const dead = costPerMillionDeliveries(adjust(usage), prices).total;
          ctx.report.figure(`aws-cost.dead-default-policy.no-breaker${batchSize === 10 ? '' : `.batch${batchSize}`}`, dead, 'USD per million deliveries');
          ctx.report.note(
            `as dead-all-scheduler, with ${expectedSchedulerRetries(DEFAULT_POLICY, 900)} of the ${RETRIES} retries through the Scheduler ` +
              `(default policy: full-jitter caps 30 s … 1920 s, short delay 900 s); the rest through the SQS timer at the same SQS request count`,
          );
        }
      }
    }
    reportCapacity(ctx);
  },
};
