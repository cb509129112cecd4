/**
 * POST /v1/events/batch, the size check before a write, tenant-scoped ids, retention rules on endpoint policies, and
 * fan-out decided from the subscription copies (never a lagging index): on the real api handler over dynalite and
 * fauxqs.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestEnvironment, type TestEnvironment } from '../../support/emulators';
import { TestClock, createTestApi, drainDeliveryQueue, scanTable, type TestApi } from '../../support/api-events';

const START = Date.parse('2030-06-01T00:00:00.000Z');

describe('batch publish, item size, tenant-scoped ids, retention, consistent fan-out', () => {
  let env: TestEnvironment;
  const clock = new TestClock(START);
  let t: TestApi;

  beforeAll(async () => {
    env = await startTestEnvironment();
    t = createTestApi(env, clock, { maxPayloadBytes: 1024 * 1024 });
  });
  afterAll(async () => {
    await env?.stop();
  });
  beforeEach(async () => {
    t.queue.failNext(0);
    await drainDeliveryQueue(env);
  });

  const newTenant = () => `tenant-${randomBytes(4).toString('hex')}`;
  const endpoint = async (body: Record<string, unknown>) => {
    clock.advance(1);
    const res = await t.api.post('/v1/endpoints', { url: 'https://hooks.example.com/in', ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const eventsOf = async (tenant: string) =>
    (await scanTable(env.clients.doc, env.resources.tableName)).filter((i) => i.entity === 'event' && i.tenant === tenant);

  it('accepts 1 to 100 events in one request and answers each as POST /v1/events would, in order', async () => {
    const tenant = newTenant();
    const ep = await endpoint({ tenant });
    const res = await t.api.post('/v1/events/batch', {
      events: [
        { type: 'a.one', data: { n: 1 }, tenant },
        { type: 'a.two', data: { n: 2 }, tenant, id: 'mine-1' },
        { type: 'a.three', data: { n: 3 } },
      ],
    });
    expect(res.status).toBe(202);
    const events = res.body.events as { id: string; type: string; tenant: string | null; deliveries: { id: string; endpointId: string; status: string }[] }[];
    expect(events.map((e) => [e.type, e.tenant])).toEqual([
      ['a.one', tenant],
      ['a.two', tenant],
      ['a.three', null],
    ]);
    expect(events[1]!.id).toBe('mine-1');
    expect(events[0]!.deliveries).toEqual([{ id: expect.stringMatching(/^dlv_/), endpointId: ep, status: 'pending' }]);
    expect(events[2]!.deliveries.every((d) => d.endpointId !== ep)).toBe(true);
    const queued = await drainDeliveryQueue(env);
    expect(queued.map((m) => m.deliveryId).sort()).toEqual(events.flatMap((e) => e.deliveries.map((d) => d.id)).sort());
    // A client id is scoped by tenant: GET finds it with its tenant.
    expect((await t.api.get('/v1/events/mine-1', { tenant })).body).toMatchObject({ id: 'mine-1', type: 'a.two' });
    expect((await t.api.get('/v1/events/mine-1')).status).toBe(404);
    expect((await t.api.get(`/v1/events/${events[0]!.id}`)).body).toMatchObject({ id: events[0]!.id, deliveries: [{ status: 'pending' }] });
  });

  it('a retried batch with the same Idempotency-Key stores and delivers no event twice', async () => {
    const tenant = newTenant();
    await endpoint({ tenant });
    const body = { events: Array.from({ length: 10 }, (_, i) => ({ type: 'b.x', data: { i }, tenant })) };
    t.queue.failNext(1);
    const failed = await t.api.post('/v1/events/batch', body, { headers: { 'idempotency-key': 'batch-1' } });
    expect(failed.status).toBe(503);
    expect(await eventsOf(tenant)).toHaveLength(10);
    const retried = await t.api.post('/v1/events/batch', body, { headers: { 'idempotency-key': 'batch-1' } });
    expect(retried.status).toBe(202);
    const again = await t.api.post('/v1/events/batch', body, { headers: { 'idempotency-key': 'batch-1' } });
    expect(again.body).toEqual(retried.body);
    expect(await eventsOf(tenant)).toHaveLength(10);
    expect(new Set(retried.body.events.map((e: { id: string }) => e.id)).size).toBe(10);
    // Every message for the same ten deliveries; the replays are marked, so the worker claims before it POSTs.
    const queued = await drainDeliveryQueue(env);
    expect(new Set(queued.map((m) => m.deliveryId)).size).toBe(10);
    expect(queued.every((m) => m.redelivery === true)).toBe(true);
  });

  it('refuses the whole batch with a 400 naming each bad path, and stores nothing', async () => {
    const tenant = newTenant();
    await endpoint({ tenant });
    const res = await t.api.post('/v1/events/batch', {
      events: [{ type: 'ok.one', data: {}, tenant }, { type: 'ok.two', data: {}, tenant }, { type: 'ok.three', data: {}, tenant }, { data: {}, tenant }, { type: 'x', tenant, extra: 1 }],
    });
    expect(res.status).toBe(400);
    const paths = (res.body.error.details as { path: string }[]).map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['events[3].type', 'events[4].data', 'events[4].extra']));
    for (const bad of [{}, { events: [] }, { events: Array.from({ length: 101 }, () => ({ type: 'a.b', data: {} })) }, { events: 'x' }]) {
      const r = await t.api.post('/v1/events/batch', bad);
      expect(r.status).toBe(400);
      expect(r.body.error.details[0].path).toBe('events');
    }
    const dup = await t.api.post('/v1/events/batch', { events: [{ type: 'a.b', data: {}, id: 'same' }, { type: 'a.b', data: {}, id: 'same' }] });
    expect(dup.body.error.details).toEqual([{ path: 'events[1].id', message: 'repeats the id of events[0] (same tenant)' }]);
    expect(await eventsOf(tenant)).toEqual([]);
    expect(await drainDeliveryQueue(env)).toEqual([]);
  });

  it('answers 413, not 503, for a body within the limit whose stored event would exceed the item limit; nothing is stored', async () => {
    const tenant = newTenant();
    await endpoint({ tenant });
    // 1e20 is written in 4 bytes and stored as 21 digits: a 100 KB body becomes a 440 KB item.
    const data = Array.from({ length: 20_000 }, () => 1e20);
    const single = await t.api.request('POST', '/v1/events', { body: `{"type":"big.one","tenant":"${tenant}","data":[${data.map(() => '1e20').join(',')}]}` });
    expect(single.status).toBe(413);
    expect(single.body.error.code).toBe('payload_too_large');
    expect(single.body.error.message).toMatch(/stored as about \d+ KB, over the 398 KB a stored event may take/);
    const batch = await t.api.post('/v1/events/batch', { events: [{ type: 'small', data: {}, tenant }, { type: 'big.two', data, tenant }] });
    expect(batch.status).toBe(413);
    expect(await eventsOf(tenant)).toEqual([]);
    expect(await drainDeliveryQueue(env)).toEqual([]);
  });

  it('decides fan-out from the subscription copies: an endpoint gets what is published after its create, nothing after its disable or delete', async () => {
    const tenant = newTenant();
    const publish = async () => (await t.api.post('/v1/events', { type: 'c.x', data: {}, tenant })).body.deliveries as { endpointId: string; status: string }[];
    expect(await publish()).toEqual([]);
    const ep = await endpoint({ tenant, eventTypes: ['c.*'] });
    for (let i = 0; i < 16; i++) expect(await publish()).toEqual([expect.objectContaining({ endpointId: ep, status: 'pending' })]);
    expect((await t.api.patch(`/v1/endpoints/${ep}`, { eventTypes: ['d.*'] })).status).toBe(200);
    for (let i = 0; i < 16; i++) expect(await publish()).toEqual([]);
    expect((await t.api.patch(`/v1/endpoints/${ep}`, { eventTypes: ['*'], disabled: true })).status).toBe(200);
    for (let i = 0; i < 16; i++) expect(await publish()).toEqual([expect.objectContaining({ endpointId: ep, status: 'skipped' })]);
    expect((await t.api.patch(`/v1/endpoints/${ep}`, { disabled: false })).status).toBe(200);
    for (let i = 0; i < 16; i++) expect(await publish()).toEqual([expect.objectContaining({ endpointId: ep, status: 'pending' })]);
    expect((await t.api.delete(`/v1/endpoints/${ep}`)).status).toBe(200);
    const copies = (await scanTable(env.clients.doc, env.resources.tableName)).filter((i) => i.entity === 'subscription' && i.sk === ep);
    expect(copies).toEqual([]);
  });

  it('refuses an endpoint policy that would outlive the retention, naming the field', async () => {
    const res = await t.api.post('/v1/endpoints', { url: 'https://hooks.example.com/in', retryPolicy: { maxAgeSeconds: 2_592_000 } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'retryPolicy.maxAgeSeconds', message: expect.stringMatching(/at most 2505600 s: this deployment keeps delivery records 30 days/) }]);
    expect((await t.api.post('/v1/endpoints', { url: 'https://hooks.example.com/in', retryPolicy: { maxAgeSeconds: 2_505_600 } })).status).toBe(201);
  });
});
