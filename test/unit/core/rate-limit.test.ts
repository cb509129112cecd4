import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admitSends, maxSendsInSpan, RATE_BURST_MS, rateLimitProblem, type RateState } from '../../../lambdas/core/rate-limit';

const T = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('admitSends', () => {
  it.each<[string, RateState | undefined, number, number, number, { admitted: number; tat: number; retryAt: number }]>([
    // limit 10/s: one send per 100 ms, 500 ms of slack → a fresh limiter admits 6 at once.
    ['fresh limiter, fewer than the burst', undefined, 3, 10, T, { admitted: 3, tat: T + 300, retryAt: T }],
    ['fresh limiter, more than the burst', undefined, 10, 10, T, { admitted: 6, tat: T + 600, retryAt: T + 100 }],
    ['caught up: the rest wait one interval', { tat: T + 600 }, 1, 10, T, { admitted: 0, tat: T + 600, retryAt: T + 100 }],
    ['one interval later, one more', { tat: T + 600 }, 5, 10, T + 100, { admitted: 1, tat: T + 700, retryAt: T + 200 }],
    ['a state far in the past counts as idle', { tat: T - 60_000 }, 2, 10, T, { admitted: 2, tat: T + 200, retryAt: T }],
    ['limit 1/s: one now, the next when the slack allows', undefined, 3, 1, T, { admitted: 1, tat: T + 1000, retryAt: T + 500 }],
    ['nothing requested', { tat: T + 5_000 }, 0, 1, T, { admitted: 0, tat: T + 5_000, retryAt: T }],
  ])('%s', (_name, state, requested, limit, now, expected) => {
    const result = admitSends(state, requested, limit, now);
    expect(result).toEqual({ admitted: expected.admitted, state: { tat: expected.tat }, retryAt: expected.retryAt });
  });

  it('admits at retryAt what it refused before', () => {
    const first = admitSends(undefined, 20, 5, T);
    expect(first.admitted).toBeLessThan(20);
    const later = admitSends(first.state, 1, 5, first.retryAt);
    expect(later.admitted).toBe(1);
    const justBefore = admitSends(first.state, 1, 5, first.retryAt - 1);
    expect(justBefore.admitted).toBe(0);
  });
});

describe('maxSendsInSpan: the 10 % promise', () => {
  it.each([1, 2, 3, 5, 7, 10, 33, 100, 1000, 10_000])('limit %d/s: a 10 s window at the receiver (10.4 s of admissions) holds ≤ 11 × limit', (limit) => {
    expect(maxSendsInSpan(limit, 10_400)).toBeLessThanOrEqual(Math.floor(limit * 10 * 1.1));
  });
});

/** Simulates workers asking the limiter at random times for random numbers of sends, as many Lambdas would. */
function simulate(limit: number, asks: { gapMs: number; count: number }[]): number[] {
  let state: RateState | undefined;
  let now = T;
  const sends: number[] = [];
  const waiting: number[] = [];
  for (const ask of asks) {
    now += ask.gapMs;
    waiting.push(ask.count);
    const want = waiting.reduce((a, b) => a + b, 0);
    const result = admitSends(state, want, limit, now);
    state = result.state;
    for (let i = 0; i < result.admitted; i += 1) sends.push(now);
    waiting.length = 0;
    if (want > result.admitted) waiting.push(want - result.admitted);
  }
  return sends;
}

function maxInWindow(times: number[], windowMs: number): number {
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end += 1) {
    while (times[end]! - times[start]! >= windowMs) start += 1;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/** Workers asking at random gaps (up to `maxGapMs`) for random numbers of sends. */
const asksArb = (maxGapMs: number, maxCount: number, maxLength: number) =>
  fc.array(fc.record({ gapMs: fc.integer({ min: 0, max: maxGapMs }), count: fc.integer({ min: 0, max: maxCount }) }), {
    minLength: 1,
    maxLength,
  });

describe('admitSends under any load (property)', () => {
  it('no span of L ms ever holds more than maxSendsInSpan(limit, L) admitted sends', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        asksArb(2_000, 50, 300),
        fc.integer({ min: 1, max: 20_000 }),
        (limit, asks, spanMs) => {
          const sends = simulate(limit, asks);
          expect(maxInWindow(sends, spanMs + 1)).toBeLessThanOrEqual(maxSendsInSpan(limit, spanMs));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('with arrival delays spread over 400 ms, a receiver never sees more than limit × 10 + 10 % in any 10 s', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        asksArb(500, 40, 400),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 50 }),
        (limit, asks, delays) => {
          const arrivals = simulate(limit, asks)
            .map((t, i) => t + delays[i % delays.length]!)
            .sort((a, b) => a - b);
          expect(maxInWindow(arrivals, 10_000)).toBeLessThanOrEqual(Math.floor(limit * 11));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('sustains the limit: a long backlog drains at limit per second, never slower', () => {
    const limit = 7;
    const asks = Array.from({ length: 12_000 }, (_, i) => ({ gapMs: 10, count: i === 0 ? 700 : 0 }));
    const sends = simulate(limit, asks);
    expect(sends).toHaveLength(700);
    const seconds = (sends.at(-1)! - sends[0]!) / 1000;
    expect(seconds).toBeGreaterThan(700 / limit - 1 - RATE_BURST_MS / 1000);
    expect(seconds).toBeLessThan(700 / limit);
  });
});

describe('rateLimitProblem', () => {
  it.each([1, 10, 10_000])('accepts %d', (n) => {
    expect(rateLimitProblem(n)).toBeUndefined();
  });
  it.each<[unknown, string]>([
    [0, 'must be an integer from 1 to 10000 requests per second (got 0)'],
    [10_001, 'must be an integer from 1 to 10000 requests per second (got 10001)'],
    [2.5, 'must be an integer from 1 to 10000 requests per second (got 2.5)'],
    ['5', 'must be an integer from 1 to 10000 requests per second (got "5")'],
  ])('rejects %o', (input, message) => {
    expect(rateLimitProblem(input)).toBe(message);
  });
});
