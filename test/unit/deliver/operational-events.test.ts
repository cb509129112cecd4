import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../../lambdas/core/model';
import { deliverOne } from '../../../lambdas/use-cases/deliver/deliver-one';
import { flushAlerts } from '../../../lambdas/use-cases/deliver/flush-alerts';
import { ScriptedSender, seed, T0, unitWorld, type UnitWorld } from './fakes';

const answering = (outcome: Outcome) => new ScriptedSender(() => ({ outcome, latencyMs: 5 }));

async function deliver(w: UnitWorld, id: string) {
  const d = w.store.deliveries.get(id)!;
  await deliverOne(w.deps, { message: { deliveryId: id, attempt: 1 }, delivery: d, endpoint: w.store.endpoints.get(d.endpointId)!, event: w.store.events.get(d.eventId)! });
}

describe('operational events from the deliver worker, beside the e-mail alerts', () => {
  it('delivery.dead: the first dead letter of an endpoint window at once, the rest as one summary, like the e-mail', async () => {
    const w = unitWorld({ sender: answering({ kind: 'http', status: 400 }) });
    for (let i = 1; i <= 3; i++) {
      seed(w, { delivery: { id: `dlv_${i}` } });
      await deliver(w, `dlv_${i}`);
    }
    expect(w.effects.operational).toEqual([
      {
        type: 'delivery.dead',
        data: expect.objectContaining({ summary: false, deliveryId: 'dlv_1', endpointId: 'ep_1', url: 'https://hooks.example.com/in', attempts: 1, lastOutcome: 'HTTP 400' }),
      },
    ]);
    w.clock.t = T0 + 300_000;
    expect(await flushAlerts(w.deps)).toBe(1);
    expect(w.effects.operational[1]).toEqual({
      type: 'delivery.dead',
      data: {
        endpointId: 'ep_1',
        url: 'https://hooks.example.com/in',
        summary: true,
        count: 2,
        windowStart: new Date(T0).toISOString(),
        windowEnd: new Date(T0 + 300_000).toISOString(),
        sampleDeliveryIds: ['dlv_2', 'dlv_3'],
      },
    });
    expect(w.effects.published).toHaveLength(2);
  });

  it('endpoint.disabled when the worker disables an endpoint', async () => {
    const w = unitWorld({ sender: answering({ kind: 'http', status: 410 }) });
    seed(w, { endpoint: { retryPolicy: { on410: 'cancel_and_disable' } } });
    await deliver(w, 'dlv_1');
    expect(w.effects.operational).toEqual([
      { type: 'endpoint.disabled', data: { endpointId: 'ep_1', url: 'https://hooks.example.com/in', tenant: '', reason: expect.stringContaining('410 Gone') } },
    ]);
    expect(w.effects.published).toHaveLength(1);
  });

  it('a failing operational webhook is logged and does not hold back the e-mail (nor the other way round)', async () => {
    const w = unitWorld({ sender: answering({ kind: 'http', status: 400 }) });
    w.deps = { ...w.deps, operational: { emit: () => Promise.reject(new Error('receiver down')) } };
    seed(w);
    await deliver(w, 'dlv_1');
    expect(w.effects.published).toHaveLength(1);
    expect(w.logs).toContainEqual(expect.objectContaining({ level: 'error', message: 'operational webhook failed', fields: expect.objectContaining({ type: 'delivery.dead' }) }));

    const v = unitWorld({ sender: answering({ kind: 'http', status: 400 }) });
    v.deps = { ...v.deps, alerts: { publish: () => Promise.reject(new Error('SNS down')) } };
    seed(v);
    await deliver(v, 'dlv_1');
    expect(v.effects.operational).toHaveLength(1);
  });
});
