import { describe, expect, it } from 'vitest';
import {
  circuitSettingsFor,
  CLOSED,
  nextProbeTime,
  validateCircuitBreakerInput,
  parseCircuit,
  stepCircuit,
  type Circuit,
  type CircuitEvent,
  type CircuitSettings,
  type CircuitStep,
} from '../../../lambdas/core/circuit';

const T = Date.UTC(2026, 0, 1, 12, 0, 0);
const ON: CircuitSettings = { enabled: true, failureThreshold: 5, probeIntervalSeconds: 60, probePatienceMs: 70_000 };
const OFF: CircuitSettings = { ...ON, enabled: false };

const closed = (failures: number): Circuit => ({ state: 'closed', failures });
const open: Circuit = { state: 'open', since: T - 120_000, nextProbeAt: T + 30_000, reason: '5 consecutive failed attempts, last: timeout' };
const halfOpen: Circuit = {
  state: 'half_open',
  since: T - 120_000,
  probeDeliveryId: 'dlv_probe',
  probeUntil: T + 10_000,
  reason: '5 consecutive failed attempts, last: timeout',
};
const PARK_REASON = `circuit open since ${new Date(T - 120_000).toISOString()}: 5 consecutive failed attempts, last: timeout`;

const dispatch = (deliveryId: string, now = T): CircuitEvent => ({ kind: 'dispatch', deliveryId, now });
const success = (deliveryId = 'dlv_a', now = T): CircuitEvent => ({ kind: 'attempt', deliveryId, verdict: 'success', reason: 'HTTP 200', now });
const failure = (deliveryId = 'dlv_a', now = T, reason = 'HTTP 503'): CircuitEvent => ({
  kind: 'attempt',
  deliveryId,
  verdict: 'failure',
  reason,
  now,
});
const neutral = (deliveryId = 'dlv_a'): CircuitEvent => ({ kind: 'attempt', deliveryId, verdict: 'neutral', reason: 'HTTP 400', now: T });
const probeDue = (candidate: string | undefined, now = T): CircuitEvent =>
  candidate === undefined ? { kind: 'probe_due', now } : { kind: 'probe_due', candidate, now };

