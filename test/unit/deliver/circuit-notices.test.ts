import { describe, expect, it } from 'vitest';
import type { Circuit } from '../../../lambdas/core/circuit';
import { announceCircuit } from '../../../lambdas/use-cases/deliver/circuit-notices';
import { T0, unitWorld } from './fakes';

const endpoint = { id: 'ep_1', url: 'https://hooks.example.com/in?token=secret', tenant: 'acme' };
const closed: Circuit = { state: 'closed', failures: 4 };
const open: Circuit = { state: 'open', since: T0, nextProbeAt: T0 + 60_000, reason: '5 consecutive failed attempts, last: HTTP 503' };
const halfOpen: Circuit = { state: 'half_open', since: T0, probeDeliveryId: 'dlv_1', probeUntil: T0 + 20_000, reason: open.reason };

describe('circuit notices: what the operator hears when a circuit opens or closes', () => {
  it('opened: the endpoint.circuit_opened event, one e-mail and the CircuitOpen metric', async () => {
    const w = unitWorld();
    await announceCircuit(w.deps, endpoint, closed, open);
    expect(w.effects.operational).toEqual([
      {
        type: 'endpoint.circuit_opened',
        data: { endpointId: 'ep_1', url: 'https://hooks.example.com/in', tenant: 'acme', reason: open.reason, nextProbeAt: new Date(T0 + 60_000).toISOString() },
      },
    ]);
    expect(w.effects.published).toHaveLength(1);
    expect(w.effects.published[0]!.subject).toBe('Herald: circuit opened for hooks.example.com');
    expect(w.effects.published[0]!.message).toContain(open.reason);
    expect(w.effects.published[0]!.message).not.toContain('token=secret');
    expect(w.metrics.get('CircuitOpen')).toBe(1);
  });

  it('closed: the endpoint.circuit_closed event with the parked count, no e-mail', async () => {
    const w = unitWorld();
    await announceCircuit(w.deps, endpoint, halfOpen, { state: 'closed', failures: 0 }, async () => 42);
    expect(w.effects.operational).toEqual([
      { type: 'endpoint.circuit_closed', data: { endpointId: 'ep_1', url: 'https://hooks.example.com/in', tenant: 'acme', parked: 42 } },
    ]);
    expect(w.effects.published).toEqual([]);
    expect(w.metrics.get('CircuitOpen')).toBe(0);
  });

  it('says nothing for a probe going out or failing (the circuit was open already) or a closed circuit counting failures', async () => {
    const w = unitWorld();
    await announceCircuit(w.deps, endpoint, open, halfOpen);
    await announceCircuit(w.deps, endpoint, halfOpen, { ...open, reason: 'probe failed: HTTP 503' });
    await announceCircuit(w.deps, endpoint, { state: 'closed', failures: 0 }, closed);
    expect(w.effects.operational).toEqual([]);
    expect(w.effects.published).toEqual([]);
  });

  it('a failing webhook or e-mail is logged, never thrown, and one does not hold back the other', async () => {
    const w = unitWorld();
    w.deps = { ...w.deps, alerts: { publish: async () => Promise.reject(new Error('sns down')) } };
    await announceCircuit(w.deps, endpoint, closed, open);
    expect(w.effects.operational).toHaveLength(1);
    expect(w.logs.filter((l) => l.level === 'error').map((l) => l.message)).toEqual(['circuit-opened alert failed']);
  });
});
