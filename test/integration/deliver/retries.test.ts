/**
 * Retries end to end: SQS message timers and Scheduler schedules, duplicates and concurrent copies
 * of a message, the full loop to the dead-letter queue, and which records a batch reports as failed.
 */
import { GetScheduleCommand } from '@aws-sdk/client-scheduler';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../../lambdas/adapters/dynamo/schema';
import { lambdaContext } from '../../../local/lambda-context';
import { START, startWorld, type Handler, type World } from './world';

describe('deliver handler: retries', () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world?.stop();
  });
  beforeEach(async () => {
    await world.reset();
  });

  const hook = (path: string) => world.receiver.url(path);
  /** A copy of a message as Herald sends a possible duplicate (the sweep, a manual retry): the worker claims first. */
  const enqueue = (deliveryId: string, attempt: number) =>
    world.env.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: world.env.resources.deliveryQueueUrl, MessageBody: JSON.stringify({ deliveryId, attempt, redelivery: true }) }),
    );
  const getSchedule = (name: string) =>
    world.schedulerClient.send(new GetScheduleCommand({ Name: name, GroupName: world.env.resources.scheduleGroup }));

  it('500 until the third attempt, then 200, through SQS message timers', async () => {
    const handler = world.handler(world.deps());
    world.receiver.on('/flaky', (r) => (r.n < 3 ? { status: 500, body: `down ${r.n}` } : { status: 200 }));
    const { delivery } = await world.seed({ endpoint: { url: hook('/flaky'), retryPolicy: { delays: ['1s', '1s', '1s'] } } });

    await world.pump(handler, 1);
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'retrying', attemptCount: 1, nextAttemptAt: START + 1000 });
    expect(await world.delayedCount()).toBe(1);
    expect(await world.receive()).toEqual([]);

    world.clock.advance(1000);
    const second = await world.pump(handler, 3);
    expect(second?.messages.map((m) => JSON.parse(m.Body!))).toEqual([{ deliveryId: delivery.id, attempt: 2 }]);
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'retrying', attemptCount: 2, nextAttemptAt: START + 2000 });

    world.clock.advance(1000);
    await world.pump(handler, 3);
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'delivered', attemptCount: 3 });
    const attempts = await world.attempts(delivery.id);
    expect(attempts.map((a) => [a.number, a.startedAt, a.outcome, a.responseExcerpt ?? null, a.next])).toEqual([
      [1, START, { kind: 'http', status: 500 }, 'down 1', { kind: 'retry', at: START + 1000, basis: 'delays' }],
      [2, START + 1000, { kind: 'http', status: 500 }, 'down 2', { kind: 'retry', at: START + 2000, basis: 'delays' }],
      [3, START + 2000, { kind: 'http', status: 200 }, null, { kind: 'delivered' }],
    ]);
    expect(world.receiver.requestsTo('/flaky').map((r) => r.headers['webhook-timestamp'])).toEqual([
      String(START / 1000),
      String(START / 1000 + 1),
      String(START / 1000 + 2),
    ]);
    expect(world.scheduler.list()).toEqual([]);
  });

  it('500 until the third attempt, then 200, through the Scheduler (shortDelaySeconds 0)', async () => {
    const handler = world.handler(world.deps({ config: { shortDelaySeconds: 0 } }));
    world.receiver.on('/flaky-s', (r) => (r.n < 3 ? { status: 500 } : { status: 200 }));
    const { delivery } = await world.seed({ endpoint: { url: hook('/flaky-s'), retryPolicy: { delays: ['1h', '2h', '2h'] } } });

    await world.pump(handler, 1);
    expect(await getSchedule(`${delivery.id}-2`)).toMatchObject({
      ScheduleExpression: 'at(2030-01-15T13:00:00)',
      Target: {
        Input: JSON.stringify({ deliveryId: delivery.id, attempt: 2, notBefore: START + 3_600_000 }),
        DeadLetterConfig: { Arn: world.env.resources.deadLetterQueueArn },
      },
    });
    expect(await world.delayedCount()).toBe(0);
    expect(await world.scheduler.fireDue()).toEqual([]);

    world.clock.advance(3_600_000);
    expect(await world.scheduler.fireDue()).toEqual([`${delivery.id}-2`]);
    await world.pump(handler, 2);
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'retrying', attemptCount: 2, nextAttemptAt: START + 3 * 3_600_000 });
    expect(await getSchedule(`${delivery.id}-3`)).toMatchObject({ ScheduleExpression: 'at(2030-01-15T15:00:00)' });

    world.clock.advance(2 * 3_600_000);
    expect(await world.scheduler.fireDue()).toEqual([`${delivery.id}-3`]);
    await world.pump(handler, 2);
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'delivered', attemptCount: 3 });
    expect(world.receiver.requestsTo('/flaky-s')).toHaveLength(3);
    expect(world.scheduler.list()).toEqual([]);
  });

  it('GIVEN a scheduled retry that arrives 40 s before its time THEN nothing is sent: it goes back on the queue for the 40 s left', async () => {
    const handler = world.handler(world.deps({ config: { shortDelaySeconds: 0 } }));
    world.receiver.on('/not-before', (r) => (r.n === 1 ? { status: 503, headers: { 'retry-after': '3600' } } : { status: 200 }));
    const { delivery } = await world.seed({ endpoint: { url: hook('/not-before') } });
    await world.pump(handler, 1);
    const schedule = await getSchedule(`${delivery.id}-2`);
    expect(JSON.parse(schedule.Target!.Input!)).toEqual({ deliveryId: delivery.id, attempt: 2, notBefore: START + 3_600_000 });

    // The Scheduler fires within the minute of its expression: here, as if 40 s early.
    world.clock.t = START + 3_600_000 - 40_000;
    await world.env.clients.sqs.send(new SendMessageCommand({ QueueUrl: world.env.resources.deliveryQueueUrl, MessageBody: schedule.Target!.Input! }));
    const early = await world.pump(handler, 2);
    expect(early?.response).toEqual({ batchItemFailures: [] });
    expect(world.receiver.requestsTo('/not-before')).toHaveLength(1);
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'retrying', attemptCount: 1 });
    expect(await world.delayedCount()).toBe(1);
    expect(world.logs.find((l) => l.message === 'message arrived before its time; put back for the seconds left')).toMatchObject({
      fields: { deliveryId: delivery.id, attempt: 2, delaySeconds: 40 },
    });
  });

  it('the full loop: fail, schedule, fire, redeliver, fail again, dead-letter, alert', async () => {
    const handler = world.handler(world.deps({ config: { shortDelaySeconds: 0 } }));
    world.receiver.on('/down', () => ({ status: 502, body: 'bad gateway' }));
    const { endpoint, event, delivery } = await world.seed({ endpoint: { url: hook('/down'), retryPolicy: { delays: ['30m', '1h'] } } });

    await world.pump(handler, 1);
    world.clock.advance(30 * 60_000);
    expect(await world.scheduler.fireDue()).toEqual([`${delivery.id}-2`]);
    await world.pump(handler, 2);
    world.clock.advance(3_600_000);
    expect(await world.scheduler.fireDue()).toEqual([`${delivery.id}-3`]);
    await world.pump(handler, 2);

    const reason = 'exhausted: 3 of 3 attempts made, last: HTTP 502';
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'dead', attemptCount: 3, finalReason: reason });
    expect((await world.attempts(delivery.id)).map((a) => a.next.kind)).toEqual(['retry', 'retry', 'dead']);
    expect(world.receiver.requestsTo('/down')).toHaveLength(3);
    expect(world.scheduler.list()).toEqual([]);
    expect(await world.dlq(2)).toEqual([
      {
        kind: 'delivery_dead',
        deliveryId: delivery.id,
        eventId: event.id,
        eventType: event.type,
        tenant: '',
        endpointId: endpoint.id,
        endpointUrl: endpoint.url,
        attempts: 3,
        lastOutcome: { kind: 'http', status: 502 },
        reason,
        deadAt: new Date(START + 90 * 60_000).toISOString(),
      },
    ]);
    const alerts = await world.alerts(2);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.Message).toContain('Last outcome: HTTP 502');
    expect(await world.endpoint(endpoint.id)).toMatchObject({
      disabled: false,
      health: { consecutiveFailures: 3, failingSince: START, lastFailureAt: START + 90 * 60_000 },
    });
  });

  it('a duplicate SQS message for a delivered delivery makes no second POST', async () => {
    const handler = world.handler(world.deps());
    world.receiver.on('/once', () => ({ status: 200 }));
    const { delivery } = await world.seed({ endpoint: { url: hook('/once') } });
    await world.pump(handler, 1);
    await enqueue(delivery.id, 1);
    const run = await world.pump(handler, 1);
    expect(run?.response).toEqual({ batchItemFailures: [] });
    expect(world.receiver.requestsTo('/once')).toHaveLength(1);
    expect(await world.attempts(delivery.id)).toHaveLength(1);
    expect(world.logs.some((l) => l.message === 'delivery already final; message dropped' && l.fields?.deliveryId === delivery.id)).toBe(true);
  });

  it('a copy of an earlier attempt makes no POST while the retry is pending; the same message coming back sends the saved retry again', async () => {
    const handler = world.handler(world.deps());
    world.receiver.on('/stale', () => ({ status: 500 }));
    const { delivery } = await world.seed({ endpoint: { url: hook('/stale'), retryPolicy: { delays: ['10m'] } } });
    const first = await world.receive(1);
    await handler(world.toEvent(first), lambdaContext('deliver', 60_000));
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'retrying', attemptCount: 1 });
    expect(await world.delayedCount()).toBe(1);

    // Another copy (a redelivery) of attempt 1: stale, dropped.
    await enqueue(delivery.id, 1);
    await world.pump(handler, 1);
    expect(world.logs.some((l) => l.message === 'stale message; dropped')).toBe(true);
    expect(await world.delayedCount()).toBe(1);

    // The first message itself coming back (SQS delivers it a second time: its retry send may not have happened).
    const again = first.map((m) => ({ ...m, Attributes: { ...m.Attributes, ApproximateReceiveCount: '2' } }));
    expect(await handler(world.toEvent(again), lambdaContext('deliver', 60_000))).toEqual({ batchItemFailures: [] });
    expect(world.logs.some((l) => l.message === 'attempt already made; sending its retry again')).toBe(true);
    expect(world.receiver.requestsTo('/stale')).toHaveLength(1);
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'retrying', attemptCount: 1 });
    // Both retry messages wait on their timer; the second is marked as a possible duplicate, so only one POSTs.
    expect(await world.delayedCount()).toBe(2);
  });

  it('two copies of one message handled at the same time make one POST', async () => {
    const handler = world.handler(world.deps());
    world.receiver.on('/twice', () => ({ status: 200 }));
    const { delivery } = await world.seed({ endpoint: { url: hook('/twice') }, enqueue: false });
    await enqueue(delivery.id, 1);
    await enqueue(delivery.id, 1);
    await enqueue(delivery.id, 1);
    const messages = await world.receive(1);
    expect(messages).toHaveLength(3);
    // One copy alone in one invocation, two copies together in another, all at once.
    const [a, b] = await Promise.all([
      handler(world.toEvent(messages.slice(0, 1)), lambdaContext('deliver', 60_000)),
      handler(world.toEvent(messages.slice(1)), lambdaContext('deliver', 60_000)),
    ]);
    expect([a, b]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(world.receiver.requestsTo('/twice')).toHaveLength(1);
    expect(await world.attempts(delivery.id)).toHaveLength(1);
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'delivered', attemptCount: 1 });
  });

  it('a running lease keeps another worker off until it expires', async () => {
    const handler = world.handler(world.deps());
    world.receiver.on('/leased', () => ({ status: 200 }));
    const { delivery } = await world.seed({ endpoint: { url: hook('/leased') }, delivery: {}, enqueue: false });
    await world.env.clients.doc.send(
      new UpdateCommand({
        TableName: world.env.resources.tableName,
        Key: await world.deliveryKey(delivery.id),
        UpdateExpression: 'SET leaseUntil = :l',
        ExpressionAttributeValues: { ':l': START + 30_000 },
      }),
    );
    await enqueue(delivery.id, 1);
    await world.pump(handler, 1);
    expect(world.receiver.requestsTo('/leased')).toEqual([]);

    world.clock.advance(30_001);
    await enqueue(delivery.id, 1);
    await world.pump(handler, 1);
    expect(world.receiver.requestsTo('/leased')).toHaveLength(1);
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'delivered' });
  });

  it('a retry whose schedule cannot be created fails its record (the message comes back), its next attempt saved and indexed for the sweep', async () => {
    const deps = world.deps({ config: { shortDelaySeconds: 0 } });
    const handler = world.handler({
      ...deps,
      scheduler: { scheduleAt: () => Promise.reject(new Error('Scheduler unavailable')) },
    });
    world.receiver.on('/nosched', () => ({ status: 500 }));
    const { delivery } = await world.seed({ endpoint: { url: hook('/nosched'), retryPolicy: { delays: ['1h'] } } });
    const run = await world.pump(handler, 1);
    expect(run?.response).toEqual({ batchItemFailures: [{ itemIdentifier: run!.messages[0]!.MessageId }] });
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'retrying', nextAttemptAt: START + 3_600_000 });
    expect(await world.deliveryItem(delivery.id)).toMatchObject({ gsi2pk: expect.stringMatching(/^WAIT#/), gsi2sk: expect.stringContaining('2030-01-15T13:00:00.000Z') });
    expect(world.logs.find((l) => l.level === 'error')?.message).toBe('the next attempt could not be sent; the message will come back to send it again');
  });

  it('reports only the record whose state could not be saved', async () => {
    const deps = world.deps();
    world.receiver.on('/a', () => ({ status: 200 }));
    world.receiver.on('/b', () => ({ status: 200 }));
    const good = await world.seed({ endpoint: { url: hook('/a') } });
    const bad = await world.seed({ endpoint: { url: hook('/b') } });
    const store = deps.store;
    const handler: Handler = world.handler({
      ...deps,
      store: Object.assign(Object.create(Object.getPrototypeOf(store) as object) as typeof store, store, {
        recordAttempt: (record: Parameters<typeof store.recordAttempt>[0]) =>
          record.delivery.id === bad.delivery.id ? Promise.reject(new Error('throttled')) : store.recordAttempt(record),
      }),
    });
    const messages = await world.receive(1);
    const response = await handler(world.toEvent(messages), lambdaContext('deliver', 60_000));
    const badMessage = messages.find((m) => JSON.parse(m.Body!).deliveryId === bad.delivery.id)!;
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: badMessage.MessageId }] });
    expect((await world.delivery(good.delivery.id))!.status).toBe('delivered');
    // Nothing of it was stored: its message comes back and it is attempted again.
    expect(await world.delivery(bad.delivery.id)).toBeUndefined();
  });

  it('fails the whole batch when the batch read fails', async () => {
    const deps = world.deps();
    const handler = world.handler({ ...deps, store: { ...deps.store, load: () => Promise.reject(new Error('DynamoDB down')) } });
    await world.seed({ endpoint: { url: hook('/never') } });
    const messages = await world.receive(1);
    await expect(handler(world.toEvent(messages), lambdaContext('deliver', 60_000))).rejects.toThrow('DynamoDB down');
    expect(world.receiver.requestsTo('/never')).toEqual([]);
    expect(world.logs.find((l) => l.level === 'error')?.message).toBe('batch failed; every record will be retried');
  });
});
