import { NO_OPERATIONAL_EVENTS } from '../../../lambdas/ports/operational-events';
import { NO_TENANT_NOTICES } from '../../../lambdas/ports/tenant-notices';
import { randomBytes } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoEventStore } from '../../../lambdas/adapters/dynamo/event-store';
import { itemToDelivery } from '../../../lambdas/adapters/dynamo/schema';
import type { Delivery } from '../../../lambdas/core/model';
import type { EventStore } from '../../../lambdas/ports/event-store';
import { SnsAlerts } from '../../../lambdas/adapters/sns-alerts';
import { createSweepHandler } from '../../../lambdas/sweep/app';
import { sweepOverdue } from '../../../lambdas/use-cases/sweep';
import { startTestEnvironment, type TestEnvironment } from '../../support/emulators';
import { MemoryLogger, TestClock, createTestApi, drainDeliveryQueue, scanTable, type TestApi } from '../../support/api-events';
import { deliveryKey, readDelivery, writeDelivery } from '../../support/store-items';

const START = Date.parse('2030-05-01T00:00:00.000Z');
const GRACE_SECONDS = 30;

describe('sweep: overdue long waits are enqueued again', () => {
  let env: TestEnvironment;
  const clock = new TestClock(START);
  let t: TestApi;
  let events: DynamoEventStore;

  beforeAll(async () => {
    env = await startTestEnvironment();
    t = createTestApi(env, clock);
    events = new DynamoEventStore(env.clients.doc, env.resources.tableName, 30);
  });
  afterAll(async () => {
    await env?.stop();
  });
  beforeEach(async () => {
    // Each test starts with no waiting delivery: what earlier tests left is marked delivered (as a worker would).
    for (const item of await scanTable(env.clients.doc, env.resources.tableName)) {
      if (item.entity !== 'delivery' || (item.status !== 'pending' && item.status !== 'retrying')) continue;
      const { nextAttemptAt: _n, ...d } = itemToDelivery(item);
      await writeDelivery(env, { ...d, status: 'delivered' });
    }
    t.queue.failNext(0);
    await drainDeliveryQueue(env);
  });

  const sweep = (options: { maxPerRun?: number; pageSize?: number; lookaheadSeconds?: number; graceSeconds?: number } = {}) =>
    sweepOverdue({ events, queue: t.queue, clock, graceSeconds: GRACE_SECONDS, ...options });

  async function publishTo(endpoints: number): Promise<{ eventId: string; deliveryIds: string[]; endpointIds: string[] }> {
    const tenant = `tenant-${randomBytes(4).toString('hex')}`;
    const endpointIds: string[] = [];
    for (let i = 0; i < endpoints; i++) {
      endpointIds.push((await t.api.post('/v1/endpoints', { url: 'https://hooks.example.com/in', tenant })).body.id);
    }
    const res = await t.api.post('/v1/events', { type: 'sweep.test', data: {}, tenant });
    expect(res.status).toBe(202);
    return { eventId: res.body.id, deliveryIds: res.body.deliveries.map((d: { id: string }) => d.id), endpointIds };
  }

  async function stored(id: string): Promise<Delivery> {
    const { attempts: _a, ...delivery } = await readDelivery(env, id);
    return delivery;
  }

  /** Writes a delivery's state as the worker does; a waiting one is a long wait (a Scheduler retry), indexed for the sweep. */
  async function write(id: string, change: Partial<Delivery>): Promise<void> {
    const { nextAttemptAt: _n, ...current } = await stored(id);
    await writeDelivery(env, { ...current, ...change } as Delivery);
  }

  /** `n` deliveries, each waiting for a Scheduler retry (attempt 2) due `offsetMs` from now. */
  async function waiting(n: number, offsetMs = 0): Promise<{ deliveryIds: string[]; endpointIds: string[] }> {
    const published = await publishTo(n);
    await drainDeliveryQueue(env);
    for (const id of published.deliveryIds) await write(id, { status: 'retrying', attemptCount: 1, nextAttemptAt: clock.now() + offsetMs });
    return published;
  }

  it('(a) re-enqueues a Scheduler retry whose schedule never fired, marked as a possible duplicate', async () => {
    const { deliveryIds } = await waiting(2);

    // Within the grace period nothing is touched: the schedule may still fire.
    clock.advance(GRACE_SECONDS * 1000 - 1);
    expect(await sweep()).toMatchObject({ found: 0, requeued: 0 });

    clock.advance(2);
    const result = await sweep();

    expect(result).toEqual({ found: 2, requeued: 2, skipped: 0, enqueueFailures: 0, truncated: false });
    const queued = await drainDeliveryQueue(env);
    expect(queued.map((m) => m.deliveryId).sort()).toEqual([...deliveryIds].sort());
    expect(queued.every((m) => m.attempt === 2 && m.redelivery === true)).toBe(true);
    for (const m of queued) {
      expect(await stored(m.deliveryId)).toMatchObject({ status: 'retrying', nextAttemptAt: clock.now(), attemptCount: 1 });
    }
    // Idempotent: the bumped deliveries are not due again until another grace period passes.
    expect(await sweep()).toMatchObject({ found: 0, requeued: 0 });
    expect(await drainDeliveryQueue(env)).toEqual([]);
  });

  it('(b) re-enqueues a manual redelivery whose message was lost (the retry route answered 503)', async () => {
    const { deliveryIds, endpointIds } = await publishTo(1);
    await drainDeliveryQueue(env);
    await write(deliveryIds[0]!, { status: 'dead', attemptCount: 8, finalReason: 'exhausted' });
    t.queue.failNext(1);
    expect((await t.api.post(`/v1/deliveries/${deliveryIds[0]}/retry`)).status).toBe(503);
    expect(await drainDeliveryQueue(env)).toEqual([]);

    clock.advance(GRACE_SECONDS * 1000 + 1);
    const result = await sweep();

    expect(result).toMatchObject({ found: 1, requeued: 1 });
    expect(await drainDeliveryQueue(env)).toEqual([{ deliveryId: deliveryIds[0], attempt: 9, redelivery: true }]);
    expect(t.queue.sent.at(-1)).toEqual([{ message: { deliveryId: deliveryIds[0], attempt: 9, redelivery: true }, groupId: endpointIds[0] }]);
  });

  it('finds nothing to do for a delivery that was never attempted: its message is on the queue, which keeps it', async () => {
    const { deliveryIds } = await publishTo(1);
    clock.advance(GRACE_SECONDS * 1000 + 1);
    expect(await sweep()).toMatchObject({ found: 0, requeued: 0 });
    expect(await drainDeliveryQueue(env)).toEqual([{ deliveryId: deliveryIds[0], attempt: 1 }]);
  });

  it('(c) never sweeps final deliveries, nor retries that are not overdue; sweeps an overdue retry with its next attempt number', async () => {
    const { deliveryIds } = await publishTo(4);
    await drainDeliveryQueue(env);
    const [delivered, dead, future, overdue] = deliveryIds as [string, string, string, string];
    await write(delivered, { status: 'delivered', attemptCount: 1 });
    await write(dead, { status: 'dead', attemptCount: 8, finalReason: 'exhausted' });
    await write(future, { status: 'retrying', attemptCount: 2, nextAttemptAt: clock.now() + 3600_000 });
    await write(overdue, { status: 'retrying', attemptCount: 3, nextAttemptAt: clock.now() });

    clock.advance(GRACE_SECONDS * 1000 + 1);
    const result = await sweep();

    expect(result).toMatchObject({ found: 1, requeued: 1 });
    expect(await drainDeliveryQueue(env)).toEqual([{ deliveryId: overdue, attempt: 4, redelivery: true }]);
    expect((await stored(delivered)).status).toBe('delivered');
    expect((await stored(future)).nextAttemptAt).toBe(clock.now() - GRACE_SECONDS * 1000 - 1 + 3600_000);
  });

  it('leaves a delivery alone when the worker changed it between the read and the write', async () => {
    const { deliveryIds } = await waiting(1);
    clock.advance(GRACE_SECONDS * 1000 + 1);
    const id = deliveryIds[0]!;
    // A store whose listWaiting returns the state from before the worker recorded an attempt.
    const before = await stored(id);
    await write(id, { status: 'delivered', attemptCount: 2 });
    const stale: EventStore = Object.assign(Object.create(events) as DynamoEventStore, {
      listWaiting: async (shard: number) => ({ items: shard === 0 ? [before] : [] }),
    });

    const result = await sweepOverdue({ events: stale, queue: t.queue, clock, graceSeconds: GRACE_SECONDS });

    expect(result).toMatchObject({ found: 1, requeued: 0, skipped: 1 });
    expect(await drainDeliveryQueue(env)).toEqual([]);
    expect((await stored(id)).status).toBe('delivered');
  });

  it('leaves a delivery alone while a worker holds its lease (attempt in flight)', async () => {
    const { deliveryIds } = await waiting(1);
    const id = deliveryIds[0]!;
    clock.advance(GRACE_SECONDS * 1000 + 1);
    await env.clients.doc.send(
      new UpdateCommand({
        TableName: env.resources.tableName,
        Key: await deliveryKey(env, id),
        UpdateExpression: 'SET leaseUntil = :l',
        ExpressionAttributeValues: { ':l': clock.now() + 15_000 },
      }),
    );

    expect(await sweep()).toMatchObject({ found: 1, requeued: 0, skipped: 1 });
    expect(await drainDeliveryQueue(env)).toEqual([]);

    clock.advance(15_001);
    expect(await sweep()).toMatchObject({ found: 1, requeued: 1, skipped: 0 });
    expect(await drainDeliveryQueue(env)).toEqual([{ deliveryId: id, attempt: 2, redelivery: true }]);
  });

  it('is bounded per run and pages through the index', async () => {
    const { deliveryIds } = await waiting(5);
    clock.advance(GRACE_SECONDS * 1000 + 1);

    const first = await sweep({ maxPerRun: 2, pageSize: 1 });
    const second = await sweep({ maxPerRun: 2, pageSize: 1 });
    const third = await sweep({ maxPerRun: 2, pageSize: 1 });

    expect([first, second, third].map((r) => [r.requeued, r.truncated])).toEqual([
      [2, true],
      [2, true],
      [1, false],
    ]);
    const queued = await drainDeliveryQueue(env);
    expect(queued.map((m) => m.deliveryId).sort()).toEqual([...deliveryIds].sort());
  });

  it('with a lookahead, re-enqueues retries still waiting (a queue that lost its timers) with their remaining delay', async () => {
    const { deliveryIds } = await publishTo(3);
    await drainDeliveryQueue(env);
    // Three retrying deliveries: due 10 s ago, in 60 s, and in 20 minutes (beyond the SQS timer range: the Scheduler holds it).
    const offsets = [-10_000, 60_000, 1_200_000];
    for (const [i, id] of deliveryIds.entries()) await write(id, { status: 'retrying', attemptCount: 1, nextAttemptAt: clock.now() + offsets[i]! });
    t.queue.sent.length = 0;

    const result = await sweep({ graceSeconds: 0, lookaheadSeconds: 900 });

    expect(result).toMatchObject({ found: 2, requeued: 2, enqueueFailures: 0 });
    const byId = new Map(t.queue.sent.flat().map((m) => ['deliveryId' in m.message ? m.message.deliveryId : m.message.endpointId, m]));
    expect(byId.get(deliveryIds[0]!)).toEqual({ message: { deliveryId: deliveryIds[0], attempt: 2, redelivery: true }, groupId: expect.any(String) });
    expect(byId.get(deliveryIds[1]!)).toMatchObject({ message: { deliveryId: deliveryIds[1], attempt: 2, redelivery: true }, delaySeconds: 60 });
    expect(byId.has(deliveryIds[2]!)).toBe(false);
    // The due times are kept (the overdue one moves to now), so nothing is attempted before its time.
    expect((await stored(deliveryIds[1]!)).nextAttemptAt).toBe(clock.now() + 60_000);
    expect((await stored(deliveryIds[0]!)).nextAttemptAt).toBe(clock.now());
  });

  it('the scheduled handler logs its counts, and fails the run (after logging) when it cannot enqueue', async () => {
    const { deliveryIds } = await waiting(2);
    clock.advance(GRACE_SECONDS * 1000 + 1);
    const logger = new MemoryLogger();
    const handler = createSweepHandler({
      doc: env.clients.doc,
      tableName: env.resources.tableName,
      queue: t.queue,
      alerts: new SnsAlerts(env.clients.sns, env.resources.alertTopicArn),
      operational: NO_OPERATIONAL_EVENTS,
      notices: NO_TENANT_NOTICES,
      clock,
      graceSeconds: GRACE_SECONDS,
      retentionDays: 30,
      logger,
    });
    t.queue.failNext(8);

    await expect(handler({ 'detail-type': 'Scheduled Event' })).rejects.toThrow('sweep: 2 overdue deliveries could not be enqueued');
    expect(logger.lines[0]).toMatchObject({ level: 'error', fields: { found: 2, requeued: 0, enqueueFailures: 2, errorMessage: 'simulated SQS outage' } });
    expect(await drainDeliveryQueue(env)).toEqual([]);

    // The failed ones are due again one grace period later, and then go out.
    t.queue.failNext(0);
    clock.advance(GRACE_SECONDS * 1000 + 1);
    const summary = await handler({});
    expect(summary).toEqual({ found: 2, requeued: 2, skipped: 0, enqueueFailures: 0, truncated: false, alertSummaries: 0, circuitsProbed: 0 });
    expect(logger.lines[1]).toMatchObject({ level: 'info', message: 'sweep done', fields: summary });
    expect((await drainDeliveryQueue(env)).map((m) => m.deliveryId).sort()).toEqual([...deliveryIds].sort());
  });
});
