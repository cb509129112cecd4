import { describe, expect, it } from 'vitest';
import { degradedStep, MIN_ATTEMPTS_TO_RECOVER, receiverHealth } from '../../../lambdas/core/receiver-health';
import { deliverOne } from '../../../lambdas/use-cases/deliver/deliver-one';
import { ReceiverWatch } from '../../../lambdas/use-cases/deliver/degraded';
import { ScriptedSender, seed, T0, unitWorld, type UnitWorld } from './fakes';

let n = 0;
async function deliverNew(w: UnitWorld) {
  const id = `dlv_${++n}`;
  seed(w, { endpoint: { ...w.store.endpoints.get('ep_1'), timeoutMs: 1000 }, delivery: { id } });
  const d = w.store.deliveries.get(id)!;
  await deliverOne(w.deps, { message: { deliveryId: id, attempt: 1 }, delivery: d, endpoint: w.store.endpoints.get('ep_1')!, event: w.store.events.get(d.eventId)! });
}

const ofType = (w: UnitWorld, type: string) => w.effects.operational.filter((e) => e.type === type);

describe('endpoint.degraded: one warning per episode, state kept on the endpoint', () => {
  it('a slow receiver (p95 over 80 % of the timeout) is announced once, not again while it stays slow, then recovers once', async () => {
    let latencyMs = 900;
    const w = unitWorld({ sender: new ScriptedSender(() => ({ outcome: { kind: 'http', status: 200 }, latencyMs })) });
    await deliverNew(w);
    expect(ofType(w, 'endpoint.degraded')).toEqual([
      {
        type: 'endpoint.degraded',
        data: { endpointId: 'ep_1', url: 'https://hooks.example.com/in', tenant: '', reason: expect.stringContaining('p95 response time over the last hour is 900 ms') },
      },
    ]);
    expect(w.effects.published.map((p) => p.subject)).toEqual(['Herald: endpoint degraded (hooks.example.com)']);
    expect(w.store.endpoints.get('ep_1')!.degraded).toEqual({ since: T0, reason: expect.any(String) });

    for (let i = 0; i < 10; i++) {
      w.clock.t += 1000;
      await deliverNew(w);
    }
    expect(ofType(w, 'endpoint.degraded')).toHaveLength(1);
    expect(w.effects.published).toHaveLength(1);

    // An hour later the slow attempts have left the window; fast answers clear the warning, once.
    latencyMs = 20;
    w.clock.t = T0 + 3_700_000;
    for (let i = 0; i < MIN_ATTEMPTS_TO_RECOVER + 3; i++) {
      w.clock.t += 1000;
      await deliverNew(w);
    }
    expect(ofType(w, 'endpoint.recovered')).toEqual([
      { type: 'endpoint.recovered', data: { endpointId: 'ep_1', url: 'https://hooks.example.com/in', tenant: '', degradedSince: new Date(T0).toISOString() } },
    ]);
    expect(w.store.endpoints.get('ep_1')!.degraded).toBeUndefined();
    expect(w.effects.published.map((p) => p.subject)).toEqual(['Herald: endpoint degraded (hooks.example.com)', 'Herald: endpoint recovered (hooks.example.com)']);
  });

  it('a non-2xx rate over 5 % is announced once; a healthy endpoint is never looked at', async () => {
    let i = 0;
    // Every tenth answer is a 503 (10 %): retried, so not dead-lettered.
    const w = unitWorld({ sender: new ScriptedSender(() => ({ outcome: { kind: 'http', status: ++i % 10 === 0 ? 503 : 200 }, latencyMs: 10 })) });
    let looks = 0;
    const history = { recentAttempts: (id: string, since: number) => (looks++, w.store.recentAttempts(id, since)) };
    w.deps = { ...w.deps, receivers: new ReceiverWatch(history, 0) };
    for (let k = 0; k < 9; k++) await deliverNew(w);
    expect(looks).toBe(0);
    for (let k = 0; k < 30; k++) {
      w.clock.t += 1000;
      await deliverNew(w);
    }
    expect(ofType(w, 'endpoint.degraded')).toEqual([{ type: 'endpoint.degraded', data: expect.objectContaining({ reason: expect.stringContaining('were not answered with a 2xx') }) }]);
  });

  it('one container looks at an endpoint at most once per interval', () => {
    const watch = new ReceiverWatch({ recentAttempts: async () => [] }, 300_000);
    expect(watch.take('ep_1', T0)).toBe(true);
    expect(watch.take('ep_1', T0 + 299_999)).toBe(false);
    expect(watch.take('ep_2', T0 + 1)).toBe(true);
    expect(watch.take('ep_1', T0 + 300_000)).toBe(true);
  });

  it('degradedStep: raised once, kept while the warning lasts, cleared only with enough clean attempts', () => {
    const slow = receiverHealth({ attempts: [{ startedAt: T0, latencyMs: 900, outcome: { kind: 'http', status: 200 } }], now: T0, timeoutMs: 1000 });
    const clean = (count: number) =>
      receiverHealth({ attempts: Array.from({ length: count }, () => ({ startedAt: T0, latencyMs: 10, outcome: { kind: 'http' as const, status: 200 } })), now: T0, timeoutMs: 1000 });
    const marked = { since: T0, reason: 'slow' };
    expect(degradedStep(undefined, slow)).toEqual({ kind: 'degraded', reason: expect.stringContaining('900 ms') });
    expect(degradedStep(marked, slow)).toEqual({ kind: 'none' });
    expect(degradedStep(marked, clean(MIN_ATTEMPTS_TO_RECOVER - 1))).toEqual({ kind: 'none' });
    expect(degradedStep(marked, clean(MIN_ATTEMPTS_TO_RECOVER))).toEqual({ kind: 'recovered' });
    expect(degradedStep(undefined, clean(50))).toEqual({ kind: 'none' });
  });
});
