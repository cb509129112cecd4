/**
 * The DynamoDB delivery store on dynalite: batched reads, the claim and lease, the two-step attempt
 * record, and endpoint health.
 */
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../../lambdas/adapters/dynamo/delivery-store';
import { deliveryToItem, endpointToItem, eventToItem, keys } from '../../../lambdas/adapters/dynamo/schema';
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
  const event = (id: string): HeraldEvent => ({ id, type: 't', tenant: '', data: { id }, createdAt: START, deliveryIds: [] });
  const delivery = (id: string, extra: Partial<Delivery> = {}): Delivery => ({
    id,
    eventId: 'evt_s1',
    endpointId: 'ep_s1',
    tenant: '',
    eventType: 't',
    status: 'pending',
    attemptCount: 0,
    roundStartedAt: START,
    roundFirstAttempt: 1,
    nextAttemptAt: START,
    createdAt: START,
    updatedAt: START,
    ...extra,
  });
  const put = (item: Record<string, unknown>) => env.clients.doc.send(new PutCommand({ TableName: table, Item: item }));
  const get = async (key: Record<string, unknown>) =>
    (await env.clients.doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
  const attempt = (deliveryId: string, number: number, status = 500): Attempt => ({
    deliveryId,
    number,
    startedAt: START,
    latencyMs: 5,
    outcome: { kind: 'http', status },
    next: { kind: 'retry', at: START + 1000, basis: 'backoff' },
  });

  beforeAll(async () => {
    env = await startTestEnvironment();
    table = env.resources.tableName;
    store = new DynamoDeliveryStore(env.clients.doc, { tableName: table, retentionDays: 30 });
    await put(endpointToItem(endpoint('ep_s1')));
    await put(eventToItem(event('evt_s1'), 9_999_999_999));
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('loads more than 100 deliveries with their endpoints and events, ignoring duplicates and missing ids', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `dlv_load_${i}`);
    for (const id of ids) await put(deliveryToItem(delivery(id), 9_999_999_999));
    const loaded = await store.load([...ids, ids[0]!, 'dlv_missing']);
    expect([...loaded.deliveries.keys()].sort()).toEqual([...ids].sort());
    expect(loaded.deliveries.get('dlv_load_7')).toEqual(delivery('dlv_load_7'));
    expect([...loaded.endpoints.keys()]).toEqual(['ep_s1']);
    expect(loaded.events.get('evt_s1')).toEqual(event('evt_s1'));
  });

  it('re-requests keys DynamoDB left unprocessed', async () => {
    await put(deliveryToItem(delivery('dlv_u1'), 9_999_999_999));
    await put(deliveryToItem(delivery('dlv_u2'), 9_999_999_999));
    const calls: number[] = [];
    // A client that processes only the first key of every BatchGet and hands the rest back.
    const stingy = {
      send: async (command: unknown) => {
        if (command instanceof BatchGetCommand) {
          const request = command.input.RequestItems![table]!;
          const [first, ...rest] = request.Keys!;
          calls.push(request.Keys!.length);
          const out = await env.clients.doc.send(new BatchGetCommand({ RequestItems: { [table]: { ...request, Keys: [first!] } } }));
          return { ...out, UnprocessedKeys: rest.length > 0 ? { [table]: { Keys: rest } } : {} };
        }
        return env.clients.doc.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;
    const s = new DynamoDeliveryStore(stingy, { tableName: table, retentionDays: 30, sleep: async () => undefined });
    const loaded = await s.load(['dlv_u1', 'dlv_u2']);
    expect([...loaded.deliveries.keys()].sort()).toEqual(['dlv_u1', 'dlv_u2']);
    expect(calls).toEqual([2, 1, 2, 1]);
  });

  it('claims an attempt once; a later claim waits for the lease to run out', async () => {
    await put(deliveryToItem(delivery('dlv_c1'), 9_999_999_999));
    expect(await store.claim({ deliveryId: 'dlv_c1', attempt: 2, now: START, leaseUntil: START + 100 })).toBe('conflict');
    expect(await store.claim({ deliveryId: 'dlv_c1', attempt: 1, now: START, leaseUntil: START + 100 })).toBe('saved');
    expect(await store.claim({ deliveryId: 'dlv_c1', attempt: 1, now: START + 100, leaseUntil: START + 200 })).toBe('conflict');
    expect(await store.claim({ deliveryId: 'dlv_c1', attempt: 1, now: START + 101, leaseUntil: START + 201 })).toBe('saved');
    expect(await get(keys.delivery('dlv_c1'))).toMatchObject({ leaseUntil: START + 201 });
    expect(await store.claim({ deliveryId: 'dlv_missing', attempt: 1, now: START, leaseUntil: START + 1 })).toBe('conflict');
  });

  it('does not claim a final delivery', async () => {
    await put(deliveryToItem(delivery('dlv_c2', { status: 'delivered', attemptCount: 1, nextAttemptAt: undefined }), 9_999_999_999));
    expect(await store.claim({ deliveryId: 'dlv_c2', attempt: 2, now: START, leaseUntil: START + 1 })).toBe('conflict');
  });

  it('records an attempt under the lease, with the index attributes of the new state', async () => {
    const d = delivery('dlv_r1');
    await put(deliveryToItem(d, 9_999_999_999));
    await store.claim({ deliveryId: d.id, attempt: 1, now: START, leaseUntil: START + 50 });
    const result = await store.recordAttempt({
      delivery: d,
      attempt: attempt(d.id, 1),
      leaseUntil: START + 50,
      status: 'retrying',
      nextAttemptAt: START + 1000,
      now: START + 10,
    });
    expect(result).toBe('saved');
    const item = await get(keys.delivery(d.id));
    expect(item).toMatchObject({
      status: 'retrying',
      attemptCount: 1,
      nextAttemptAt: START + 1000,
      updatedAt: START + 10,
      lastOutcome: { kind: 'http', status: 500 },
      gsi2pk: 'EPDLV#ep_s1#retrying',
      gsi3sk: `${new Date(START + 1000).toISOString()}#${d.id}`,
    });
    expect(item).not.toHaveProperty('leaseUntil');
    expect(await get(keys.attempt(d.id, 1))).toMatchObject({ entity: 'attempt', number: 1, leaseUntil: START + 50 });
  });

  it('a worker that lost its lease records nothing, and leaves no attempt item behind', async () => {
    const d = delivery('dlv_r2');
    await put(deliveryToItem(d, 9_999_999_999));
    await store.claim({ deliveryId: d.id, attempt: 1, now: START, leaseUntil: START + 50 });
    // The lease ran out and another worker claimed the attempt.
    await store.claim({ deliveryId: d.id, attempt: 1, now: START + 60, leaseUntil: START + 110 });
    const late = await store.recordAttempt({ delivery: d, attempt: attempt(d.id, 1), leaseUntil: START + 50, status: 'delivered', now: START + 70 });
    expect(late).toBe('conflict');
    expect(await get(keys.attempt(d.id, 1))).toBeUndefined();
    expect(await get(keys.delivery(d.id))).toMatchObject({ status: 'pending', attemptCount: 0, leaseUntil: START + 110 });
  });

  it('a newer lease replaces the attempt item an interrupted worker left, an older one cannot', async () => {
    const d = delivery('dlv_r3');
    await put(deliveryToItem(d, 9_999_999_999));
    // An interrupted worker (lease START + 50) wrote its attempt item but never the delivery.
    await put({ ...keys.attempt(d.id, 1), entity: 'attempt', ...attempt(d.id, 1, 503), leaseUntil: START + 50 });
    await store.claim({ deliveryId: d.id, attempt: 1, now: START + 60, leaseUntil: START + 110 });
    expect(
      await store.recordAttempt({ delivery: d, attempt: attempt(d.id, 1, 200), leaseUntil: START + 110, status: 'delivered', now: START + 70 }),
    ).toBe('saved');
    expect(await get(keys.attempt(d.id, 1))).toMatchObject({ outcome: { kind: 'http', status: 200 }, leaseUntil: START + 110 });
    // The interrupted worker waking up cannot overwrite it.
    expect(
      await store.recordAttempt({ delivery: d, attempt: attempt(d.id, 1, 503), leaseUntil: START + 50, status: 'retrying', now: START + 80 }),
    ).toBe('conflict');
    expect(await get(keys.attempt(d.id, 1))).toMatchObject({ outcome: { kind: 'http', status: 200 } });
    expect(await get(keys.delivery(d.id))).toMatchObject({ status: 'delivered', attemptCount: 1 });
  });

  it('transitions without an attempt only from the expected, unleased state', async () => {
    const d = delivery('dlv_t1');
    await put(deliveryToItem(d, 9_999_999_999));
    expect(await store.transition({ delivery: d, status: 'canceled', finalReason: 'endpoint deleted', now: START + 5 })).toBe('saved');
    expect(await get(keys.delivery(d.id))).toMatchObject({ status: 'canceled', finalReason: 'endpoint deleted', gsi2pk: 'EPDLV#ep_s1#canceled' });
    expect(await get(keys.delivery(d.id))).not.toHaveProperty('nextAttemptAt');
    expect(await get(keys.delivery(d.id))).not.toHaveProperty('gsi3pk');
    expect(await store.transition({ delivery: d, status: 'dead', finalReason: 'x', now: START + 6 })).toBe('conflict');
  });

  it('tracks endpoint health with in-place updates, and disables once', async () => {
    await put(endpointToItem(endpoint('ep_h1')));
    expect((await store.recordEndpointFailure('ep_h1', START))!.health).toEqual({ consecutiveFailures: 1, failingSince: START, lastFailureAt: START });
    await Promise.all([store.recordEndpointFailure('ep_h1', START + 1), store.recordEndpointFailure('ep_h1', START + 1)]);
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
});
