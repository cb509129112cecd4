/**
 * Dependency faults: DynamoDB, SQS, the Scheduler and SNS failing for a while under a running local Herald.
 * The failures are injected into the SDK clients the handlers themselves use (local/fault-injection.ts): every
 * matching request fails like an unreachable service, after the SDK's own retries.
 *
 * What must hold: publish answers 503 (the error shape, never a 202 it cannot keep) while a dependency it needs is
 * down; a retry with the same Idempotency-Key after the outage answers 202 and is delivered exactly once; and
 * deliveries caught in an outage resume (the sweep re-enqueues what the queue or the Scheduler lost).
 *
 * Every retry goes through the Scheduler here (HERALD_SHORT_DELAY_SECONDS=0); the sweep runs every second with a
 * one-second grace, so recovery takes seconds, not minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injectHeraldFaults, type HeraldFaults } from '../../local/fault-injection';
import { startReceiver, type Receiver, type ReceivedRequest, type Reply } from '../support/receiver';
import { drainQueue, errorShapeProblem, eventually, waitUntilFinal, type DeliveryRecord, type HttpAnswer } from './support/herald-api';
import { startTestHerald, type TestHerald } from './support/local';

const OUTAGE_MS = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A receiver script: the first request of each webhook (by webhook-id) gets `first`, every later one 200. */
function failFirst(first: Reply): (request: ReceivedRequest) => Reply {
  const seen = new Set<string>();
  return (request) => {
    const id = String(request.headers['webhook-id']);
    if (seen.has(id)) return { status: 200, body: 'ok' };
    seen.add(id);
    return first;
  };
}

