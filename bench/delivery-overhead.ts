/**
 * Delivery overhead: the deliver handler (middy chain, real use case, real NodeHttpSender, in-memory
 * store/queue/Scheduler/alerts, log lines formatted but not printed) driving N deliveries into a fast
 * receiver in another process, against a plain keep-alive POST loop sending the same bytes at the
 * same concurrency to the same receiver. The ratio is Herald's throughput as a share of what
 * node:http alone achieves here; the target is ≥ 0.8.
 *
 * Concurrency: one handler invocation holds up to 10 records in flight (the deliver settings'
 * `concurrency`, one SQS batch of 10), as one Lambda container does; `overhead.invocations` runs
 * several invocations at once in this process. The plain loop uses 10 × invocations connections.
 * Rounds alternate which side goes first; the figures are medians over the rounds. A third run per
 * round drives NodeHttpSender alone (no handler, same bytes), which splits Herald's overhead between
 * the HTTP sender and the use case.
 */
import { EmfMetrics } from '../lambdas/adapters/emf-metrics';
import { NO_OPERATIONAL_EVENTS } from '../lambdas/ports/operational-events';
import { NO_TENANT_NOTICES } from '../lambdas/ports/tenant-notices';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { NodeHttpSender } from '../lambdas/adapters/http-sender';
import { buildEnvelope } from '../lambdas/core/envelope';
import { newDelivery, type Delivery, type Endpoint, type HeraldEvent } from '../lambdas/core/model';
import { activeSecrets, webhookHeaders } from '../lambdas/core/signing';
import { createDeliverHandler } from '../lambdas/deliver/app';
import { deliverSettings, parseDeliverConfig } from '../lambdas/deliver/config';
import { systemClock } from '../lambdas/ports';
import type { DeliverDeps } from '../lambdas/use-cases/deliver/deps';
import { ReceiverWatch } from '../lambdas/use-cases/deliver/degraded';
import { lambdaContext } from '../local/lambda-context';
import { BenchDeliveryStore, Recorder } from './support/bench-store';
import type { Benchmark, BenchContext } from './support/context';
import { spawnFastReceiver, type ChildReceiver } from './support/fast-receiver';
import { runLoad } from './support/http-load';
import { ENV } from '../lambdas/config';
import { placeholderResourceEnv } from './support/lambda-env';
import { countingLogger } from './support/logging';
import { samplePayload } from './support/payload';
import { median } from './support/stats';

/** The configuration the stack gives the deliver Lambda, with placeholder resource names (never called here). */
export const BENCH_DELIVER_ENV: Record<string, string> = {
  ...placeholderResourceEnv('000000000000', 'http://127.0.0.1:1'),
  HERALD_ALLOW_PRIVATE_TARGETS: 'true',
};

const BATCH_SIZE = 10;

function sqsRecord(messageId: string, body: string): SQSRecord {
  const now = String(Date.now());
  return {
    messageId,
    receiptHandle: messageId,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: '000000000000', ApproximateFirstReceiveTimestamp: now },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: BENCH_DELIVER_ENV[ENV.deliveryQueueArn]!,
    awsRegion: 'us-east-1',
  };
}

interface World {
  readonly store: BenchDeliveryStore;
  readonly batches: SQSEvent[];
}

/** N pending deliveries of N events to one endpoint, and their SQS batches. */
function seed(n: number, url: string, secret: string): World {
  const store = new BenchDeliveryStore();
  const now = Date.now();
  const endpoint: Endpoint = {
    id: 'ep_bench',
    url,
    description: 'benchmark receiver',
    eventTypes: ['*'],
    tenant: '',
    retryPolicy: {},
    timeoutMs: 15_000,
    headers: {},
    disabled: false,
    secrets: [{ secret, createdAt: now }],
    health: { consecutiveFailures: 0 },
    createdAt: now,
    updatedAt: now,
  };
  store.endpoints.set(endpoint.id, endpoint);
  const records: SQSRecord[] = [];
  for (let i = 0; i < n; i++) {
    const event: HeraldEvent = { id: `evt_bench${i}`, type: 'dir_sync.user.update.success', tenant: '', data: samplePayload(i), createdAt: now, key: `K${i}`, fingerprint: 'f', fanOut: [{ endpointId: endpoint.id }] };
    const delivery: Delivery = newDelivery({ id: `dlv_bench${i}`, event, endpointId: endpoint.id, now });
    store.events.set(event.id, event);
    store.deliveries.set(delivery.id, delivery);
    records.push(sqsRecord(`m${i}`, JSON.stringify({ deliveryId: delivery.id, attempt: 1 })));
  }
  const batches: SQSEvent[] = [];
  for (let i = 0; i < records.length; i += BATCH_SIZE) batches.push({ Records: records.slice(i, i + BATCH_SIZE) });
  return { store, batches };
}

