/**
 * Two workers race on one endpoint's circuit: this batch's failure opens it and parks the delivery, while another
 * worker's success closes it first. The batch's change is dropped (the other's stands), so nothing would open a
 * probe cycle for the parked delivery: the batch must see the closed circuit and release it (the real worker code
 * on the emulators).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Circuit } from '../../../lambdas/core/circuit';
import type { CircuitStore } from '../../../lambdas/ports/circuit-store';
import type { DeliverDeps } from '../../../lambdas/use-cases/deliver/deps';
import { keys } from '../../../lambdas/adapters/dynamo/schema';
import { useWorld, type World } from './world';

describe('a circuit closed by another worker while this batch opened it', () => {
  const getWorld = useWorld();
  let world: World;
  beforeEach(() => {
    world = getWorld();
  });

  /** Deps whose first circuit save finds another worker's closed circuit stored just before it. */
  function racingDeps(endpointId: string): DeliverDeps {
    const deps = world.deps();
    const breaker = deps.breaker!;
    let raced = false;
    const circuits: CircuitStore = {
      endpoint: (id) => breaker.circuits.endpoint(id),
      logParked: (id, entries, now) => breaker.circuits.logParked(id, entries, now),
      parkLog: (id, entries, before) => breaker.circuits.parkLog(id, entries, before),
      rewriteParkLog: (item, remaining) => breaker.circuits.rewriteParkLog(item, remaining),
      countParked: (id) => breaker.circuits.countParked(id),
      needingAttention: (now, limit) => breaker.circuits.needingAttention(now, limit),
      save: async (save) => {
        if (!raced) {
          raced = true;
          const closed: Circuit = { state: 'closed', failures: 0 };
          await world.env.clients.doc.send(
            new UpdateCommand({
              TableName: world.config().tableName,
              Key: keys.endpoint(endpointId),
              UpdateExpression: 'SET circuit = :c',
              ExpressionAttributeValues: { ':c': JSON.stringify(closed) },
            }),
          );
        }
        return breaker.circuits.save(save);
      },
    };
    return { ...deps, breaker: { ...breaker, circuits } };
  }

  it('releases the delivery it parked, and the delivery is then delivered', async () => {
    let answer = 503;
    world.receiver.on('/race', () => ({ status: answer }));
    const almostOpen: Circuit = { state: 'closed', failures: 4 };
    const { endpoint, delivery } = await world.seed({ endpoint: { url: world.receiver.url('/race'), circuit: almostOpen } });
    const handler = world.handler(racingDeps(endpoint.id));

    await world.pump(handler, 1);
    expect((await world.delivery(delivery.id))?.status).toBe('parked');
    expect(world.logs.map((l) => l.message)).toContain('circuit changed by another worker meanwhile; this batch’s change dropped');
    expect((await world.endpoint(endpoint.id))?.circuit).toEqual({ state: 'closed', failures: 0 });

    answer = 200;
    const plain = world.handler(world.deps());
    // The release control message, then the released delivery.
    for (let i = 0; i < 3 && (await world.delivery(delivery.id))?.status !== 'delivered'; i++) await world.pump(plain, 1);
    expect(await world.delivery(delivery.id)).toMatchObject({ status: 'delivered', attemptCount: 2 });
    expect(world.receiver.requestsTo('/race')).toHaveLength(2);
  });
});
