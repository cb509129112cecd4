/**
 * Parked deliveries at their maximum age: a probe of the endpoint's open circuit dead-letters them in bulk, each
 * one on the dead-letter queue, with one alert for all of them (the real worker code on the emulators).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../../lambdas/core/policy';
import type { Circuit } from '../../../lambdas/core/circuit';
import { handleProbe } from '../../../lambdas/use-cases/deliver/probe';
import { START, startWorld, type World } from './world';

describe('parked deliveries past their maximum age', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world?.stop();
  });
  beforeEach(async () => {
    await world.reset();
  });

  it('are dead-lettered in bulk by the next probe, with one coalesced alert; younger ones stay parked', async () => {
    const open: Circuit = { state: 'open', since: START, nextProbeAt: START + 60_000, reason: '5 consecutive failed attempts, last: HTTP 503' };
    const first = await world.seed({ endpoint: { circuit: open }, delivery: { status: 'parked', attemptCount: 1, finalReason: 'circuit open' }, enqueue: false });
    const endpoint = first.endpoint;
    const old = [first.delivery.id];
    for (let i = 0; i < 4; i++) {
      old.push((await world.seed({ endpoint, delivery: { status: 'parked', attemptCount: 1, finalReason: 'circuit open' }, enqueue: false })).delivery.id);
    }
    // One parked a day later: not yet at its maximum age when the others are.
    world.clock.t = START + 86_400_000;
    const young = (await world.seed({ endpoint, delivery: { status: 'parked', attemptCount: 1, finalReason: 'circuit open' }, enqueue: false })).delivery.id;

    world.clock.t = START + DEFAULT_POLICY.maxAgeSeconds * 1000 + 1000;
    const deps = world.deps();
    expect(await handleProbe(deps, endpoint.id)).toBe('done');

    for (const id of old) {
      expect(await world.delivery(id)).toMatchObject({ status: 'dead', finalReason: expect.stringMatching(/^expired: parked while the endpoint's circuit was open/) });
    }
    expect((await world.delivery(young))?.status).toBe('parked');
    const dlq = await world.dlq(1);
    expect(dlq.map((r) => r.deliveryId).sort()).toEqual([...old].sort());
    const alerts = await world.alerts(1);
    expect(alerts.map((a) => a.Subject)).toEqual([`Herald: 5 parked deliveries dead-lettered for ${new URL(endpoint.url).host}`]);
    expect(alerts[0]!.Message).toContain(`Count:    5`);
  });
});