interface Run {
  readonly perSecond: number;
  readonly elapsedMs: number;
  /** CPU time of this process (user + system) per delivery, µs: steadier than wall time on a shared machine. */
  readonly cpuMicros: number;
}

async function heraldRun(n: number, invocations: number, receiver: ChildReceiver, secret: string): Promise<Run> {
  const { store, batches } = seed(n, `${receiver.origin}/webhook`, secret);
  const config = parseDeliverConfig(BENCH_DELIVER_ENV);
  const sender = new NodeHttpSender({ allowPrivate: config.allowPrivateTargets });
  const effects = new Recorder();
  const logs = countingLogger();
  const deps: DeliverDeps = {
    store,
    sender,
    queue: effects,
    scheduler: effects,
    deadLetters: effects,
    alerts: effects,
    operational: NO_OPERATIONAL_EVENTS,
    notices: NO_TENANT_NOTICES,
    clock: systemClock,
    random: Math.random,
    log: logs.logger,
    metrics: new EmfMetrics({ deployment: config.deployment, service: 'deliver', write: logs.line, clock: systemClock }),
    receivers: new ReceiverWatch(store),
    settings: deliverSettings(config),
  };
  const handler = createDeliverHandler(deps);
  const postsBefore = await receiver.posts();
  let next = 0;
  let failed = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: invocations }, async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const result = await handler(batch, lambdaContext('herald-deliver', 60_000));
        failed += result.batchItemFailures.length;
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  sender.close();
  const delivered = store.count('delivered');
  const received = (await receiver.posts()) - postsBefore;
  if (failed > 0 || delivered !== n || received !== n) {
    throw new Error(`herald run incomplete: ${delivered}/${n} delivered, ${received} received, ${failed} records failed`);
  }
  return { perSecond: n / (elapsedMs / 1000), elapsedMs, cpuMicros: (used.user + used.system) / n };
}

/** The bytes Herald sends: the envelope of a sample event and its Standard Webhooks headers. */
function sampleRequest(secret: string): { body: string; headers: Record<string, string> } {
  const now = Date.now();
  const event: HeraldEvent = { id: 'evt_plain', type: 'dir_sync.user.update.success', tenant: '', data: samplePayload(0), createdAt: now, key: 'K', fingerprint: 'f', fanOut: [] };
  const body = buildEnvelope(event);
  const headers = webhookHeaders({ id: event.id, timestampSeconds: Math.floor(now / 1000), body, secrets: activeSecrets([{ secret, createdAt: now }], now) });
  return { body, headers };
}

/** NodeHttpSender alone, without the handler: splits Herald's overhead between the sender and the use case. */
async function senderRun(n: number, concurrency: number, receiver: ChildReceiver, secret: string): Promise<Run> {
  const { body, headers } = sampleRequest(secret);
  const sender = new NodeHttpSender({ allowPrivate: true });
  const url = `${receiver.origin}/webhook`;
  let next = 0;
  let failed = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        const result = await sender.send({ url, headers, body, timeoutMs: 15_000 });
        if (result.outcome.kind !== 'http' || result.outcome.status !== 200) failed++;
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  sender.close();
  if (failed > 0) throw new Error(`sender run: ${failed} of ${n} requests failed`);
  return { perSecond: n / (elapsedMs / 1000), elapsedMs, cpuMicros: (used.user + used.system) / n };
}

