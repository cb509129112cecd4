/**
 * The DynamoDB delivery store on dynalite: batched reads, the claim and lease, the one-write attempt
 * record (a conditional put, or an append under the attempt count and the lease), and endpoint health.
 */
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../../lambdas/adapters/dynamo/delivery-store';
import { deliveryToItem, endpointToItem, eventToItem, keys } from '../../../lambdas/adapters/dynamo/schema';
import { deliveryId } from '../../../lambdas/core/ids';
import type { Attempt, Delivery, Endpoint, HeraldEvent } from '../../../lambdas/core/model';
import { startTestEnvironment, type TestEnvironment } from '../../support/emulators';
import { START } from './world';

describe('DynamoDeliveryStore', () => {
  let env: TestEnvironment;
  let store: DynamoDeliveryStore;
  let table: string;

  const endpoint = (id: string, extra: Partial<Endpoint> = {}): Endpoint => ({
    id,
    url: 'https://example.com/hook',
    description: '',
    eventTypes: ['*'],
    tenant: '',
    retryPolicy: {},
    timeoutMs: 1000,
    headers: {},
    disabled: false,
    secrets: [],
    health: { consecutiveFailures: 0 },
    createdAt: START,
    updatedAt: START,
    ...extra,
  });
  // Real ids: the store locates a delivery from its id (event key + endpoint) and its event's creation time.
  const EP = 'ep_01HZX3K5B2W8Q4N7M9R6T0V1YA';
  const keyOf = (n: number) => `0${String(n).padStart(25, '0')}`;
  const event = (n: number, extra: Partial<HeraldEvent> = {}): HeraldEvent => ({
    id: `evt_${keyOf(n)}`,
    key: keyOf(n),
    type: 't',
    tenant: '',
    data: { n },
    createdAt: START,
    fingerprint: 'f',
    fanOut: [{ endpointId: EP }],
    ...extra,
  });
  const idOf = (n: number) => deliveryId(keyOf(n), EP);
  const delivery = (n: number, extra: Partial<Delivery> = {}): Delivery => ({
    id: idOf(n),
    eventId: `evt_${keyOf(n)}`,
    endpointId: EP,
    tenant: '',
    eventType: 't',
    status: 'pending',
    attemptCount: 0,
    roundStartedAt: START,
    roundFirstAttempt: 1,
    createdAt: START,
    updatedAt: START,
    ...extra,
  });
  const put = (item: Record<string, unknown>) => env.clients.doc.send(new PutCommand({ TableName: table, Item: item }));
  const get = async (key: Record<string, unknown>) =>
    (await env.clients.doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
  const at = (n: number) => keys.delivery({ endpointId: EP, eventKey: keyOf(n), createdAt: START });
  const seedEvent = (n: number) => put(eventToItem(event(n), 9_999_999_999));
  const seedDelivery = async (n: number, extra: Partial<Delivery> = {}) => {
    await seedEvent(n);
    await put(deliveryToItem(delivery(n, extra), [], { longWait: false }, 9_999_999_999));
  };
  const attempt = (n: number, number: number, status = 500, responseExcerpt?: string): Attempt => ({
    deliveryId: idOf(n),
    number,
    startedAt: START,
    latencyMs: 5,
    outcome: { kind: 'http', status },
    ...(responseExcerpt === undefined ? {} : { responseExcerpt }),
    next: { kind: 'retry', at: START + 1000, basis: 'backoff' },
  });
  const request = (n: number, readDelivery = true) => ({ deliveryId: idOf(n), readDelivery });

  beforeAll(async () => {
    env = await startTestEnvironment();
    table = env.resources.tableName;
    store = new DynamoDeliveryStore(env.clients.doc, { tableName: table, retentionDays: 30 });
    await put(endpointToItem(endpoint(EP)));
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('loads more than 100 deliveries with their endpoints and events; one without an item reads as pending', async () => {
    const ns = Array.from({ length: 120 }, (_, i) => 1000 + i);
    for (const n of ns.slice(0, 60)) await seedDelivery(n, { status: 'retrying', attemptCount: 1 });
    for (const n of ns.slice(60)) await seedEvent(n);
    const loaded = await store.load([...ns.map((n) => request(n)), request(ns[0]!), { deliveryId: 'dlv_missing', readDelivery: true }, request(99_999)]);
    expect(loaded.size).toBe(121);
    expect(loaded.get(idOf(1007))).toMatchObject({ stored: true, delivery: { ...delivery(1007, { status: 'retrying', attemptCount: 1 }), attempts: [] } });
    expect(loaded.get(idOf(1007))!.endpoint!.id).toBe(EP);
    expect(loaded.get(idOf(1007))!.event).toEqual(event(1007));
    expect(loaded.get(idOf(1100))).toMatchObject({ stored: false, delivery: { id: idOf(1100), status: 'pending', attemptCount: 0 } });
    expect(loaded.get(idOf(99_999))).toEqual({ stored: false, endpoint: expect.objectContaining({ id: EP }) });
    expect(loaded.has('dlv_missing')).toBe(false);
  });

  it('reads no delivery item for a fresh first attempt', async () => {
    await seedDelivery(1200, { status: 'delivered', attemptCount: 1 });
    const loaded = await store.load([request(1200, false)]);
    expect(loaded.get(idOf(1200))).toMatchObject({ stored: false, delivery: { status: 'pending' } });
  });

  it('re-requests keys DynamoDB left unprocessed', async () => {
    await seedDelivery(1301);
    await seedDelivery(1302);
    const calls: number[] = [];
    // A client that processes only the first key of every BatchGet and hands the rest back.
    const stingy = {
      send: async (command: unknown) => {
        if (command instanceof BatchGetCommand) {
          const req = command.input.RequestItems![table]!;
          const [first, ...rest] = req.Keys!;
          calls.push(req.Keys!.length);
          const out = await env.clients.doc.send(new BatchGetCommand({ RequestItems: { [table]: { ...req, Keys: [first!] } } }));
          return { ...out, UnprocessedKeys: rest.length > 0 ? { [table]: { Keys: rest } } : {} };
        }
        return env.clients.doc.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;
    const s = new DynamoDeliveryStore(stingy, { tableName: table, retentionDays: 30, sleep: async () => undefined });
    const loaded = await s.load([request(1301), request(1302)]);
    expect([...loaded.values()].map((l) => l.stored)).toEqual([true, true]);
    // The events (2 keys, eventually consistent) and the endpoint (1) side by side, each handed back one by one,
    // then the two deliveries.
    expect(calls.slice(0, 3).sort()).toEqual([1, 1, 2]);
    expect(calls.slice(3)).toEqual([2, 1]);
  });

  it('claims an attempt once; a later claim waits for the lease to run out; a claim creates a missing item', async () => {
    await seedDelivery(1401);
    const d = delivery(1401);
    expect(await store.claim({ delivery: d, attempt: 2, now: START, leaseUntil: START + 100 })).toBe('conflict');
    expect(await store.claim({ delivery: d, attempt: 1, now: START, leaseUntil: START + 100 })).toBe('saved');
    expect(await store.claim({ delivery: d, attempt: 1, now: START + 100, leaseUntil: START + 200 })).toBe('conflict');
    expect(await store.claim({ delivery: d, attempt: 1, now: START + 101, leaseUntil: START + 201 })).toBe('saved');
    expect(await get(at(1401))).toMatchObject({ leaseUntil: START + 201 });
    await seedEvent(1402);
    expect(await store.claim({ delivery: delivery(1402), attempt: 1, now: START, leaseUntil: START + 1 })).toBe('saved');
    expect(await get(at(1402))).toMatchObject({ entity: 'delivery', id: idOf(1402), status: 'pending', attemptCount: 0, leaseUntil: START + 1 });
    expect(await store.claim({ delivery: delivery(1403), attempt: 2, now: START, leaseUntil: START + 1 })).toBe('conflict');
  });

  it('does not claim a final delivery', async () => {
    await seedDelivery(1500, { status: 'delivered', attemptCount: 1 });
    expect(await store.claim({ delivery: delivery(1500), attempt: 2, now: START, leaseUntil: START + 1 })).toBe('conflict');
  });

  it('records a fresh first attempt as one conditional put, the attempt inline; a second put of it conflicts', async () => {
    await seedEvent(1600);
    const d = delivery(1600);
    const record = { delivery: d, stored: false, attempt: attempt(1600, 1, 200), status: 'delivered' as const, longWait: false, now: START + 10 };
    expect(await store.recordAttempt(record)).toBe('saved');
    expect(await get(at(1600))).toMatchObject({
      status: 'delivered',
      attemptCount: 1,
      attempts: [{ n: 1, at: START, ms: 5, o: { kind: 'http', status: 200 }, next: { kind: 'retry' } }],
    });
    expect(await get(at(1600))).not.toHaveProperty('gsi2pk');
    expect(await store.recordAttempt(record)).toBe('conflict');
  });

  it('records an attempt under the lease, appending it, with the index keys of a long wait', async () => {
    await seedDelivery(1700, { status: 'retrying', attemptCount: 1 });
    const d = delivery(1700, { status: 'retrying', attemptCount: 1 });
    await store.claim({ delivery: d, attempt: 2, now: START, leaseUntil: START + 50 });
    const result = await store.recordAttempt({
      delivery: d,
      stored: true,
      attempt: attempt(1700, 2),
      leaseUntil: START + 50,
      status: 'retrying',
      nextAttemptAt: START + 3_600_000,
      longWait: true,
      now: START + 10,
    });
    expect(result).toBe('saved');
    const item = await get(at(1700));
    expect(item).toMatchObject({
      status: 'retrying',
      attemptCount: 2,
      nextAttemptAt: START + 3_600_000,
      updatedAt: START + 10,
      attempts: [{ n: 2 }],
      gsi2pk: expect.stringMatching(/^WAIT#\d$/),
      gsi2sk: `${new Date(START + 3_600_000).toISOString()}#${d.id}`,
      // Kept a retention past its next attempt.
      expiresAt: Math.floor((START + 3_600_000) / 1000) + 30 * 86_400,
    });
    expect(item).not.toHaveProperty('leaseUntil');
  });

  it('keeps a long excerpt in an item of its own and the first 256 bytes inline', async () => {
    await seedEvent(1750);
    const long = 'é'.repeat(1000);
    await store.recordAttempt({ delivery: delivery(1750), stored: false, attempt: attempt(1750, 1, 500, long), status: 'dead', finalReason: 'x', longWait: false, now: START });
    const item = await get(at(1750));
    expect(item!.attempts).toEqual([expect.objectContaining({ x: 'é'.repeat(128), xl: true })]);
    expect(item).toMatchObject({ gsi3pk: expect.stringMatching(/^DEAD#\d$/) });
    expect(await get({ pk: at(1750).pk, sk: `${at(1750).sk}#X00001` })).toMatchObject({ x: long });
  });

  it('a worker that lost its lease records nothing', async () => {
    await seedDelivery(1800);
    const d = delivery(1800);
    await store.claim({ delivery: d, attempt: 1, now: START, leaseUntil: START + 50 });
    // The lease ran out and another worker claimed the attempt.
    await store.claim({ delivery: d, attempt: 1, now: START + 60, leaseUntil: START + 110 });
    const late = await store.recordAttempt({ delivery: d, stored: true, attempt: attempt(1800, 1), leaseUntil: START + 50, status: 'delivered', longWait: false, now: START + 70 });
    expect(late).toBe('conflict');
    expect(await get(at(1800))).toMatchObject({ status: 'pending', attemptCount: 0, leaseUntil: START + 110 });
    // An unclaimed commit cannot cut in while the lease runs either.
    expect(await store.recordAttempt({ delivery: d, stored: true, attempt: attempt(1800, 1), status: 'delivered', longWait: false, now: START + 80 })).toBe('conflict');
    expect(
      await store.recordAttempt({ delivery: d, stored: true, attempt: attempt(1800, 1, 200), leaseUntil: START + 110, status: 'delivered', longWait: false, now: START + 90 }),
    ).toBe('saved');
    expect(await get(at(1800))).toMatchObject({ status: 'delivered', attemptCount: 1, attempts: [{ n: 1, o: { status: 200 } }] });
  });

  it('transitions without an attempt only from the expected, unleased state; puts one without an item', async () => {
    await seedDelivery(1900, { nextAttemptAt: START });
    const d = delivery(1900, { nextAttemptAt: START });
    expect(await store.transition({ delivery: d, stored: true, status: 'canceled', finalReason: 'endpoint deleted', longWait: false, now: START + 5 })).toBe('saved');
    expect(await get(at(1900))).toMatchObject({ status: 'canceled', finalReason: 'endpoint deleted' });
    expect(await get(at(1900))).not.toHaveProperty('nextAttemptAt');
    expect(await get(at(1900))).not.toHaveProperty('gsi3pk');
    expect(await store.transition({ delivery: d, stored: true, status: 'dead', finalReason: 'x', longWait: false, now: START + 6 })).toBe('conflict');
    await seedEvent(1901);
    const parked = { delivery: delivery(1901), stored: false, status: 'pending' as const, nextAttemptAt: START + 3_600_000, longWait: true, now: START };
    expect(await store.transition(parked)).toBe('saved');
    expect(await get(at(1901))).toMatchObject({ status: 'pending', nextAttemptAt: START + 3_600_000, gsi2pk: expect.stringMatching(/^WAIT#/) });
    expect(await store.transition(parked)).toBe('conflict');
  });

  it('tracks endpoint health with in-place updates, and disables once', async () => {
    await put(endpointToItem(endpoint('ep_h1')));
    expect((await store.recordEndpointFailure('ep_h1', START))!.health).toEqual({ consecutiveFailures: 1, failingSince: START, lastFailureAt: START });
    await Promise.all([store.recordEndpointFailure('ep_h1', START + 1), store.recordEndpointFailure('ep_h1', START + 1, 1)]);
    const after = (await store.recordEndpointFailure('ep_h1', START + 2))!;
    expect(after.health).toEqual({ consecutiveFailures: 4, failingSince: START, lastFailureAt: START + 2 });
    expect(await store.disableEndpoint({ endpointId: 'ep_h1', reason: 'r', now: START + 3, failingSince: START + 1 })).toBe(false);
    expect(await store.disableEndpoint({ endpointId: 'ep_h1', reason: 'r', now: START + 3, failingSince: START })).toBe(true);
    expect(await store.disableEndpoint({ endpointId: 'ep_h1', reason: 'r2', now: START + 4 })).toBe(false);
    expect(await get(keys.endpoint('ep_h1'))).toMatchObject({ disabled: true, disabledReason: 'r', updatedAt: START + 3 });
    await store.recordEndpointSuccess('ep_h1', START + 5);
    expect((await get(keys.endpoint('ep_h1')))!.health).toEqual({ consecutiveFailures: 0, lastSuccessAt: START + 5, lastFailureAt: START + 2 });
  });

  it('gives an endpoint stored without a health map one, and never recreates a deleted endpoint', async () => {
    await put(endpointToItem(endpoint('ep_h2')));
    await env.clients.doc.send(new UpdateCommand({ TableName: table, Key: keys.endpoint('ep_h2'), UpdateExpression: 'REMOVE health' }));
    expect((await store.recordEndpointFailure('ep_h2', START))!.health).toEqual({ consecutiveFailures: 1, failingSince: START, lastFailureAt: START });
    expect(await store.recordEndpointFailure('ep_gone', START)).toBeUndefined();
    await store.recordEndpointSuccess('ep_gone', START);
    expect(await get(keys.endpoint('ep_gone'))).toBeUndefined();
  });

  it('marks an endpoint degraded once and clears it once, writing only on a change of state', async () => {
    await put(endpointToItem(endpoint('ep_d1')));
    const both = await Promise.all([
      store.markDegraded({ endpointId: 'ep_d1', reason: 'slow', now: START }),
      store.markDegraded({ endpointId: 'ep_d1', reason: 'slow too', now: START + 1 }),
    ]);
    expect(both.filter(Boolean)).toHaveLength(1);
    expect(await get(keys.endpoint('ep_d1'))).toMatchObject({ degraded: { reason: expect.stringMatching(/^slow/) }, updatedAt: START });
    expect(await store.markDegraded({ endpointId: 'ep_d1', reason: 'again', now: START + 2 })).toBe(false);
    expect(await store.clearDegraded('ep_d1')).toBe(true);
    expect(await store.clearDegraded('ep_d1')).toBe(false);
    expect((await get(keys.endpoint('ep_d1')))!.degraded).toBeUndefined();
    expect(await store.markDegraded({ endpointId: 'ep_gone', reason: 'x', now: START })).toBe(false);
    expect(await get(keys.endpoint('ep_gone'))).toBeUndefined();
  });
});
