import { NO_OPERATIONAL_EVENTS } from '../../../lambdas/ports/operational-events';
import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoEventStore } from '../../../lambdas/adapters/dynamo/event-store';
import { deliveryToItem, expiresAt, itemToDelivery, keys } from '../../../lambdas/adapters/dynamo/schema';
import type { Delivery } from '../../../lambdas/core/model';
import type { EventStore } from '../../../lambdas/ports/event-store';
import { SnsAlerts } from '../../../lambdas/adapters/sns-alerts';
import { createSweepHandler } from '../../../lambdas/sweep/app';
import { sweepOverdue } from '../../../lambdas/use-cases/sweep';
import { startTestEnvironment, type TestEnvironment } from '../../support/emulators';
import { MemoryLogger, TestClock, createTestApi, drainDeliveryQueue, scanTable, type TestApi } from '../../support/api-events';

const START = Date.parse('2030-05-01T00:00:00.000Z');
const GRACE_SECONDS = 30;

describe('sweep: overdue deliveries are enqueued again', () => {
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
      await env.clients.doc.send(
        new PutCommand({ TableName: env.resources.tableName, Item: deliveryToItem({ ...d, status: 'delivered' }, expiresAt(d.createdAt, 30)) }),
      );
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
    const out = await env.clients.doc.send(new GetCommand({ TableName: env.resources.tableName, Key: keys.delivery(id) }));
    return itemToDelivery(out.Item!);
  }

  it('(a) re-enqueues deliveries that were stored but never queued (the publish got a 503)', async () => {
    const tenant = `tenant-${randomBytes(4).toString('hex')}`;
    await t.api.post('/v1/endpoints', { url: 'https://hooks.example.com/a', tenant });
    await t.api.post('/v1/endpoints', { url: 'https://hooks.example.com/b', tenant });
    t.queue.failNext(1);
    const failed = await t.api.post('/v1/events', { type: 'sweep.a', data: {}, tenant });
    expect(failed.status).toBe(503);
    expect(await drainDeliveryQueue(env)).toEqual([]);

    // Within the grace period nothing is touched: the message may still be on its way.
    clock.advance(GRACE_SECONDS * 1000 - 1);
    expect(await sweep()).toMatchObject({ found: 0, requeued: 0 });

    clock.advance(2);
    const result = await sweep();

    expect(result).toEqual({ found: 2, requeued: 2, skipped: 0, enqueueFailures: 0, truncated: false });
    const queued = await drainDeliveryQueue(env);
    expect(queued).toHaveLength(2);
    expect(queued.every((m) => m.attempt === 1)).toBe(true);
    for (const m of queued) {
      const d = await stored(m.deliveryId);
      expect(d).toMatchObject({ status: 'pending', nextAttemptAt: clock.now(), attemptCount: 0 });
    }
    // Idempotent: the bumped deliveries are not due again until another grace period passes.
    expect(await sweep()).toMatchObject({ found: 0, requeued: 0 });
    expect(await drainDeliveryQueue(env)).toEqual([]);
  });

  it('(b) re-enqueues a delivery whose queued message was lost', async () => {
    const { deliveryIds, endpointIds } = await publishTo(1);
    const lost = await drainDeliveryQueue(env);
    expect(lost).toEqual([{ deliveryId: deliveryIds[0], attempt: 1 }]);

    clock.advance(GRACE_SECONDS * 1000 + 1);
    const result = await sweep();

    expect(result).toMatchObject({ found: 1, requeued: 1 });
    expect(await drainDeliveryQueue(env)).toEqual([{ deliveryId: deliveryIds[0], attempt: 1 }]);
    expect(t.queue.sent.at(-1)).toEqual([{ message: { deliveryId: deliveryIds[0], attempt: 1 }, groupId: endpointIds[0] }]);
  });

  it('(c) never sweeps final deliveries, nor retries that are not overdue; sweeps an overdue retry with its next attempt number', async () => {
    const { deliveryIds } = await publishTo(4);
    await drainDeliveryQueue(env);
    const [delivered, dead, future, overdue] = deliveryIds as [string, string, string, string];
    const write = async (id: string, change: Partial<Delivery>) => {
      const { nextAttemptAt: _n, ...current } = await stored(id);
      const next = { ...current, ...change } as Delivery;
      await env.clients.doc.send(new PutCommand({ TableName: env.resources.tableName, Item: deliveryToItem(next, expiresAt(next.createdAt, 30)) }));
    };
    await write(delivered, { status: 'delivered', attemptCount: 1 });
    await write(dead, { status: 'dead', attemptCount: 8, finalReason: 'exhausted' });
    await write(future, { status: 'retrying', attemptCount: 2, nextAttemptAt: clock.now() + 3600_000 });
    await write(overdue, { status: 'retrying', attemptCount: 3, nextAttemptAt: clock.now() });

    clock.advance(GRACE_SECONDS * 1000 + 1);
    const result = await sweep();

    expect(result).toMatchObject({ found: 1, requeued: 1 });
    expect(await drainDeliveryQueue(env)).toEqual([{ deliveryId: overdue, attempt: 4 }]);
    expect((await stored(delivered)).status).toBe('delivered');
    expect((await stored(future)).nextAttemptAt).toBe(clock.now() - GRACE_SECONDS * 1000 - 1 + 3600_000);
  });

  it('leaves a delivery alone when the worker changed it between the read and the write', async () => {
    const { deliveryIds } = await publishTo(1);
    await drainDeliveryQueue(env);
    clock.advance(GRACE_SECONDS * 1000 + 1);
    const id = deliveryIds[0]!;
    // A store whose listDue returns the state from before the worker recorded an attempt.
    const before = await stored(id);
    const { nextAttemptAt: _n, ...rest } = before;
    await env.clients.doc.send(
      new PutCommand({
        TableName: env.resources.tableName,
        Item: deliveryToItem({ ...rest, status: 'delivered', attemptCount: 1 }, expiresAt(before.createdAt, 30)),
      }),
    );
    const stale: EventStore = Object.assign(Object.create(events) as DynamoEventStore, {
      listDue: async (shard: number) => ({ items: shard === 0 ? [before] : [] }),
    });

    const result = await sweepOverdue({ events: stale, queue: t.queue, clock, graceSeconds: GRACE_SECONDS });

    expect(result).toMatchObject({ found: 1, requeued: 0, skipped: 1 });
    expect(await drainDeliveryQueue(env)).toEqual([]);
    expect((await stored(id)).status).toBe('delivered');
  });

  it('leaves a delivery alone while a worker holds its lease (attempt in flight)', async () => {
    const { deliveryIds } = await publishTo(1);
    await drainDeliveryQueue(env);
    const id = deliveryIds[0]!;
    clock.advance(GRACE_SECONDS * 1000 + 1);
    await env.clients.doc.send(
      new UpdateCommand({
        TableName: env.resources.tableName,
        Key: keys.delivery(id),
        UpdateExpression: 'SET leaseUntil = :l',
        ExpressionAttributeValues: { ':l': clock.now() + 15_000 },
      }),
    );

    expect(await sweep()).toMatchObject({ found: 1, requeued: 0, skipped: 1 });
    expect(await drainDeliveryQueue(env)).toEqual([]);

    clock.advance(15_001);
    expect(await sweep()).toMatchObject({ found: 1, requeued: 1, skipped: 0 });
    expect(await drainDeliveryQueue(env)).toEqual([{ deliveryId: id, attempt: 1 }]);
  });

  it('is bounded per run and pages through the work index', async () => {
    const { deliveryIds } = await publishTo(5);
    await drainDeliveryQueue(env);
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
    for (const [i, id] of deliveryIds.entries()) {
      const d = await stored(id);
      const { nextAttemptAt: _n, ...rest } = d;
      const next: Delivery = { ...rest, status: 'retrying', attemptCount: 1, nextAttemptAt: clock.now() + offsets[i]! };
      await env.clients.doc.send(new PutCommand({ TableName: env.resources.tableName, Item: deliveryToItem(next, expiresAt(d.createdAt, 30)) }));
    }
    t.queue.sent.length = 0;

    const result = await sweep({ graceSeconds: 0, lookaheadSeconds: 900 });

    expect(result).toMatchObject({ found: 2, requeued: 2, enqueueFailures: 0 });
    const byId = new Map(t.queue.sent.flat().map((m) => [m.message.deliveryId, m]));
    expect(byId.get(deliveryIds[0]!)).toEqual({ message: { deliveryId: deliveryIds[0], attempt: 2 }, groupId: expect.any(String) });
    expect(byId.get(deliveryIds[1]!)).toMatchObject({ message: { deliveryId: deliveryIds[1], attempt: 2 }, delaySeconds: 60 });
    expect(byId.has(deliveryIds[2]!)).toBe(false);
    // The due times are kept (the overdue one moves to now), so nothing is attempted before its time.
    expect((await stored(deliveryIds[1]!)).nextAttemptAt).toBe(clock.now() + 60_000);
    expect((await stored(deliveryIds[0]!)).nextAttemptAt).toBe(clock.now());
  });

  it('the scheduled handler logs its counts, and fails the run (after logging) when it cannot enqueue', async () => {
    const { deliveryIds } = await publishTo(2);
    await drainDeliveryQueue(env);
    clock.advance(GRACE_SECONDS * 1000 + 1);
    const logger = new MemoryLogger();
    const handler = createSweepHandler({
      doc: env.clients.doc,
      tableName: env.resources.tableName,
      queue: t.queue,
      alerts: new SnsAlerts(env.clients.sns, env.resources.alertTopicArn),
      operational: NO_OPERATIONAL_EVENTS,
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
    expect(summary).toEqual({ found: 2, requeued: 2, skipped: 0, enqueueFailures: 0, truncated: false, alertSummaries: 0 });
    expect(logger.lines[1]).toMatchObject({ level: 'info', message: 'sweep done', fields: summary });
    expect((await drainDeliveryQueue(env)).map((m) => m.deliveryId).sort()).toEqual([...deliveryIds].sort());
  });
});