async function plainRun(n: number, concurrency: number, receiver: ChildReceiver, secret: string): Promise<Run> {
  const sample = sampleRequest(secret);
  const body = sample.body;
  const headers = { ...sample.headers, 'user-agent': 'Herald-Webhooks/1' };
  const cpu = process.cpuUsage();
  const result = await runLoad({ url: `${receiver.origin}/webhook`, concurrency, count: n, timeLimitMs: 300_000, request: () => ({ body, headers }) });
  const used = process.cpuUsage(cpu);
  if (result.completed !== n || result.statuses.get(200) !== n) {
    throw new Error(`plain run incomplete: ${result.completed}/${n} answered, ${result.errors} errors`);
  }
  return { perSecond: n / (result.elapsedMs / 1000), elapsedMs: result.elapsedMs, cpuMicros: (used.user + used.system) / n };
}

export const deliveryOverhead: Benchmark = {
  name: 'delivery-overhead',
  summary: 'deliver handler vs a plain keep-alive POST loop into the same fast receiver',
  params: [
    ['overhead.deliveries', 5000, 1000, 'deliveries per measured run (each side)'],
    ['overhead.rounds', 3, 2, 'measured rounds; figures are medians'],
    ['overhead.invocations', 1, 1, 'concurrent handler invocations of 10 records each'],
  ],
  async run(ctx: BenchContext) {
    const n = ctx.param('overhead.deliveries');
    const rounds = ctx.param('overhead.rounds');
    const invocations = ctx.param('overhead.invocations');
    const concurrency = invocations * BATCH_SIZE;
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const receiver = await spawnFastReceiver();
    try {
      const warm = Math.max(200, Math.floor(n / 5));
      await plainRun(warm, concurrency, receiver, secret);
      await heraldRun(warm, invocations, receiver, secret);
      await senderRun(warm, concurrency, receiver, secret);
      const plain: number[] = [];
      const herald: number[] = [];
      const ratios: number[] = [];
      const plainCpu: number[] = [];
      const heraldCpu: number[] = [];
      const senderOnly: number[] = [];
      const senderCpu: number[] = [];
      for (let r = 0; r < rounds; r++) {
        let p: Run;
        let h: Run;
        if (r % 2 === 0) {
          p = await plainRun(n, concurrency, receiver, secret);
          h = await heraldRun(n, invocations, receiver, secret);
        } else {
          h = await heraldRun(n, invocations, receiver, secret);
          p = await plainRun(n, concurrency, receiver, secret);
        }
        plain.push(p.perSecond);
        herald.push(h.perSecond);
        ratios.push(h.perSecond / p.perSecond);
        plainCpu.push(p.cpuMicros);
        heraldCpu.push(h.cpuMicros);
        const s = await senderRun(n, concurrency, receiver, secret);
        senderOnly.push(s.perSecond);
        senderCpu.push(s.cpuMicros);
      }
      ctx.report.figure('delivery-overhead.plain-post-loop', median(plain), 'deliveries/s');
      ctx.report.figure('delivery-overhead.herald-deliver', median(herald), 'deliveries/s');
      ctx.report.figure('delivery-overhead.ratio', median(ratios), '(target ≥ 0.8)');
      ctx.report.figure('delivery-overhead.sender-only', median(senderOnly), 'deliveries/s');
      ctx.report.note(
        `${n} deliveries per run, ${rounds} rounds (medians), ${concurrency} in flight (${invocations} invocation(s) × batches of ${BATCH_SIZE}); ` +
          `per round herald/plain: ${ratios.map((x) => x.toFixed(2)).join(', ')}`,
      );
      ctx.report.note(
        `CPU time of the sending process per delivery (median): plain ${median(plainCpu).toFixed(1)} µs, ` +
          `NodeHttpSender alone ${median(senderCpu).toFixed(1)} µs, herald handler ${median(heraldCpu).toFixed(1)} µs ` +
          `(CPU ratio plain/herald ${(median(plainCpu) / median(heraldCpu)).toFixed(2)}); the receiver runs in its own process`,
      );
    } finally {
      await receiver.stop();
    }
  },
};