describe('stepCircuit: every transition', () => {
  it.each<[string, Circuit, CircuitEvent, CircuitStep]>([
    // closed
    ['closed, dispatch → send', closed(2), dispatch('dlv_a'), { circuit: closed(2), action: { kind: 'send' } }],
    ['closed, success → failures reset', closed(3), success(), { circuit: CLOSED, action: { kind: 'none' } }],
    ['closed, success with no failures → unchanged', closed(0), success(), { circuit: closed(0), action: { kind: 'none' } }],
    ['closed, failure below threshold → counted', closed(3), failure(), { circuit: closed(4), action: { kind: 'none' } }],
    [
      'closed, failure reaching threshold → open, park the failed one',
      closed(4),
      failure('dlv_a', T, 'timeout'),
      {
        circuit: { state: 'open', since: T, nextProbeAt: T + 60_000, reason: '5 consecutive failed attempts, last: timeout' },
        action: { kind: 'park_failed', opened: true, nextProbeAt: T + 60_000, reason: '5 consecutive failed attempts, last: timeout' },
      },
    ],
    ['closed, neutral → unchanged', closed(3), neutral(), { circuit: closed(3), action: { kind: 'none' } }],
    ['closed, probe_due → nothing', closed(1), probeDue('dlv_x'), { circuit: closed(1), action: { kind: 'none' } }],
    // open
    ['open, dispatch before the probe time → park', open, dispatch('dlv_a'), { circuit: open, action: { kind: 'park', reason: PARK_REASON } }],
    [
      'open, dispatch at the probe time → this delivery is the probe',
      open,
      dispatch('dlv_a', T + 30_000),
      {
        circuit: { state: 'half_open', since: T - 120_000, probeDeliveryId: 'dlv_a', probeUntil: T + 100_000, reason: open.reason },
        action: { kind: 'probe', deliveryId: 'dlv_a' },
      },
    ],
    ['open, success (sent before it opened) → closed, release', open, success(), { circuit: CLOSED, action: { kind: 'closed', release: true } }],
    [
      'open, failure (in flight when it opened) → park it, no new probe',
      open,
      failure(),
      { circuit: open, action: { kind: 'park_failed', opened: false, nextProbeAt: T + 30_000, reason: open.reason } },
    ],
    ['open, neutral → unchanged', open, neutral(), { circuit: open, action: { kind: 'none' } }],
    ['open, probe_due too early → wait', open, probeDue('dlv_x'), { circuit: open, action: { kind: 'wait', at: T + 30_000 } }],
    [
      'open, probe_due with a candidate → probe it',
      open,
      probeDue('dlv_x', T + 31_000),
      {
        circuit: { state: 'half_open', since: T - 120_000, probeDeliveryId: 'dlv_x', probeUntil: T + 101_000, reason: open.reason },
        action: { kind: 'probe', deliveryId: 'dlv_x' },
      },
    ],
    [
      'open, probe_due with nothing parked → closed one failure short of the threshold, nothing to release',
      open,
      probeDue(undefined, T + 30_000),
      { circuit: closed(4), action: { kind: 'closed', release: false } },
    ],
    // half-open
    ['half_open, dispatch of the probe itself → send', halfOpen, dispatch('dlv_probe'), { circuit: halfOpen, action: { kind: 'send' } }],
    ['half_open, dispatch of another → park', halfOpen, dispatch('dlv_a'), { circuit: halfOpen, action: { kind: 'park', reason: PARK_REASON } }],
    [
      'half_open, dispatch of another after the probe was lost → new probe',
      halfOpen,
      dispatch('dlv_a', T + 10_001),
      {
        circuit: { ...halfOpen, probeDeliveryId: 'dlv_a', probeUntil: T + 80_001 },
        action: { kind: 'probe', deliveryId: 'dlv_a' },
      },
    ],
    ['half_open, probe succeeded → closed, release', halfOpen, success('dlv_probe'), { circuit: CLOSED, action: { kind: 'closed', release: true } }],
    ['half_open, another succeeded → closed, release', halfOpen, success('dlv_a'), { circuit: CLOSED, action: { kind: 'closed', release: true } }],
    [
      'half_open, probe failed → open again, next probe one interval later',
      halfOpen,
      failure('dlv_probe', T + 2_000, 'HTTP 502'),
      {
        circuit: { state: 'open', since: T - 120_000, nextProbeAt: T + 62_000, reason: 'probe failed: HTTP 502' },
        action: { kind: 'reopened', nextProbeAt: T + 62_000, reason: 'probe failed: HTTP 502' },
      },
    ],
    [
      'half_open, another failed → park it, stay half-open',
      halfOpen,
      failure('dlv_a'),
      { circuit: halfOpen, action: { kind: 'park_failed', opened: false, nextProbeAt: T + 10_000, reason: halfOpen.reason } },
    ],
    ['half_open, neutral → unchanged', halfOpen, neutral('dlv_probe'), { circuit: halfOpen, action: { kind: 'none' } }],
    ['half_open, probe_due while the probe runs → wait', halfOpen, probeDue('dlv_x'), { circuit: halfOpen, action: { kind: 'wait', at: T + 10_001 } }],
    [
      'half_open, probe_due after the probe was lost → probe again',
      halfOpen,
      probeDue('dlv_x', T + 10_001),
      {
        circuit: { ...halfOpen, probeDeliveryId: 'dlv_x', probeUntil: T + 80_001 },
        action: { kind: 'probe', deliveryId: 'dlv_x' },
      },
    ],
    [
      'half_open, probe lost and nothing parked → closed one short',
      halfOpen,
      probeDue(undefined, T + 10_001),
      { circuit: closed(4), action: { kind: 'closed', release: false } },
    ],
  ])('%s', (_name, circuit, event, expected) => {
    expect(stepCircuit(circuit, event, ON)).toEqual(expected);
  });
});

