import { describe, expect, it } from 'vitest';
import type { Circuit, CircuitSettings } from '../../../lambdas/core/circuit';
import { BatchCircuits, sameCircuit } from '../../../lambdas/use-cases/deliver/batch-circuits';

const T = Date.UTC(2026, 0, 1);
const S: CircuitSettings = { enabled: true, failureThreshold: 3, probeIntervalSeconds: 60, probePatienceMs: 20_000 };

describe('BatchCircuits', () => {
  it('reports nothing for a batch that changed no circuit', () => {
    const b = new BatchCircuits();
    const ep = { id: 'ep_a' };
    expect(b.dispatch(ep, S, 'd1', T)).toEqual({ kind: 'send' });
    expect(b.attempt(ep, S, 'd1', 'success', 'HTTP 200', T)).toEqual({ kind: 'none' });
    expect(b.changes()).toEqual([]);
  });

  it('folds the batch in order: the failure that reaches the threshold opens it, later ones are parked; one change with the probe time', () => {
    const b = new BatchCircuits();
    const ep = { id: 'ep_a', circuit: { state: 'closed', failures: 1 } as Circuit };
    expect(b.attempt(ep, S, 'd1', 'failure', 'HTTP 503', T)).toEqual({ kind: 'none' });
    expect(b.attempt(ep, S, 'd2', 'failure', 'HTTP 503', T + 1)).toMatchObject({ kind: 'park_failed', opened: true });
    expect(b.attempt(ep, S, 'd3', 'failure', 'HTTP 503', T + 2)).toMatchObject({ kind: 'park_failed', opened: false });
    expect(b.dispatch(ep, S, 'd4', T + 3)).toMatchObject({ kind: 'park' });
    expect(b.changes()).toEqual([
      {
        endpointId: 'ep_a',
        before: { state: 'closed', failures: 1 },
        after: { state: 'open', since: T + 1, nextProbeAt: T + 60_001, reason: '3 consecutive failed attempts, last: HTTP 503' },
        probeAt: T + 60_001,
        release: false,
        parked: true,
        save: true,
      },
    ]);
  });

  it('reports an endpoint whose open circuit parked a failed attempt, though the circuit is unchanged', () => {
    const b = new BatchCircuits();
    const halfOpen: Circuit = { state: 'half_open', since: T - 1000, probeDeliveryId: 'probe', probeUntil: T + 5000, reason: 'x' };
    expect(b.attempt({ id: 'ep_a', circuit: halfOpen }, S, 'd1', 'failure', 'HTTP 503', T)).toMatchObject({ kind: 'park_failed', opened: false });
    expect(b.changes()).toEqual([{ endpointId: 'ep_a', before: halfOpen, after: halfOpen, release: false, parked: true, save: false }]);
  });

  it('keeps endpoints apart, and reports a close with release', () => {
    const b = new BatchCircuits();
    const open: Circuit = { state: 'open', since: T - 1000, nextProbeAt: T + 1000, reason: 'x' };
    b.attempt({ id: 'ep_a', circuit: open }, S, 'd1', 'success', 'HTTP 200', T);
    b.attempt({ id: 'ep_b' }, S, 'd2', 'failure', 'timeout', T);
    expect(b.current({ id: 'ep_a', circuit: open })).toEqual({ state: 'closed', failures: 0 });
    expect(b.changes()).toEqual([
      { endpointId: 'ep_a', before: open, after: { state: 'closed', failures: 0 }, release: true, parked: false, save: true },
      { endpointId: 'ep_b', before: { state: 'closed', failures: 0 }, after: { state: 'closed', failures: 1 }, release: false, parked: false, save: true },
    ]);
  });
});

describe('sameCircuit', () => {
  it('compares every field of each state', () => {
    const open: Circuit = { state: 'open', since: 1, nextProbeAt: 2, reason: 'r' };
    expect(sameCircuit(open, { ...open })).toBe(true);
    expect(sameCircuit(open, { ...open, nextProbeAt: 3 })).toBe(false);
    expect(sameCircuit({ state: 'closed', failures: 1 }, { state: 'closed', failures: 2 })).toBe(false);
    expect(sameCircuit({ state: 'closed', failures: 0 }, open)).toBe(false);
  });
});
