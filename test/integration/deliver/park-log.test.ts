/**
 * The park log (issue 11, lean parking): a batch's parks are listed in one log item per endpoint, the parked
 * delivery items carry no index entry, the release takes entries out of the log once their messages are sent, and
 * the probe clears a failed probe's old entry (the real worker code and store on the emulators).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Circuit } from '../../../lambdas/core/circuit';
import type { Endpoint } from '../../../lambdas/core/model';
import { DynamoCircuitStore, PARK_LOG_SHARDS } from '../../../lambdas/adapters/dynamo/circuit-store';
import { parkLogPartition } from '../../../lambdas/adapters/dynamo/schema';
import { handleRelease } from '../../../lambdas/use-cases/deliver/release';
import { handleProbe } from '../../../lambdas/use-cases/deliver/probe';
import { START, useWorld, type World } from './world';

const OPEN: Circuit = { state: 'open', since: START, nextProbeAt: START + 3_600_000, reason: '5 consecutive failed attempts, last: HTTP 503' };

describe('the park log', () => {
  const getWorld = useWorld();
  let world: World;
  let store: DynamoCircuitStore;
  beforeEach(() => {
    world = getWorld();
    store = new DynamoCircuitStore(world.env.clients.doc, world.config().tableName);
  });

  async function logItems(endpointId: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for (let shard = 0; shard < PARK_LOG_SHARDS; shard++) {
      const out = await world.env.clients.doc.send(
        new QueryCommand({ TableName: world.config().tableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': parkLogPartition(endpointId, shard) } }),
      );
      items.push(...(out.Items ?? []));
    }
    return items;
  }

  async function seedOpen(count: number): Promise<{ endpoint: Endpoint; ids: string[] }> {
    const first = await world.seed({ endpoint: { url: world.receiver.url('/parked'), circuit: OPEN } });
    const ids = [first.delivery.id];
    for (let i = 1; i < count; i++) ids.push((await world.seed({ endpoint: first.endpoint })).delivery.id);
    return { endpoint: first.endpoint, ids };
  }

  it('a batch parks its deliveries with one log item and no index entry; the release empties the log and delivers them', async () => {
    world.receiver.on('/parked', () => ({ status: 200 }));
    const { endpoint, ids } = await seedOpen(8);
    const handler = world.handler(world.deps());
    const pumped = await world.pump(handler);
    expect(pumped?.messages).toHaveLength(8);

    for (const id of ids) {
      const item = await world.deliveryItem(id);
      expect(item).toMatchObject({ status: 'parked', attemptCount: 0 });
      expect(item).not.toHaveProperty('gsi2pk');
    }
    const items = await logItems(endpoint.id);
    expect(items).toHaveLength(1);
    expect(await store.countParked(endpoint.id)).toBe(8);
    expect(world.receiver.requestsTo('/parked')).toHaveLength(0);

    // The circuit closes (a probe succeeded elsewhere): the release sends every entry and takes it out of the log.
    await world.saveEndpoint({ ...endpoint, circuit: { state: 'closed', failures: 0 } });
    expect(await handleRelease(world.deps(), endpoint.id)).toBe('done');
    expect(await logItems(endpoint.id)).toEqual([]);
    for (let i = 0; i < 3 && world.receiver.requestsTo('/parked').length < 8; i++) await world.pump(handler);
    for (const id of ids) expect(await world.delivery(id)).toMatchObject({ status: 'delivered', attemptCount: 1 });
    expect(world.receiver.requestsTo('/parked')).toHaveLength(8);
  });

  it('a release step takes at most its share and rewrites the rest of a log item', async () => {
    const { endpoint, ids } = await seedOpen(5);
    const handler = world.handler(world.deps());
    await world.pump(handler);
    expect(await store.countParked(endpoint.id)).toBe(5);
    await world.saveEndpoint({ ...endpoint, circuit: { state: 'closed', failures: 0 }, rateLimitPerSecond: 2 });

    expect(await handleRelease(world.deps(), endpoint.id)).toBe('done');
    expect(await store.countParked(endpoint.id)).toBe(3);
    const messages = await world.receive();
    const released = messages.map((m) => JSON.parse(m.Body ?? '{}') as { deliveryId?: string; control?: string });
    expect(released.filter((m) => m.deliveryId !== undefined)).toHaveLength(2);
    // The next step comes a second later.
    expect(await world.delayedCount()).toBe(1);
    const left = (await store.parkLog(endpoint.id, 10)).flatMap((i) => i.entries.map((e) => e.deliveryId));
    expect(new Set([...left, ...released.flatMap((m) => (m.deliveryId === undefined ? [] : [m.deliveryId]))])).toEqual(new Set(ids));
  });

  it('the log reads in position order across its shards, before a cutoff, and rewrites only the version read', async () => {
    const { endpoint } = await world.seed({ enqueue: false });
    const seeded = [];
    for (let i = 0; i < 12; i++) seeded.push((await world.seed({ endpoint, enqueue: false })).delivery.id);
    // Twelve items, positions out of order when written, spread over the shards at random.
    const positions = [7, 3, 11, 0, 5, 9, 1, 10, 4, 8, 2, 6];
    for (let i = 0; i < 12; i++) await store.logParked(endpoint.id, [{ deliveryId: seeded[i]!, attemptCount: 0, position: START + positions[i]! * 1000 }], START);

    const all = await store.parkLog(endpoint.id, 100);
    expect(all.map((item) => (item.position - START) / 1000)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const firstFour = await store.parkLog(endpoint.id, 4);
    expect(firstFour.map((item) => (item.position - START) / 1000)).toEqual([0, 1, 2, 3]);
    const before = await store.parkLog(endpoint.id, 100, START + 5000);
    expect(before.map((item) => (item.position - START) / 1000)).toEqual([0, 1, 2, 3, 4]);

    const item = all[0]!;
    expect(await store.rewriteParkLog(item, [])).toBe('saved');
    expect(await store.rewriteParkLog(item, [])).toBe('conflict');
    const next = all[1]!;
    const moved = { ...next.entries[0]!, attemptCount: 1 };
    expect(await store.rewriteParkLog(next, [moved])).toBe('saved');
    // A second rewrite from the same read finds the version changed: it does not undo the first.
    expect(await store.rewriteParkLog(next, [])).toBe('conflict');
    const after = await store.parkLog(endpoint.id, 100);
    expect(after).toHaveLength(11);
    expect(after[0]!.entries).toEqual([moved]);
    expect(await store.countParked(endpoint.id)).toBe(11);
  });

  it('the probe takes the oldest delivery parked as logged, and clears entries settled meanwhile', async () => {
    world.receiver.on('/parked', () => ({ status: 503 }));
    const { endpoint, ids } = await seedOpen(3);
    await world.pump(world.handler(world.deps()));
    expect(await store.countParked(endpoint.id)).toBe(3);
    // The oldest was probed before and failed: its item now says one attempt, its old entry is settled.
    const oldest = ids[0]!;
    const item = await world.deliveryItem(oldest);
    await world.env.clients.doc.send(
      new UpdateCommand({
        TableName: world.config().tableName,
        Key: { pk: item!.pk, sk: item!.sk },
        UpdateExpression: 'SET attemptCount = :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    await world.saveEndpoint({ ...endpoint, circuit: { ...OPEN, nextProbeAt: world.clock.now() } });

    expect(await handleProbe(world.deps(), endpoint.id)).toBe('done');
    const probes = (await world.receive()).map((m) => JSON.parse(m.Body ?? '{}') as { deliveryId?: string });
    const slow = await world.env.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: world.config().slowDeliveryQueueUrl, MaxNumberOfMessages: 10 }));
    const probed = [...probes, ...(slow.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}') as { deliveryId?: string })].flatMap((m) =>
      m.deliveryId === undefined ? [] : [m.deliveryId],
    );
    expect(probed).toHaveLength(1);
    expect(probed[0]).not.toBe(oldest);
    expect(await store.countParked(endpoint.id)).toBe(2);
  });
});
