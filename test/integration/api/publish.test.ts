import { randomBytes } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsDeliveryQueue } from '../../../lambdas/adapters/sqs-delivery-queue';
import { keys } from '../../../lambdas/adapters/dynamo/schema';
import { idBody } from '../../../lambdas/core/ids';
import { readDeliveryItem } from '../../support/store-items';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/emulators';
import { createTestApi, drainDeliveryQueue, scanTable, useTestApi, type TestApi } from '../../support/api-events';

const START = Date.parse('2030-01-01T00:00:00.000Z');
const RETENTION_SECONDS = 30 * 86_400;

describe('POST /v1/events: durable intake with fan-out', () => {
  const h = useTestApi(START);
  const { clock } = h;
  beforeEach(() => {
    clock.time = START;
  });

  const newTenant = () => `tenant-${randomBytes(4).toString('hex')}`;

  async function createEndpoint(api: TestApi, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
    // One millisecond apart, so endpoints (listed by creation time) have a known order.
    clock.advance(1);
    const res = await api.api.post('/v1/endpoints', { url: 'https://hooks.example.com/in', ...body });
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string };
  }

  async function item(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    const out = await h.env.clients.doc.send(new GetCommand({ TableName: h.env.resources.tableName, Key: key }));
    return out.Item;
  }

  it('fans out to the tenant\'s matching endpoints: enabled ones pending and queued, disabled ones skipped and not queued', async () => {
    const tenant = newTenant();
    const prefix = await createEndpoint(h.t, { tenant, eventTypes: ['order.*'] });
    const all = await createEndpoint(h.t, { tenant });
    const disabled = await createEndpoint(h.t, { tenant, eventTypes: ['order.created'], disabled: true });
    await createEndpoint(h.t, { tenant, eventTypes: ['invoice.*'] });
    await createEndpoint(h.t, { tenant: newTenant() });

    const publishedAt = clock.now();
    const res = await h.t.api.post('/v1/events', { type: 'order.created', data: { orderId: 7, items: ['a'] }, tenant });

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ type: 'order.created', tenant, createdAt: new Date(publishedAt).toISOString() });
    expect(res.body.id).toMatch(/^evt_[0-9A-Z]{26}$/);
    const deliveries = res.body.deliveries as { id: string; endpointId: string; status: string }[];
    expect(deliveries.map((d) => [d.endpointId, d.status])).toEqual([
      [prefix.id, 'pending'],
      [all.id, 'pending'],
      [disabled.id, 'skipped'],
    ]);
    expect(new Set(deliveries.map((d) => d.id)).size).toBe(3);

    const queued = await drainDeliveryQueue(h.env);
    expect(queued.sort((a, b) => a.deliveryId.localeCompare(b.deliveryId))).toEqual(
      deliveries
        .filter((d) => d.status === 'pending')
        .map((d) => ({ deliveryId: d.id, attempt: 1 }))
        .sort((a, b) => a.deliveryId.localeCompare(b.deliveryId)),
    );

    const event = await h.t.api.get(`/v1/events/${res.body.id}`);
    expect(event.status).toBe(200);
    expect(event.body).toMatchObject({ id: res.body.id, type: 'order.created', tenant, data: { orderId: 7, items: ['a'] } });
    expect(event.body.deliveries.map((d: { endpointId: string; status: string; finalReason: string | null }) => [d.endpointId, d.status, d.finalReason])).toEqual([
      [prefix.id, 'pending', null],
      [all.id, 'pending', null],
      [disabled.id, 'skipped', 'endpoint disabled when the event was published'],
    ]);

    // One write for the whole event: its payload and fan-out in one item, with the TTL. A pending delivery has no
    // item before its first attempt; a skipped one is recorded (the endpoint lists show it).
    const ttl = Math.floor(publishedAt / 1000) + RETENTION_SECONDS;
    const stored = await item(keys.event(idBody(res.body.id)));
    expect(stored).toMatchObject({ id: res.body.id, expiresAt: ttl, fo: [{ e: prefix.id }, { e: all.id }, { e: disabled.id, s: 1 }] });
    expect(await readDeliveryItem(h.env, deliveries[0]!.id)).toBeUndefined();
    const skipped = await readDeliveryItem(h.env, deliveries[2]!.id);
    expect(skipped).toMatchObject({ status: 'skipped', expiresAt: ttl });
    expect(skipped?.gsi2pk).toBeUndefined();
    expect(skipped?.gsi3pk).toBeUndefined();
    const listed = await h.t.api.get(`/v1/endpoints/${disabled.id}/deliveries`, { status: 'skipped' });
    expect(listed.body.data.map((d: { id: string }) => d.id)).toEqual([deliveries[2]!.id]);
  });

  it('keeps tenants apart: an event reaches only endpoints of its own tenant, and an event without tenant only endpoints without one', async () => {
    const a = newTenant();
    const b = newTenant();
    const type = `iso.${randomBytes(3).toString('hex')}`;
    const epA = await createEndpoint(h.t, { tenant: a, eventTypes: [type] });
    const epB = await createEndpoint(h.t, { tenant: b, eventTypes: [type] });
    const epNone = await createEndpoint(h.t, { eventTypes: [type] });

    const toA = await h.t.api.post('/v1/events', { type, data: {}, tenant: a });
    const toNone = await h.t.api.post('/v1/events', { type, data: {} });

    expect(toA.body.deliveries.map((d: { endpointId: string }) => d.endpointId)).toEqual([epA.id]);
    expect(toNone.body.tenant).toBeNull();
    expect(toNone.body.deliveries.map((d: { endpointId: string }) => d.endpointId)).toEqual([epNone.id]);
    const queued = await drainDeliveryQueue(h.env);
    expect(queued).toHaveLength(2);
    const b1 = await h.t.api.get(`/v1/endpoints/${epB.id}/deliveries`);
    expect(b1.body.data).toEqual([]);
  });

  it('stores params and errors with the event, shows them on GET, and an "all" subscription receives every type', async () => {
    const tenant = newTenant();
    const all = await createEndpoint(h.t, { tenant, eventTypes: ['all'], payloadFormat: 'cryptr' });
    expect((await h.t.api.get(`/v1/endpoints/${all.id}`)).body).toMatchObject({ eventTypes: ['*'], payloadFormat: 'cryptr' });
    expect((await h.t.api.patch(`/v1/endpoints/${all.id}`, { payloadFormat: 'data' })).body).toMatchObject({ payloadFormat: 'data' });
    expect((await h.t.api.get(`/v1/endpoints/${all.id}`)).body).toMatchObject({ payloadFormat: 'data' });

    const res = await h.t.api.post('/v1/events', { type: 'sso.saml.login', data: { a: 1 }, tenant, params: { b: [1, 'x'] }, errors: [{ e: 1 }] });
    expect(res.status).toBe(202);
    expect(res.body.deliveries.map((d: { endpointId: string }) => d.endpointId)).toEqual([all.id]);
    const event = await h.t.api.get(`/v1/events/${res.body.id}`);
    expect(event.body).toMatchObject({ data: { a: 1 }, params: { b: [1, 'x'] }, errors: [{ e: 1 }] });
    await drainDeliveryQueue(h.env);
  });

  it('returns the first answer for a repeated Idempotency-Key and creates nothing more; its deliveries are queued again as possible duplicates', async () => {
    const tenant = newTenant();
    await createEndpoint(h.t, { tenant });
    const body = { type: 'user.created', data: { a: 1, b: [1, 2] }, tenant };
    const publishedAt = clock.now();
    const first = await h.t.api.post('/v1/events', body, { headers: { 'idempotency-key': 'key-replay-1' } });
    expect(first.status).toBe(202);
    expect(await drainDeliveryQueue(h.env)).toHaveLength(1);
    const before = await scanTable(h.env.clients.doc, h.env.resources.tableName);
    const sends = h.t.queue.sent.length;

    clock.advance(5000);
    // Same request, keys in another order and other formatting: the same request.
    const again = await h.t.api.request('POST', '/v1/events', {
      body: `{ "tenant": "${tenant}", "data": {"b": [1, 2], "a": 1}, "type": "user.created" }`,
      headers: { 'idempotency-key': 'key-replay-1' },
    });

    expect(again.status).toBe(202);
    expect(again.rawBody).toBe(first.rawBody);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await scanTable(h.env.clients.doc, h.env.resources.tableName)).toEqual(before);
    // The first request may have failed after storing the event: its deliveries go out again, marked, so the
    // worker claims each and drops those already made.
    expect(h.t.queue.sent.length).toBe(sends + 1);
    expect(await drainDeliveryQueue(h.env)).toEqual([{ deliveryId: first.body.deliveries[0].id, attempt: 1, redelivery: true }]);
    // The key is scoped by tenant: the event id is derived from it, and the event item is the idempotency record.
    expect(first.body.id).toMatch(/^evt_[0-7][0-9A-Z]{25}$/);
    const stored = await item(keys.event(idBody(first.body.id)));
    expect(stored).toMatchObject({ idempotencyKey: 'key-replay-1', expiresAt: Math.floor(publishedAt / 1000) + RETENTION_SECONDS });
    const otherTenant = await h.t.api.post('/v1/events', { ...body, tenant: newTenant() }, { headers: { 'idempotency-key': 'key-replay-1' } });
    expect(otherTenant.status).toBe(202);
    expect(otherTenant.body.id).not.toBe(first.body.id);
  });

  it('puts a keyed event into its first-attempt messages (fan-out reduced to each endpoint), an unkeyed or large one not', async () => {
    const tenant = newTenant();
    const a = await createEndpoint(h.t, { tenant });
    const b = await createEndpoint(h.t, { tenant });
    const keyed = await h.t.api.post('/v1/events', { type: 'order.paid', data: { n: 1e20, s: 'é' }, tenant }, { headers: { 'idempotency-key': 'carry-1' } });
    expect(keyed.status).toBe(202);
    const carried = (await drainDeliveryQueue(h.env)) as unknown as { deliveryId: string; event?: Record<string, unknown> }[];
    expect(carried).toHaveLength(2);
    for (const endpoint of [a, b]) {
      const message = carried.find((m) => m.deliveryId.endsWith(idBody(endpoint.id)));
      expect(message?.event).toMatchObject({ id: keyed.body.id, type: 'order.paid', tenant, data: { n: 1e20, s: 'é' }, fanOut: [{ endpointId: endpoint.id }] });
    }

    const unkeyed = await h.t.api.post('/v1/events', { type: 'order.paid', data: { n: 2 }, tenant });
    expect(unkeyed.status).toBe(202);
    const large = await h.t.api.post('/v1/events', { type: 'order.paid', data: { blob: 'x'.repeat(8000) }, tenant }, { headers: { 'idempotency-key': 'carry-2' } });
    expect(large.status).toBe(202);
    const plain = await drainDeliveryQueue(h.env);
    expect(plain).toHaveLength(4);
    expect(plain.every((m) => !('event' in m))).toBe(true);
  });

  it('uses the body id as event id and idempotency key when no header is sent', async () => {
    const tenant = newTenant();
    await createEndpoint(h.t, { tenant });
    const id = `order-${randomBytes(4).toString('hex')}`;
    const first = await h.t.api.post('/v1/events', { id, type: 'order.paid', data: { x: 1 }, tenant });
    expect(first.status).toBe(202);
    expect(first.body.id).toBe(id);
    const before = await scanTable(h.env.clients.doc, h.env.resources.tableName);
    const again = await h.t.api.post('/v1/events', { id, type: 'order.paid', data: { x: 1 }, tenant });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(await scanTable(h.env.clients.doc, h.env.resources.tableName)).toEqual(before);
    expect(await drainDeliveryQueue(h.env)).toHaveLength(2);

    const changed = await h.t.api.post('/v1/events', { id, type: 'order.paid', data: { x: 2 }, tenant });
    expect(changed.status).toBe(409);
    expect(changed.body.error.code).toBe('conflict');
    // The id is taken: another key cannot publish an event with it.
    const otherKey = await h.t.api.post('/v1/events', { id, type: 'order.paid', data: { x: 1 }, tenant }, { headers: { 'idempotency-key': 'other' } });
    expect(otherKey.status).toBe(409);
    expect(await scanTable(h.env.clients.doc, h.env.resources.tableName)).toEqual(before);
  });

  it('answers 409 for the same key with a different body and writes nothing', async () => {
    const tenant = newTenant();
    await createEndpoint(h.t, { tenant });
    const first = await h.t.api.post('/v1/events', { type: 'a.b', data: { v: 1 }, tenant }, { headers: { 'idempotency-key': 'key-409' } });
    expect(first.status).toBe(202);
    await drainDeliveryQueue(h.env);
    const before = await scanTable(h.env.clients.doc, h.env.resources.tableName);

    for (const body of [
      { type: 'a.b', data: { v: 2 }, tenant },
      { type: 'a.c', data: { v: 1 }, tenant },
    ]) {
      const res = await h.t.api.post('/v1/events', body, { headers: { 'idempotency-key': 'key-409' } });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({
        error: { code: 'conflict', message: 'this idempotency key was already used with a different request', details: [] },
      });
    }
    expect(await scanTable(h.env.clients.doc, h.env.resources.tableName)).toEqual(before);
    expect(await drainDeliveryQueue(h.env)).toEqual([]);
  });

  it('answers 503 when the enqueue fails, then the same key resumes: 202, the same event id, no duplicate deliveries', async () => {
    const tenant = newTenant();
    const ep1 = await createEndpoint(h.t, { tenant });
    const ep2 = await createEndpoint(h.t, { tenant });
    h.t.queue.failNext(1);
    const publishedAt = clock.now();

    const failed = await h.t.api.post('/v1/events', { type: 'x.y', data: { n: 1 }, tenant }, { headers: { 'idempotency-key': 'key-resume' } });

    expect(failed.status).toBe(503);
    expect(failed.body.error).toEqual({
      code: 'unavailable',
      message: 'Herald could not store or queue the event; retry with the same Idempotency-Key',
      details: [],
    });
    expect(await drainDeliveryQueue(h.env)).toEqual([]);
    // The event is stored (its key taken), its deliveries not queued.
    const events = (await scanTable(h.env.clients.doc, h.env.resources.tableName)).filter((i) => i.entity === 'event' && i.idempotencyKey === 'key-resume' && i.tenant === tenant);
    expect(events).toHaveLength(1);
    const eventId = events[0]!.id as string;
    const deliveriesOf = async () =>
      (await scanTable(h.env.clients.doc, h.env.resources.tableName)).filter((i) => i.entity === 'delivery' && i.eventId === eventId);
    expect(await deliveriesOf()).toEqual([]);

    clock.advance(2000);
    const resumed = await h.t.api.post('/v1/events', { type: 'x.y', data: { n: 1 }, tenant }, { headers: { 'idempotency-key': 'key-resume' } });

    expect(resumed.status).toBe(202);
    expect(resumed.body.id).toBe(eventId);
    expect(resumed.body.createdAt).toBe(new Date(publishedAt).toISOString());
    const ids = resumed.body.deliveries.map((d: { id: string }) => d.id).sort();
    expect(resumed.body.deliveries.map((d: { endpointId: string }) => d.endpointId).sort()).toEqual([ep1.id, ep2.id].sort());
    const queued = await drainDeliveryQueue(h.env);
    expect(queued.map((m) => m.deliveryId).sort()).toEqual(ids);
    expect(queued.every((m) => m.redelivery === true && m.attempt === 1)).toBe(true);
    expect(await deliveriesOf()).toEqual([]);

    const replay = await h.t.api.post('/v1/events', { type: 'x.y', data: { n: 1 }, tenant }, { headers: { 'idempotency-key': 'key-resume' } });
    expect(replay.rawBody).toBe(resumed.rawBody);
  });

  it('answers 503 without a key when the enqueue fails, and removes the event it stored (the retry makes a new one)', async () => {
    const tenant = newTenant();
    await createEndpoint(h.t, { tenant });
    h.t.queue.failNext(1);
    const failed = await h.t.api.post('/v1/events', { type: 'x.z', data: { n: 1 }, tenant });
    expect(failed.status).toBe(503);
    const events = (await scanTable(h.env.clients.doc, h.env.resources.tableName)).filter((i) => i.entity === 'event' && i.tenant === tenant);
    expect(events).toEqual([]);
  });

  it('fans out to 25 endpoints with batched SQS sends', async () => {
    let batches = 0;
    const sqs = new SQSClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: h.env.sqsEndpoint });
    sqs.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'SendMessageBatchCommand') batches++;
        return next(args);
      },
      { step: 'initialize', name: 'countBatches' },
    );
    const counted = createTestApi(h.env, clock, { innerQueue: new SqsDeliveryQueue(sqs, h.env.resources.deliveryQueueUrl) });
    const tenant = newTenant();
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push((await createEndpoint(counted, { tenant, description: `ep ${i}` })).id);

    const res = await counted.api.post('/v1/events', { type: 'bulk.sent', data: {}, tenant });

    expect(res.status).toBe(202);
    expect(res.body.deliveries.map((d: { endpointId: string }) => d.endpointId)).toEqual(ids);
    expect(batches).toBe(3);
    const queued = await drainDeliveryQueue(h.env);
    expect(new Set(queued.map((m) => m.deliveryId))).toEqual(new Set(res.body.deliveries.map((d: { id: string }) => d.id)));
    expect(queued.every((m) => m.attempt === 1)).toBe(true);
    sqs.destroy();
  });

  it('rejects every invalid publish with the right 4xx and writes nothing', async () => {
    const small = createTestApi(h.env, clock, { maxPayloadBytes: 2048 });
    const tenant = newTenant();
    await createEndpoint(h.t, { tenant });
    const before = await scanTable(h.env.clients.doc, h.env.resources.tableName);
    const cases: { name: string; send: () => Promise<{ status: number; body: any }>; status: number; code: string; paths?: string[] }[] = [
      { name: 'malformed JSON', send: () => h.t.api.request('POST', '/v1/events', { body: '{"type": "a.b", "data": ' }), status: 400, code: 'malformed_json' },
      {
        name: 'not JSON content type',
        send: () => h.t.api.request('POST', '/v1/events', { body: '{"type":"a.b","data":{}}', headers: { 'content-type': 'text/plain' } }),
        status: 415,
        code: 'unsupported_media_type',
      },
      { name: 'no body', send: () => h.t.api.post('/v1/events'), status: 400, code: 'validation_failed', paths: [''] },
      { name: 'array body', send: () => h.t.api.post('/v1/events', [1, 2]), status: 400, code: 'validation_failed', paths: [''] },
      { name: 'wrong types', send: () => h.t.api.post('/v1/events', { type: 5, data: {}, tenant: 3 }), status: 400, code: 'validation_failed', paths: ['type', 'tenant'] },
      {
        name: 'unknown fields',
        send: () => h.t.api.post('/v1/events', { type: 'a.b', data: {}, extra: 1, payload: {} }),
        status: 400,
        code: 'validation_failed',
        paths: ['extra', 'payload'],
      },
      { name: 'bad type string', send: () => h.t.api.post('/v1/events', { type: 'order created!', data: {} }), status: 400, code: 'validation_failed', paths: ['type'] },
      { name: 'type too long', send: () => h.t.api.post('/v1/events', { type: 'a'.repeat(129), data: {} }), status: 400, code: 'validation_failed', paths: ['type'] },
      { name: 'missing type and data', send: () => h.t.api.post('/v1/events', {}), status: 400, code: 'validation_failed', paths: ['type', 'data'] },
      { name: 'bad tenant', send: () => h.t.api.post('/v1/events', { type: 'a.b', data: {}, tenant: 'no spaces' }), status: 400, code: 'validation_failed', paths: ['tenant'] },
      { name: 'bad id', send: () => h.t.api.post('/v1/events', { type: 'a.b', data: {}, id: 'x/y' }), status: 400, code: 'validation_failed', paths: ['id'] },
      {
        name: 'bad idempotency key',
        send: () => h.t.api.post('/v1/events', { type: 'a.b', data: {}, tenant }, { headers: { 'idempotency-key': 'é'.repeat(3) } }),
        status: 400,
        code: 'validation_failed',
        paths: ['Idempotency-Key'],
      },
      {
        name: 'payload over the limit',
        send: () => small.api.post('/v1/events', { type: 'a.b', data: { blob: 'x'.repeat(2100) }, tenant }),
        status: 413,
        code: 'payload_too_large',
      },
      {
        name: 'payload over the limit, base64-encoded',
        send: () => small.api.request('POST', '/v1/events', { body: { type: 'a.b', data: { blob: 'é'.repeat(1100) }, tenant }, base64: true }),
        status: 413,
        code: 'payload_too_large',
      },
    ];
    for (const c of cases) {
      const res = await c.send();
      expect({ name: c.name, status: res.status, code: res.body?.error?.code }).toEqual({ name: c.name, status: c.status, code: c.code });
      if (c.paths !== undefined) {
        expect({ name: c.name, paths: res.body.error.details.map((d: { path: string }) => d.path) }).toEqual({ name: c.name, paths: c.paths });
      }
    }
    expect(await scanTable(h.env.clients.doc, h.env.resources.tableName)).toEqual(before);
    expect(await drainDeliveryQueue(h.env)).toEqual([]);
    // The limit is on bytes: just under it is accepted.
    const fits = await small.api.post('/v1/events', { type: 'a.b', data: { blob: 'x'.repeat(1900) }, tenant });
    expect(fits.status).toBe(202);
  });

  it('sends a test event to one endpoint only, whatever its event types', async () => {
    const tenant = newTenant();
    const target = await createEndpoint(h.t, { tenant, eventTypes: ['only.this'] });
    await createEndpoint(h.t, { tenant });

    const res = await h.t.api.post(`/v1/endpoints/${target.id}/test`);
    const typed = await h.t.api.post(`/v1/endpoints/${target.id}/test`, { type: 'custom.ping' });

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ type: 'herald.test', tenant, deliveries: [{ endpointId: target.id, status: 'pending' }] });
    expect(typed.body).toMatchObject({ type: 'custom.ping', deliveries: [{ endpointId: target.id, status: 'pending' }] });
    const event = await h.t.api.get(`/v1/events/${res.body.id}`);
    expect(event.body.data).toEqual({ test: true, endpointId: target.id });
    const queued = await drainDeliveryQueue(h.env);
    expect(queued.map((m) => m.deliveryId).sort()).toEqual([res.body.deliveries[0].id, typed.body.deliveries[0].id].sort());

    expect((await h.t.api.post('/v1/endpoints/ep_missing/test')).status).toBe(404);
    expect((await h.t.api.post(`/v1/endpoints/${target.id}/test`, { type: 'bad type' })).status).toBe(400);
    expect((await h.t.api.post(`/v1/endpoints/${target.id}/test`, { kind: 'x' })).body.error.details).toEqual([
      { path: 'kind', message: 'unknown field; allowed: type' },
    ]);
    await h.t.api.patch(`/v1/endpoints/${target.id}`, { disabled: true });
    const disabled = await h.t.api.post(`/v1/endpoints/${target.id}/test`);
    expect(disabled.status).toBe(409);
    expect(await drainDeliveryQueue(h.env)).toEqual([]);
  });

  it('GET /v1/events/{id} answers 404 for an unknown event', async () => {
    const res = await h.t.api.get('/v1/events/evt_unknown');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'event not found', details: [] } });
  });
});