describe('stepCircuit: breaker turned off', () => {
  it.each<[string, Circuit, CircuitEvent, CircuitStep]>([
    ['closed, dispatch → send', closed(3), dispatch('dlv_a'), { circuit: CLOSED, action: { kind: 'send' } }],
    ['open, dispatch → send and release', open, dispatch('dlv_a'), { circuit: CLOSED, action: { kind: 'send', release: true } }],
    ['half_open, dispatch → send and release', halfOpen, dispatch('dlv_a'), { circuit: CLOSED, action: { kind: 'send', release: true } }],
    ['closed, failures never open it', closed(4), failure(), { circuit: CLOSED, action: { kind: 'none' } }],
    ['open, probe_due → closed, release', open, probeDue('dlv_x'), { circuit: CLOSED, action: { kind: 'closed', release: true } }],
    ['open, failure → closed, release (nothing stays parked)', open, failure(), { circuit: CLOSED, action: { kind: 'closed', release: true } }],
  ])('%s', (_name, circuit, event, expected) => {
    expect(stepCircuit(circuit, event, OFF)).toEqual(expected);
  });
});

describe('stepCircuit: sequences', () => {
  function fold(start: Circuit, events: CircuitEvent[], settings = ON): CircuitStep[] {
    const steps: CircuitStep[] = [];
    let circuit = start;
    for (const event of events) {
      const step = stepCircuit(circuit, event, settings);
      steps.push(step);
      circuit = step.circuit;
    }
    return steps;
  }

  it('opens after exactly failureThreshold consecutive failures; a success in between restarts the count', () => {
    const steps = fold(CLOSED, [failure(), failure(), success(), failure(), failure(), failure(), failure()]);
    expect(steps.map((s) => s.circuit.state)).toEqual(['closed', 'closed', 'closed', 'closed', 'closed', 'closed', 'closed']);
    const more = fold(steps.at(-1)!.circuit, [failure()]);
    expect(more[0]!.circuit.state).toBe('open');
    expect(more[0]!.action).toMatchObject({ kind: 'park_failed', opened: true });
  });

  it('neutral verdicts (permanent, stop) neither count nor reset', () => {
    const steps = fold(closed(4), [neutral(), neutral()]);
    expect(steps.at(-1)!.circuit).toEqual(closed(4));
  });

  it('flapping: up, down (opens), probe fails, probe succeeds (closes), down again (opens again)', () => {
    const threshold: CircuitSettings = { ...ON, failureThreshold: 2 };
    const steps = fold(
      CLOSED,
      [
        success('d1', T),
        failure('d2', T + 1_000),
        failure('d3', T + 2_000), // opens; next probe T + 62 s
        dispatch('d4', T + 3_000), // parked
        probeDue('d3', T + 62_000), // d3 is the probe
        failure('d3', T + 63_000), // reopens; next probe T + 123 s
        dispatch('d5', T + 64_000), // parked
        probeDue('d3', T + 123_000),
        success('d3', T + 124_000), // closes, release
        dispatch('d6', T + 125_000), // sent
        failure('d6', T + 126_000),
        failure('d7', T + 127_000), // opens again
      ],
      threshold,
    );
    expect(steps.map((s) => [s.circuit.state, s.action.kind])).toEqual([
      ['closed', 'none'],
      ['closed', 'none'],
      ['open', 'park_failed'],
      ['open', 'park'],
      ['half_open', 'probe'],
      ['open', 'reopened'],
      ['open', 'park'],
      ['half_open', 'probe'],
      ['closed', 'closed'],
      ['closed', 'send'],
      ['closed', 'none'],
      ['open', 'park_failed'],
    ]);
    expect(steps.at(-1)!.circuit).toMatchObject({ since: T + 127_000, nextProbeAt: T + 187_000 });
  });

  it('opening mid-batch: records in flight that fail are parked, one that succeeds closes it again', () => {
    const steps = fold(closed(4), [failure('a'), failure('b'), success('c'), failure('d')]);
    expect(steps.map((s) => s.action.kind)).toEqual(['park_failed', 'park_failed', 'closed', 'none']);
    expect(steps.at(-1)!.circuit).toEqual(closed(1));
  });

  it('only one delivery is the probe while half-open', () => {
    const steps = fold(open, [dispatch('a', T + 30_000), dispatch('b', T + 30_001), dispatch('a', T + 30_002)]);
    expect(steps.map((s) => s.action.kind)).toEqual(['probe', 'park', 'send']);
  });
});

