import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCapSeconds, backoffDelaySeconds, MIN_BACKOFF_SECONDS } from '../../../lambdas/core/backoff';
import type { Jitter, RetryPolicy } from '../../../lambdas/core/model';
import { DEFAULT_POLICY } from '../../../lambdas/core/policy';

function policy(baseSeconds: number, maxDelaySeconds: number, jitter: Jitter): RetryPolicy {
  return { ...DEFAULT_POLICY, backoff: { baseSeconds, maxDelaySeconds, jitter } };
}

const fixed = (value: number) => () => value;

describe('backoffCapSeconds: min(base × 2^(attempt-1), maxDelay)', () => {
  it.each([
    [1, 30],
    [2, 60],
    [3, 120],
    [4, 240],
    [5, 480],
    [6, 960],
    [7, 1920],
    [8, 3840],
    [9, 7680],
    [10, 15_360],
    [11, 30_720],
    [12, 43_200],
    [13, 43_200],
    [14, 43_200],
    [50, 43_200],
    [1000, 43_200],
  ])('default policy, after attempt %d → %d s', (attempt, cap) => {
    expect(backoffCapSeconds(attempt, DEFAULT_POLICY)).toBe(cap);
  });

  it('treats an attempt below 1 as the first', () => {
    expect(backoffCapSeconds(0, DEFAULT_POLICY)).toBe(30);
    expect(backoffCapSeconds(-3, DEFAULT_POLICY)).toBe(30);
  });
});

describe('backoffDelaySeconds with a fixed random', () => {
  it.each([
    // jitter, base, max, attempt, random, expected
    ['none', 30, 86_400, 1, 0.7, 30],
    ['none', 30, 86_400, 4, 0.1, 240],
    ['none', 30, 100, 4, 0.1, 100],
    ['full', 30, 86_400, 1, 0, 1],
    ['full', 30, 86_400, 1, 0.5, 15],
    ['full', 30, 86_400, 3, 0.25, 30],
    ['full', 30, 86_400, 13, 0.5, 43_200],
    ['full', 30, 86_400, 1, 0.01, 1],
    ['equal', 30, 86_400, 1, 0, 15],
    ['equal', 30, 86_400, 1, 0.5, 22.5],
    ['equal', 60, 14_400, 9, 0, 7200],
    ['equal', 60, 14_400, 9, 0.5, 10_800],
    ['equal', 1, 10, 1, 0, 1],
    ['none', 1, 1, 1, 0.5, 1],
  ] as const)('%s jitter, base %d, max %d, after attempt %d, random %d → %d s', (jitter, base, max, attempt, random, expected) => {
    expect(backoffDelaySeconds(attempt, policy(base, max, jitter), fixed(random))).toBe(expected);
  });

  it('clamps a random source that leaves [0, 1)', () => {
    const p = policy(30, 86_400, 'full');
    expect(backoffDelaySeconds(1, p, fixed(1.5))).toBe(30);
    expect(backoffDelaySeconds(1, p, fixed(-1))).toBe(1);
    expect(backoffDelaySeconds(1, p, fixed(Number.NaN))).toBe(1);
  });
});

describe('backoff properties', () => {
  const arbitraryPolicy = fc
    .record({
      base: fc.integer({ min: 1, max: 86_400 }),
      extra: fc.integer({ min: 0, max: 604_800 }),
      jitter: fc.constantFrom<Jitter>('full', 'equal', 'none'),
    })
    .map(({ base, extra, jitter }) => policy(base, Math.min(604_800, base + extra), jitter));
  const attempt = fc.integer({ min: 1, max: 60 });
  const random = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

  it('stays within the jitter mode’s band below the cap, never above maxDelay, never below 1 s', () => {
    fc.assert(
      fc.property(arbitraryPolicy, attempt, random, (p, n, r) => {
        const cap = backoffCapSeconds(n, p);
        const delay = backoffDelaySeconds(n, p, fixed(r));
        const lower = { full: 0, equal: cap / 2, none: cap }[p.backoff.jitter];
        expect(delay).toBeGreaterThanOrEqual(Math.max(MIN_BACKOFF_SECONDS, lower));
        expect(delay).toBeLessThanOrEqual(cap);
        expect(delay).toBeLessThanOrEqual(p.backoff.maxDelaySeconds);
        expect(delay).toBeGreaterThanOrEqual(1);
        expect(Number.isFinite(delay)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('has a cap that never shrinks from one attempt to the next and reaches maxDelay', () => {
    fc.assert(
      fc.property(arbitraryPolicy, attempt, (p, n) => {
        expect(backoffCapSeconds(n + 1, p)).toBeGreaterThanOrEqual(backoffCapSeconds(n, p));
        expect(backoffCapSeconds(n, p)).toBeLessThanOrEqual(p.backoff.maxDelaySeconds);
        expect(backoffCapSeconds(80, p)).toBe(p.backoff.maxDelaySeconds);
      }),
      { numRuns: 2000 },
    );
  });

  it('is exactly the cap without jitter, and grows with random under full and equal jitter', () => {
    fc.assert(
      fc.property(arbitraryPolicy, attempt, random, random, (p, n, r1, r2) => {
        if (p.backoff.jitter === 'none') {
          expect(backoffDelaySeconds(n, p, fixed(r1))).toBe(backoffCapSeconds(n, p));
          return;
        }
        const [lo, hi] = r1 <= r2 ? [r1, r2] : [r2, r1];
        expect(backoffDelaySeconds(n, p, fixed(lo))).toBeLessThanOrEqual(backoffDelaySeconds(n, p, fixed(hi)));
      }),
      { numRuns: 2000 },
    );
  });
});
