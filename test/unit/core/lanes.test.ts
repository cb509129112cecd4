import { describe, expect, it } from 'vitest';
import { DEFAULT_LANE_SETTINGS, laneTimeout, leavesFastLane, slowMarkAfter } from '../../../lambdas/core/lanes';

const S = DEFAULT_LANE_SETTINGS;
const T = Date.UTC(2026, 0, 1);

describe('laneTimeout', () => {
  it.each([
    ['fast lane, endpoint timeout longer than the patience → patience, hand off', 'fast', 15_000, { timeoutMs: 1000, handOff: true }],
    ['fast lane, endpoint timeout within the patience → its own timeout', 'fast', 800, { timeoutMs: 800, handOff: false }],
    ['fast lane, timeout equal to the patience → its own timeout', 'fast', 1000, { timeoutMs: 1000, handOff: false }],
    ['slow lane → always the endpoint’s own timeout', 'slow', 15_000, { timeoutMs: 15_000, handOff: false }],
  ] as const)('%s', (_name, lane, timeout, expected) => {
    expect(laneTimeout(lane, timeout, S)).toEqual(expected);
  });
});

describe('slowMarkAfter', () => {
  it.each([
    ['a hand-off marks the endpoint', { lane: 'fast', handedOff: true, timedOut: true, latencyMs: 1000 }, { kind: 'mark', until: T + 300_000 }],
    ['a fast answer on the slow lane clears it', { lane: 'slow', handedOff: false, timedOut: false, latencyMs: 40 }, { kind: 'clear' }],
    ['an answer at exactly fastAnswerMs clears it', { lane: 'slow', handedOff: false, timedOut: false, latencyMs: 500 }, { kind: 'clear' }],
    ['a slow answer on the slow lane keeps it', { lane: 'slow', handedOff: false, timedOut: false, latencyMs: 501 }, { kind: 'none' }],
    ['a quick timeout (refused at once) on the slow lane keeps it', { lane: 'slow', handedOff: false, timedOut: true, latencyMs: 5 }, { kind: 'none' }],
    ['a fast answer on the fast lane changes nothing', { lane: 'fast', handedOff: false, timedOut: false, latencyMs: 10 }, { kind: 'none' }],
  ] as const)('%s', (_name, input, expected) => {
    expect(slowMarkAfter({ ...input, now: T }, S)).toEqual(expected);
  });
});

describe('leavesFastLane', () => {
  it.each([
    ['fast lane, marked', 'fast', T + 1, true],
    ['fast lane, mark expired', 'fast', T, false],
    ['fast lane, never marked', 'fast', undefined, false],
    ['slow lane, marked: stays where it is', 'slow', T + 1, false],
  ] as const)('%s', (_name, lane, slowUntil, expected) => {
    expect(leavesFastLane(lane, slowUntil, T)).toBe(expected);
  });
});