describe('nextProbeTime', () => {
  it('is the probe time while open, the end of the probe’s patience while half-open, none while closed', () => {
    expect(nextProbeTime(CLOSED)).toBeUndefined();
    expect(nextProbeTime(open)).toBe(T + 30_000);
    expect(nextProbeTime(halfOpen)).toBe(T + 10_000);
  });
});

describe('parseCircuit', () => {
  it.each<[unknown, Circuit]>([
    [undefined, CLOSED],
    [null, CLOSED],
    ['open', CLOSED],
    [{}, CLOSED],
    [{ state: 'closed', failures: 3 }, closed(3)],
    [{ state: 'closed', failures: -1 }, CLOSED],
    [{ state: 'closed' }, CLOSED],
    [open, open],
    [{ state: 'open', since: T }, CLOSED],
    [{ state: 'open', since: T, nextProbeAt: T + 1 }, { state: 'open', since: T, nextProbeAt: T + 1, reason: '' }],
    [halfOpen, halfOpen],
    [{ state: 'half_open', since: T, probeUntil: T }, CLOSED],
    [{ state: 'ajar' }, CLOSED],
  ])('%o → %o', (raw, expected) => {
    expect(parseCircuit(raw)).toEqual(expected);
  });
});

describe('validateCircuitBreakerInput', () => {
  it.each<[unknown, unknown]>([
    [false, false],
    [{}, {}],
    [{ failureThreshold: 1 }, { failureThreshold: 1 }],
    [{ failureThreshold: 1000, probeIntervalSeconds: 86_400 }, { failureThreshold: 1000, probeIntervalSeconds: 86_400 }],
  ])('accepts %o', (input, value) => {
    expect(validateCircuitBreakerInput(input)).toEqual({ ok: true, value });
  });

  it.each<[unknown, { path: string; message: string }[]]>([
    [true, [{ path: 'circuitBreaker', message: 'must be false or an object with failureThreshold and/or probeIntervalSeconds' }]],
    [null, [{ path: 'circuitBreaker', message: 'must be false or an object with failureThreshold and/or probeIntervalSeconds' }]],
    [[], [{ path: 'circuitBreaker', message: 'must be false or an object with failureThreshold and/or probeIntervalSeconds' }]],
    [{ failureThreshold: 0 }, [{ path: 'circuitBreaker.failureThreshold', message: 'must be an integer from 1 to 1000 (got 0)' }]],
    [{ probeIntervalSeconds: 1.5 }, [{ path: 'circuitBreaker.probeIntervalSeconds', message: 'must be an integer from 1 to 86400 (got 1.5)' }]],
    [
      { threshold: 3, probeIntervalSeconds: '60' },
      [
        { path: 'circuitBreaker.threshold', message: 'unknown field; allowed: failureThreshold, probeIntervalSeconds' },
        { path: 'circuitBreaker.probeIntervalSeconds', message: 'must be an integer from 1 to 86400 (got "60")' },
      ],
    ],
  ])('rejects %o', (input, error) => {
    expect(validateCircuitBreakerInput(input)).toEqual({ ok: false, error });
  });
});

describe('circuitSettingsFor', () => {
  const defaults = { failureThreshold: 5, probeIntervalSeconds: 60 };
  it('takes the deployment defaults, the endpoint’s own fields over them, false turns it off', () => {
    expect(circuitSettingsFor(undefined, defaults, 15_000, 5_000)).toEqual({ enabled: true, failureThreshold: 5, probeIntervalSeconds: 60, probePatienceMs: 20_000 });
    expect(circuitSettingsFor({ probeIntervalSeconds: 10 }, defaults, 2_000, 5_000)).toEqual({
      enabled: true,
      failureThreshold: 5,
      probeIntervalSeconds: 10,
      probePatienceMs: 7_000,
    });
    expect(circuitSettingsFor(false, defaults, 15_000, 5_000).enabled).toBe(false);
  });
});
