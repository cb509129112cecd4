import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../../lambdas/core/model';
import { deliverOne } from '../../../lambdas/use-cases/deliver/deliver-one';
import { processBatch } from '../../../lambdas/use-cases/deliver/process-batch';
import { record, ScriptedSender, seed, T0, unitWorld, type UnitWorld } from './fakes';

const answering = (outcome: Outcome, latencyMs = 12) => new ScriptedSender(() => ({ outcome, latencyMs }));

async function run(w: UnitWorld, attempt = 1) {
  const d = w.store.deliveries.get('dlv_1')!;
  return deliverOne(w.deps, {
    message: { deliveryId: 'dlv_1', attempt },
    delivery: d,
    endpoint: w.store.endpoints.get(d.endpointId)!,
    event: w.store.events.get(d.eventId)!,
  });
}

describe('deliver metrics', () => {
  it('a delivered attempt counts Delivered with its attempt and publish-to-delivery latency', async () => {
    const w = unitWorld({ sender: answering({ kind: 'http', status: 200 }, 40) });
    seed(w);
    const created = w.store.deliveries.get('dlv_1')!.createdAt;
    w.clock.t = created + 5000;
    await run(w);
    expect(Object.fromEntries(w.metrics.counts)).toEqual({ Delivered: 1 });
    expect(w.metrics.latencies.get('AttemptLatency')).toEqual([40]);
    expect(w.metrics.latencies.get('DeliveryLatency')).toEqual([5000]);
  });

  it.each([
    ['retried', 503, { Failed: 1 }, 'http_5xx'],
    ['dead at once', 400, { Failed: 1, Dead: 1 }, 'http_4xx'],
    ['canceled (410 Gone)', 410, { Failed: 1, Canceled: 1 }, 'http_4xx'],
  ] as const)('a failed attempt %s counts %j, the failure under its class', async (_, status, counts, failureClass) => {
    const w = unitWorld({ sender: answering({ kind: 'http', status }) });
    seed(w);
    await run(w);
    expect(Object.fromEntries(w.metrics.counts)).toEqual(counts);
    expect(Object.fromEntries(w.metrics.failures)).toEqual({ [failureClass]: 1 });
  });

  it('a delivery whose endpoint was deleted counts Canceled with no attempt', async () => {
    const w = unitWorld({ sender: answering({ kind: 'http', status: 200 }) });
    seed(w);
    const d = w.store.deliveries.get('dlv_1')!;
    await deliverOne(w.deps, { message: { deliveryId: 'dlv_1', attempt: 1 }, delivery: d, event: w.store.events.get(d.eventId)! });
    expect(Object.fromEntries(w.metrics.counts)).toEqual({ Canceled: 1 });
    expect(w.metrics.latencies.size).toBe(0);
  });

  it('a batch records each message’s queue age from its SentTimestamp', async () => {
    const w = unitWorld({ sender: answering({ kind: 'http', status: 200 }) });
    seed(w);
    w.clock.t = T0 + 60_000;
    await processBatch(w.deps, [{ ...record({ deliveryId: 'dlv_1', attempt: 1 }), attributes: { SentTimestamp: String(T0 + 59_000) } }]);
    expect(w.metrics.latencies.get('QueueAge')).toEqual([1000]);
  });
});
