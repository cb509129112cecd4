import { randomBytes } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { deliveryKey, readDelivery, readDeliveryItem, writeDelivery } from '../../support/store-items';
import type { Attempt, Delivery } from '../../../lambdas/core/model';
import { drainDeliveryQueue, useTestApi } from '../../support/api-events';

const START = Date.parse('2030-03-01T00:00:00.000Z');
const MINUTE = 60_000;

describe('delivery routes: read, retry, recover, lists', () => {
  const h = useTestApi(START);
  const { clock } = h;

  const newTenant = () => `tenant-${randomBytes(4).toString('hex')}`;

  async function endpoint(tenant: string): Promise<string> {
    clock.advance(1);
    const res = await h.t.api.post('/v1/endpoints', { url: 'https://hooks.example.com/in', tenant });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  /** Publishes one event to the tenant and returns the delivery id of `endpointId`. */
  async function publish(tenant: string, endpointId: string, type = 'thing.happened'): Promise<string> {
    clock.advance(1);
    const res = await h.t.api.post('/v1/events', { type, data: { at: clock.now() }, tenant });
    expect(res.status).toBe(202);
    return res.body.deliveries.find((d: { endpointId: string }) => d.endpointId === endpointId).id;
  }

  /** The delivery as stored (pending from its event while it has no item). */
  async function stored(id: string): Promise<Delivery> {
    const { attempts: _a, ...delivery } = await readDelivery(h.env, id);
    return delivery;
  }

  async function storedItem(id: string): Promise<Record<string, unknown>> {
    return (await readDeliveryItem(h.env, id))!;
  }

  /** Writes a delivery state the way the deliver worker does (through the shared schema), keeping its attempts. */
  async function setState(id: string, change: Partial<Delivery>): Promise<Delivery> {
    const { nextAttemptAt: _n, finalReason: _f, lastOutcome: _l, ...current } = await readDelivery(h.env, id);
    const next = { ...current, ...change } as Delivery;
    await writeDelivery(h.env, next);
    return next;
  }

  /** Appends an attempt to its stored delivery, as the worker's commit does. */
  async function addAttempt(attempt: Attempt): Promise<void> {
    const delivery = await readDelivery(h.env, attempt.deliveryId);
    await writeDelivery(h.env, delivery, [...(delivery.attempts ?? []), attempt]);
  }

  it('GET /v1/deliveries/{id} returns the delivery with every attempt, oldest first', async () => {
    const tenant = newTenant();
    const ep = await endpoint(tenant);
    const id = await publish(tenant, ep);
    const d = await setState(id, {
      status: 'retrying',
      attemptCount: 2,
      nextAttemptAt: START + 10 * MINUTE,
      lastOutcome: { kind: 'timeout' },
      updatedAt: START + 2 * MINUTE,
    });
    await addAttempt({
      deliveryId: id,
      number: 2,
      startedAt: START + 2 * MINUTE,
      latencyMs: 15000,
      outcome: { kind: 'timeout' },
      error: 'no response within 15000 ms',
      next: { kind: 'retry', at: START + 10 * MINUTE, basis: 'backoff' },
    });
    await addAttempt({
      deliveryId: id,
      number: 1,
      startedAt: START + MINUTE,
      latencyMs: 42,
      outcome: { kind: 'http', status: 503, retryAfter: '60' },
      responseExcerpt: 'busy',
      next: { kind: 'retry', at: START + 2 * MINUTE, basis: 'retry_after' },
    });

    const res = await h.t.api.get(`/v1/deliveries/${id}`);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id,
      eventId: d.eventId,
      endpointId: ep,
      tenant,
      eventType: 'thing.happened',
      status: 'retrying',
      attemptCount: 2,
      nextAttemptAt: new Date(START + 10 * MINUTE).toISOString(),
      lastOutcome: { kind: 'timeout', statusCode: null },
      finalReason: null,
      createdAt: new Date(d.createdAt).toISOString(),
      updatedAt: new Date(START + 2 * MINUTE).toISOString(),
      attempts: [
        {
          number: 1,
          startedAt: new Date(START + MINUTE).toISOString(),
          latencyMs: 42,
          outcome: 'http',
          statusCode: 503,
          error: null,
          responseExcerpt: 'busy',
          next: { kind: 'retry', at: new Date(START + 2 * MINUTE).toISOString(), basis: 'retry_after' },
        },
        {
          number: 2,
          startedAt: new Date(START + 2 * MINUTE).toISOString(),
          latencyMs: 15000,
          outcome: 'timeout',
          statusCode: null,
          error: 'no response within 15000 ms',
          responseExcerpt: null,
          next: { kind: 'retry', at: new Date(START + 10 * MINUTE).toISOString(), basis: 'backoff' },
        },
      ],
    });
    const event = await h.t.api.get(`/v1/events/${d.eventId}`);
    expect(event.body.deliveries[0]).not.toHaveProperty('attempts');
    expect(event.body.deliveries[0]).toMatchObject({ id, status: 'retrying', attemptCount: 2 });
    expect((await h.t.api.get('/v1/deliveries/dlv_missing')).status).toBe(404);
  });

  it('retries a dead delivery: a new round, back in the work index, its next attempt queued', async () => {
    const tenant = newTenant();
    const ep = await endpoint(tenant);
    const id = await publish(tenant, ep);
    await drainDeliveryQueue(h.env);
    await setState(id, {
      status: 'dead',
      attemptCount: 8,
      finalReason: '8 of 8 attempts made',
      updatedAt: START + 60 * MINUTE,
    });
    await addAttempt({
      deliveryId: id,
      number: 8,
      startedAt: START + 60 * MINUTE,
      latencyMs: 10,
      outcome: { kind: 'http', status: 500 },
      next: { kind: 'dead', reason: 'exhausted', detail: '8 of 8 attempts made' },
    });
    expect(String((await storedItem(id)).gsi3pk)).toMatch(/^DEAD#[0-7]$/);
    clock.time = START + 90 * MINUTE;

    const res = await h.t.api.post(`/v1/deliveries/${id}/retry`);

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id, status: 'pending', attemptCount: 8, finalReason: null, nextAttemptAt: new Date(clock.now()).toISOString() });
    expect(await stored(id)).toMatchObject({
      status: 'pending',
      attemptCount: 8,
      roundStartedAt: clock.now(),
      roundFirstAttempt: 9,
      nextAttemptAt: clock.now(),
      updatedAt: clock.now(),
      lastOutcome: { kind: 'http', status: 500 },
    });
    const item = await storedItem(id);
    expect(item.finalReason).toBeUndefined();
    // Indexed as a wait until its next attempt is made, so the sweep re-enqueues it if the message is lost.
    expect(String(item.gsi2pk)).toMatch(/^WAIT#[0-7]$/);
    expect(item.gsi3pk).toBeUndefined();
    expect(await drainDeliveryQueue(h.env)).toEqual([{ deliveryId: id, attempt: 9, redelivery: true }]);
    expect(h.t.queue.sent.at(-1)).toEqual([{ message: { deliveryId: id, attempt: 9, redelivery: true }, groupId: ep }]);

    // The new round keeps the attempts made so far.
    expect((await h.t.api.get(`/v1/deliveries/${id}`)).body.attempts).toHaveLength(1);

    // Pending already: queued again as it is (safe to repeat after a 503), no new round.
    clock.advance(MINUTE);
    const again = await h.t.api.post(`/v1/deliveries/${id}/retry`);
    expect(again.status).toBe(202);
    expect((await stored(id)).roundStartedAt).toBe(START + 90 * MINUTE);
    expect(await drainDeliveryQueue(h.env)).toEqual([{ deliveryId: id, attempt: 9, redelivery: true }]);
  });

  it('retries a delivered one on purpose, refuses one whose endpoint is gone, and 404s an unknown one', async () => {
    const tenant = newTenant();
    const ep = await endpoint(tenant);
    const gone = await endpoint(tenant);
    const id = await publish(tenant, ep);
    const orphan = await publish(tenant, gone);
    await setState(id, { status: 'delivered', attemptCount: 1, lastOutcome: { kind: 'http', status: 200 } });
    await drainDeliveryQueue(h.env);

    const res = await h.t.api.post(`/v1/deliveries/${id}/retry`);
    expect(res.status).toBe(202);
    expect(await drainDeliveryQueue(h.env)).toEqual([{ deliveryId: id, attempt: 2, redelivery: true }]);

    expect((await h.t.api.delete(`/v1/endpoints/${gone}`)).status).toBe(200);
    const refused = await h.t.api.post(`/v1/deliveries/${orphan}/retry`);
    expect(refused.status).toBe(409);
    // Not attempted yet, so nothing was stored to cancel: its queued first attempt finds the endpoint gone and
    // cancels it (the deliver tests cover that).
    expect((await stored(orphan)).status).toBe('pending');
    expect((await h.t.api.post('/v1/deliveries/dlv_missing/retry')).status).toBe(404);
    expect(await drainDeliveryQueue(h.env)).toEqual([]);
  });

  it('answers 503 when the retry cannot be queued, and the repeated call queues it', async () => {
    const tenant = newTenant();
    const ep = await endpoint(tenant);
    const id = await publish(tenant, ep);
    await setState(id, { status: 'dead', attemptCount: 3, finalReason: 'HTTP 400 is not retried' });
    await drainDeliveryQueue(h.env);
    h.t.queue.failNext(1);

    const failed = await h.t.api.post(`/v1/deliveries/${id}/retry`);
    expect(failed.status).toBe(503);
    expect(failed.body.error.code).toBe('unavailable');
    expect((await stored(id)).status).toBe('pending');

    const again = await h.t.api.post(`/v1/deliveries/${id}/retry`);
    expect(again.status).toBe(202);
    expect(await drainDeliveryQueue(h.env)).toEqual([{ deliveryId: id, attempt: 4, redelivery: true }]);
  });

  it('refuses to start a round while a worker holds the delivery (an attempt in flight), and starts it after', async () => {
    const tenant = newTenant();
    const ep = await endpoint(tenant);
    const id = await publish(tenant, ep);
    await setState(id, { status: 'retrying', attemptCount: 1, nextAttemptAt: clock.now() + 60 * MINUTE });
    await drainDeliveryQueue(h.env);
    // The worker's claim on attempt 2.
    await h.env.clients.doc.send(
      new UpdateCommand({
        TableName: h.env.resources.tableName,
        Key: await deliveryKey(h.env, id),
        UpdateExpression: 'SET leaseUntil = :l',
        ExpressionAttributeValues: { ':l': clock.now() + 20_000 },
      }),
    );

    const busy = await h.t.api.post(`/v1/deliveries/${id}/retry`);
    expect(busy.status).toBe(409);
    expect(busy.body.error.message).toBe('an attempt of this delivery is in progress; retry in a few seconds');
    expect((await stored(id)).status).toBe('retrying');
    const recovered = await h.t.api.post(`/v1/endpoints/${ep}/recover`, { since: '2000-01-01T00:00:00Z' });
    expect(recovered.body).toEqual({ count: 0, deliveryIds: [], more: true });
    expect(await drainDeliveryQueue(h.env)).toEqual([]);

    clock.advance(20_001);
    const res = await h.t.api.post(`/v1/deliveries/${id}/retry`);
    expect(res.status).toBe(202);
    expect(await drainDeliveryQueue(h.env)).toEqual([{ deliveryId: id, attempt: 2, redelivery: true }]);
  });

  it('recovers every failed delivery of an endpoint created since a time', async () => {
    const tenant = newTenant();
    const ep = await endpoint(tenant);
    const other = await endpoint(tenant);
    const oldDead = await publish(tenant, ep);
    clock.advance(MINUTE);
    const since = clock.now();
    const dead = await publish(tenant, ep);
    const canceled = await publish(tenant, ep);
    const retrying = await publish(tenant, ep);
    const delivered = await publish(tenant, ep);
    const pending = await publish(tenant, ep);
    const otherDead = await publish(tenant, other);
    await setState(oldDead, { status: 'dead', attemptCount: 8, finalReason: 'exhausted' });
    await setState(dead, { status: 'dead', attemptCount: 8, finalReason: 'exhausted' });
    await setState(canceled, { status: 'canceled', attemptCount: 1, finalReason: 'HTTP 410' });
    await setState(retrying, { status: 'retrying', attemptCount: 2, nextAttemptAt: clock.now() + 3_600_000 });
    await setState(delivered, { status: 'delivered', attemptCount: 1 });
    await setState(otherDead, { status: 'dead', attemptCount: 8, finalReason: 'exhausted' });
    await drainDeliveryQueue(h.env);
    clock.advance(MINUTE);

    const res = await h.t.api.post(`/v1/endpoints/${ep}/recover`, { since: new Date(since).toISOString() });

    expect(res.status).toBe(202);
    expect(res.body).toEqual({ count: 3, deliveryIds: [dead, canceled, retrying], more: false });
    const queued = await drainDeliveryQueue(h.env);
    expect(queued.sort((a, b) => a.deliveryId.localeCompare(b.deliveryId))).toEqual(
      [
        { deliveryId: dead, attempt: 9, redelivery: true },
        { deliveryId: canceled, attempt: 2, redelivery: true },
        { deliveryId: retrying, attempt: 3, redelivery: true },
      ].sort((a, b) => a.deliveryId.localeCompare(b.deliveryId)),
    );
    for (const id of [dead, canceled, retrying]) {
      expect(await stored(id)).toMatchObject({ status: 'pending', roundStartedAt: clock.now(), nextAttemptAt: clock.now() });
    }
    expect((await stored(oldDead)).status).toBe('dead');
    expect((await stored(delivered)).status).toBe('delivered');
    expect((await stored(pending)).status).toBe('pending');
    expect((await stored(otherDead)).status).toBe('dead');

    // Recovered ones are pending now: a second call finds nothing.
    expect((await h.t.api.post(`/v1/endpoints/${ep}/recover`, { since: new Date(since).toISOString() })).body).toEqual({
      count: 0,
      deliveryIds: [],
      more: false,
    });
    for (const body of [{}, { since: 'yesterday' }, { since: '2030-01-01T00:00:00Z', until: 'x' }]) {
      expect((await h.t.api.post(`/v1/endpoints/${ep}/recover`, body)).status).toBe(400);
    }
    expect((await h.t.api.post('/v1/endpoints/ep_missing/recover', { since: '2030-01-01T00:00:00Z' })).status).toBe(404);
  });

  it('lists an endpoint\'s deliveries newest first, filtered by status, page by page', async () => {
    const tenant = newTenant();
    const ep = await endpoint(tenant);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await publish(tenant, ep));
    // A delivery is listed from its first write (an attempt, a park, a redelivery); the others wait as pending items.
    for (const i of [0, 2, 4]) await setState(ids[i]!, {});
    await setState(ids[1]!, { status: 'dead', attemptCount: 8, finalReason: 'exhausted' });
    await setState(ids[3]!, { status: 'dead', attemptCount: 8, finalReason: 'exhausted' });
    // Not attempted yet: no item, not listed (its event shows it pending).
    const unattempted = await publish(tenant, ep);
    expect((await h.t.api.get(`/v1/deliveries/${unattempted}`)).body).toMatchObject({ status: 'pending', attempts: [] });

    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } = await h.t.api.get(`/v1/endpoints/${ep}/deliveries`, { limit: '2', ...(cursor === null ? {} : { cursor }) });
      expect(res.status).toBe(200);
      all.push(...res.body.data.map((d: { id: string }) => d.id));
      cursor = res.body.nextCursor;
    } while (cursor !== null);
    expect(all).toEqual([...ids].reverse());

    const dead = await h.t.api.get(`/v1/endpoints/${ep}/deliveries`, { status: 'dead' });
    expect(dead.body.data.map((d: { id: string; status: string }) => [d.id, d.status])).toEqual([
      [ids[3], 'dead'],
      [ids[1], 'dead'],
    ]);
    const pending = await h.t.api.get(`/v1/endpoints/${ep}/deliveries`, { status: 'pending', limit: '100' });
    expect(pending.body).toEqual({ data: expect.any(Array), nextCursor: null });
    expect(pending.body.data.map((d: { id: string }) => d.id)).toEqual([ids[4], ids[2], ids[0]]);

    const page = await h.t.api.get(`/v1/endpoints/${ep}/deliveries`, { limit: '1' });
    const otherEp = await endpoint(tenant);
    expect((await h.t.api.get(`/v1/endpoints/${otherEp}/deliveries`, { cursor: page.body.nextCursor })).status).toBe(400);
    expect((await h.t.api.get(`/v1/endpoints/${ep}/deliveries`, { status: 'lost' })).status).toBe(400);
    expect((await h.t.api.get(`/v1/endpoints/${ep}/deliveries`, { cursor: 'x' })).status).toBe(400);
    expect((await h.t.api.get('/v1/endpoints/ep_missing/deliveries')).status).toBe(404);
  });

  it('lists dead letters across endpoints, newest first', async () => {
    const tenant = newTenant();
    const a = await endpoint(tenant);
    const b = await endpoint(tenant);
    const d1 = await publish(tenant, a);
    const d2 = await publish(tenant, b);
    await setState(d1, { status: 'dead', attemptCount: 8, finalReason: 'exhausted', updatedAt: START + 500 * MINUTE });
    await setState(d2, { status: 'dead', attemptCount: 1, finalReason: 'HTTP 400 is not retried', updatedAt: START + 501 * MINUTE });

    const res = await h.t.api.get('/v1/deliveries', { status: 'dead', limit: '2' });

    expect(res.status).toBe(200);
    expect(res.body.data.map((d: { id: string; endpointId: string; finalReason: string }) => [d.id, d.endpointId, d.finalReason])).toEqual([
      [d2, b, 'HTTP 400 is not retried'],
      [d1, a, 'exhausted'],
    ]);
    const next = await h.t.api.get('/v1/deliveries', { status: 'dead', limit: '2', cursor: res.body.nextCursor });
    expect(next.status).toBe(200);
    expect(next.body.data.map((d: { id: string }) => d.id)).not.toContain(d1);
    expect((await h.t.api.get('/v1/deliveries')).status).toBe(400);
    expect((await h.t.api.get('/v1/deliveries', { status: 'pending' })).status).toBe(400);
  });
});