describe('dependency faults: outages of DynamoDB, SQS, the Scheduler and SNS', () => {
  let t: TestHerald;
  let receiver: Receiver;
  let faults: HeraldFaults;

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestHerald({ sweepIntervalMs: 1000, sweepGraceSeconds: 1, env: { HERALD_SHORT_DELAY_SECONDS: '0' } });
    faults = injectHeraldFaults(t.herald);
  });
  afterAll(async () => {
    faults?.remove();
    await t?.stop();
    await receiver?.close();
  });

  async function endpoint(tenant: string, path: string, retryPolicy: Record<string, unknown> = { delays: ['1s', '1s', '1s'] }): Promise<string> {
    const res = await t.api.post('/v1/endpoints', { url: receiver.url(path), tenant, timeoutMs: 2000, retryPolicy });
    expect(res.status, res.text).toBe(201);
    return res.json.id as string;
  }

  async function deliveriesOf(endpointId: string): Promise<DeliveryRecord[]> {
    const res = await t.api.get(`/v1/endpoints/${endpointId}/deliveries?limit=100`);
    expect(res.status, res.text).toBe(200);
    return res.json.data as DeliveryRecord[];
  }

  function expect503(res: HttpAnswer, what: string): void {
    expect(res.status, `${what}: ${res.text}`).toBe(503);
    expect(errorShapeProblem(res), what).toBeUndefined();
    expect(res.json.error.code).toBe('unavailable');
  }

  const oks = (path: string, webhookId: string) =>
    receiver.requestsTo(path).filter((r) => r.headers['webhook-id'] === webhookId).length;

  it('DynamoDB down: publish answers 503, reads fail cleanly, an in-flight retry resumes, the same key then gets 202 and one delivery', async () => {
    const path = '/dyn';
    receiver.on(path, failFirst({ status: 503, body: 'not yet' }));
    const ep = await endpoint('dyn', path);

    // A delivery whose retry (1 s, through the Scheduler, so at the next whole minute or by the sweep) will fall into the outage.
    const before = await t.api.post('/v1/events', { type: 'dyn.before', tenant: 'dyn', data: { n: 0 } }, { 'idempotency-key': 'dyn-0' });
    expect(before.status, before.text).toBe(202);
    const beforeDelivery = before.json.deliveries[0].id as string;
    expect(await eventually(async () => (await t.api.get(`/v1/deliveries/${beforeDelivery}`)).json?.attemptCount === 1, 10_000)).toBe(true);

    faults.dynamo.fail();
    const failed = await t.api.post('/v1/events', { type: 'dyn.during', tenant: 'dyn', data: { n: 1 } }, { 'idempotency-key': 'dyn-1' });
    expect503(failed, 'publish with a key during the outage');
    expect503(await t.api.post('/v1/events', { type: 'dyn.during', tenant: 'dyn', data: { n: 2 } }), 'publish without a key during the outage');
    const read = await t.api.get(`/v1/deliveries/${beforeDelivery}`);
    expect(read.status, read.text).toBeGreaterThanOrEqual(500);
    expect(errorShapeProblem(read)).toBeUndefined();
    const create = await t.api.post('/v1/endpoints', { url: receiver.url('/never'), tenant: 'dyn' });
    expect(create.status, create.text).toBeGreaterThanOrEqual(500);
    expect(errorShapeProblem(create)).toBeUndefined();
    // The retry of the first event falls due during the outage. The Scheduler fires it within the minute of its
    // (rounded-up) time, and the sweep (every second here) looks for it once it is overdue: whichever comes first,
    // its read fails too (the deliver handler's batch read, or the sweep's query).
    const retryReads = () => (faults.dynamo.injectedByCommand.BatchGetItemCommand ?? 0) + (faults.dynamo.injectedByCommand.QueryCommand ?? 0);
    expect(await eventually(() => retryReads() > 0, 10_000)).toBe(true);
    await sleep(OUTAGE_MS);
    const injected = faults.dynamo.injectedByCommand;
    faults.dynamo.heal();

    const retried = await t.api.post('/v1/events', { type: 'dyn.during', tenant: 'dyn', data: { n: 1 } }, { 'idempotency-key': 'dyn-1' });
    expect(retried.status, retried.text).toBe(202);
    const replay = await t.api.post('/v1/events', { type: 'dyn.during', tenant: 'dyn', data: { n: 1 } }, { 'idempotency-key': 'dyn-1' });
    expect(replay.status).toBe(202);
    expect(replay.json).toEqual(retried.json);

    const views = await waitUntilFinal(t.api, [beforeDelivery, retried.json.deliveries[0].id], { timeoutMs: 30_000 });
    expect([...views.values()].map((v) => v.status)).toEqual(['delivered', 'delivered']);
    // Nothing of the two 503 publishes was kept: the endpoint has exactly the two accepted deliveries.
    expect((await deliveriesOf(ep)).map((d) => d.id).sort()).toEqual([beforeDelivery, retried.json.deliveries[0].id].sort());
    expect(oks(path, before.json.id)).toBe(2);
    expect(oks(path, retried.json.id)).toBe(2);
    console.log(`dynamodb outage: requests failed by command ${JSON.stringify(injected)}; both deliveries delivered after recovery`);
  }, 60_000);

  it('DynamoDB failing the event write: 503 and nothing stored, then the same key gets 202 and is delivered once', async () => {
    const path = '/dyn-half';
    receiver.on(path, () => ({ status: 200, body: 'ok' }));
    const ep = await endpoint('dyn-half', path);
    // The intake's one write: the event item (payload and fan-out).
    faults.dynamo.fail({ match: (command, input) => command === 'PutItemCommand' && String(input?.Item?.pk ?? '').startsWith('EVT#') });
    try {
      const failed = await t.api.post('/v1/events', { type: 'half.way', tenant: 'dyn-half', data: { n: 1 } }, { 'idempotency-key': 'half-1' });
      expect503(failed, 'publish whose event write fails');
      expect(await deliveriesOf(ep)).toEqual([]);
      await t.herald.sweep();
    } finally {
      faults.dynamo.heal();
    }
    const retried = await t.api.post('/v1/events', { type: 'half.way', tenant: 'dyn-half', data: { n: 1 } }, { 'idempotency-key': 'half-1' });
    expect(retried.status, retried.text).toBe(202);
    const id = retried.json.deliveries[0].id as string;
    const views = await waitUntilFinal(t.api, [id], { timeoutMs: 30_000 });
    const view = views.get(id)!;
    expect(`${view.status} ${view.finalReason ?? ''}`.trim()).toBe('delivered');
    expect(oks(path, retried.json.id)).toBe(1);
  }, 60_000);

  it('SQS down: publish answers 503 (the keyed event stays stored, the unkeyed one is removed); the same key then gets 202 and one delivery', async () => {
    const path = '/sqs';
    receiver.on(path, () => ({ status: 200, body: 'ok' }));
    const ep = await endpoint('sqs', path);

    faults.sqs.fail();
    const failed = await t.api.post('/v1/events', { type: 'sqs.during', tenant: 'sqs', data: { n: 1 } }, { 'idempotency-key': 'sqs-1' });
    expect503(failed, 'publish with a key while SQS is down');
    expect503(await t.api.post('/v1/events', { type: 'sqs.during', tenant: 'sqs', data: { n: 2 } }), 'publish without a key while SQS is down');
    await sleep(OUTAGE_MS);
    expect(receiver.requestsTo(path)).toHaveLength(0);
    const injected = faults.sqs.injectedByCommand;
    expect((injected.SendMessageBatchCommand ?? 0) + (injected.SendMessageCommand ?? 0)).toBeGreaterThan(0);
    faults.sqs.heal();

    // Neither was accepted: nothing is sent until the client retries.
    await t.herald.sweep();
    await sleep(1000);
    expect(receiver.requestsTo(path)).toHaveLength(0);
    expect(await deliveriesOf(ep)).toEqual([]);

    // The client's retry with the key resumes the same event: its delivery goes out once.
    const retried = await t.api.post('/v1/events', { type: 'sqs.during', tenant: 'sqs', data: { n: 1 } }, { 'idempotency-key': 'sqs-1' });
    expect(retried.status, retried.text).toBe(202);
    const id = retried.json.deliveries[0].id as string;
    const views = await waitUntilFinal(t.api, [id], { timeoutMs: 30_000 });
    expect(views.get(id)!.status).toBe('delivered');
    const again = await t.api.post('/v1/events', { type: 'sqs.during', tenant: 'sqs', data: { n: 1 } }, { 'idempotency-key': 'sqs-1' });
    expect(again.json.id).toBe(retried.json.id);
    await sleep(1500); // the replay queued the delivery again, marked; the worker must drop it
    expect(oks(path, retried.json.id)).toBe(1);
    expect(await deliveriesOf(ep)).toHaveLength(1);
    console.log(`sqs outage: requests failed by command ${JSON.stringify(injected)}; the keyed event delivered once after the client's retry`);
  }, 60_000);

  it('Scheduler down: retries whose schedule could not be created are re-enqueued by the sweep (their records failed, indexed as waits); once it is back retries use it again', async () => {
    const path = '/sch';
    receiver.on(path, failFirst({ status: 503, body: 'not yet' }));
    await endpoint('sch', path);
    const publish = async (n: number) => {
      const res = await t.api.post('/v1/events', { type: 'sch.retry', tenant: 'sch', data: { n } }, { 'idempotency-key': `sch-${n}` });
      expect(res.status, res.text).toBe(202);
      return res.json.deliveries[0].id as string;
    };

    faults.scheduler.fail();
    const during = await Promise.all([1, 2, 3, 4, 5].map(publish));
    const duringViews = await waitUntilFinal(t.api, during, { timeoutMs: 30_000 });
    const createFailures = faults.scheduler.injectedByCommand.CreateScheduleCommand ?? 0;
    expect(createFailures, 'the retries tried the Scheduler').toBeGreaterThan(0);
    // No schedule of these deliveries exists (retries of earlier tests may still wait for their minute).
    expect(t.herald.scheduler.list().filter((s) => during.some((id) => s.Name.startsWith(id)))).toHaveLength(0);
    expect([...duringViews.values()].map((v) => v.status)).toEqual(Array(5).fill('delivered'));
    expect(t.logger.errors().some((l) => l.message === 'the next attempt could not be sent; the message will come back to send it again')).toBe(true);
    faults.scheduler.heal();

    const seenBefore = faults.scheduler.seenByCommand.CreateScheduleCommand ?? 0;
    const after = await Promise.all([6, 7, 8].map(publish));
    const afterViews = await waitUntilFinal(t.api, after, { timeoutMs: 30_000 });
    expect([...afterViews.values()].map((v) => v.status)).toEqual(Array(3).fill('delivered'));
    const created = (faults.scheduler.seenByCommand.CreateScheduleCommand ?? 0) - seenBefore;
    expect(created, 'retries after the outage created schedules').toBeGreaterThanOrEqual(3);
    console.log(`scheduler outage: ${createFailures} CreateSchedule requests failed; 5 retries re-enqueued by the sweep; ${created} schedules created after recovery`);
  }, 60_000);

  it('SNS down: a dead letter is still on the dead-letter queue and in the dead list; the failed alert is logged', async () => {
    const path = '/sns';
    receiver.on(path, () => ({ status: 400, body: 'rejected' }));
    await endpoint('sns', path, { delays: ['1s'] });
    await drainQueue(t.clients.sqs, t.herald.resources.deadLetterQueueUrl);
    faults.sns.fail();
    const res = await t.api.post('/v1/events', { type: 'sns.dead', tenant: 'sns', data: {} }, { 'idempotency-key': 'sns-1' });
    expect(res.status).toBe(202);
    const id = res.json.deliveries[0].id as string;
    const views = await waitUntilFinal(t.api, [id], { timeoutMs: 20_000 });
    expect(views.get(id)!.status).toBe('dead');
    const onDlq: string[] = [];
    await eventually(async () => {
      for (const m of await drainQueue(t.clients.sqs, t.herald.resources.deadLetterQueueUrl)) onDlq.push(JSON.parse(m.Body ?? '{}').deliveryId);
      return onDlq.includes(id);
    }, 10_000);
    expect(onDlq).toEqual([id]);
    // The dead letter is queued before its alert is tried, and the SDK retries the failing publish first: wait for the
    // log, and only then count the refused publishes (right after the dead letter there may be none yet).
    expect(await eventually(() => t.logger.errors().some((l) => l.message === 'dead-letter alert failed' && l.fields.deliveryId === id), 15_000)).toBe(true);
    expect((faults.sns.injectedByCommand.PublishCommand ?? 0)).toBeGreaterThan(0);
    faults.sns.heal();
  }, 40_000);
});
