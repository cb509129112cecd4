import { describe, expect, it } from 'vitest';
import { decide } from '../../../lambdas/core/decide';
import type { Decision, Outcome, RetryPolicy } from '../../../lambdas/core/model';
import { PRESETS, resolvePolicy } from '../../../lambdas/core/policy';

const START = Date.UTC(2024, 0, 1, 0, 0, 0);

/**
 * Plays a delivery whose every attempt ends in `outcome`, each attempt made exactly when scheduled.
 * Returns the attempt times as seconds after the first attempt, and the final decision.
 */
function schedule(policy: RetryPolicy, outcome: Outcome, random: () => number): { at: number[]; end: Decision } {
  const at: number[] = [];
  let now = START;
  for (let attempt = 1; attempt <= 100; attempt++) {
    at.push((now - START) / 1000);
    const decision = decide({ outcome, attempt, policy, startedAt: START, now, random });
    if (decision.kind !== 'retry') return { at, end: decision };
    now = decision.at;
  }
  throw new Error('no end after 100 attempts');
}

const FAIL: Outcome = { kind: 'http', status: 503 };

describe('preset schedules (every attempt fails with 503, random fixed)', () => {
  it.each([
    // preset, random, attempt times in seconds after the first, final decision
    ['default', 0.5, [0, 23, 68, 158, 338, 698, 1418, 2858, 5738, 11_498, 23_018, 46_058, 78_458, 110_858, 143_258], '15 of 15 attempts made, last: HTTP 503'],
    ['default', 0, [0, 15, 45, 105, 225, 465, 945, 1905, 3825, 7665, 15_345, 30_705, 52_305, 73_905, 95_505], '15 of 15 attempts made, last: HTTP 503'],
    ['default', 0.999_999, [0, 30, 90, 210, 450, 930, 1890, 3810, 7650, 15_330, 30_690, 61_410, 104_610, 147_810, 191_010], '15 of 15 attempts made, last: HTTP 503'],
    ['cryptr', 0.5, [0, 300, 900, 2100, 5700, 12_900], '6 of 6 attempts made, last: HTTP 503'],
    ['dashboard', 0.5, [0, 30, 3630, 25_230, 68_430, 154_830], '6 of 6 attempts made, last: HTTP 503'],
    ['virtuous', 0.5, [0, 45, 135, 315, 675, 1395, 2835, 5715, 11_475, 22_275], '10 of 10 attempts made, last: HTTP 503'],
    ['virtuous', 0, [0, 30, 90, 210, 450, 930, 1890, 3810, 7650, 14_850], '10 of 10 attempts made, last: HTTP 503'],
  ] as const)('%s with random %d', (preset, random, times, detail) => {
    const { at, end } = schedule(resolvePolicy({ preset }), FAIL, () => random);
    // The worst case of full jitter (random → 1) sits just under the cap; round to the second for the table.
    expect(at.map((t) => Math.round(t))).toEqual(times);
    expect(end).toEqual({ kind: 'dead', reason: 'exhausted', detail });
  });

  it('gives every fixed-delay preset a maximum age that covers its whole list', () => {
    for (const [name, input] of Object.entries(PRESETS)) {
      const policy = resolvePolicy(input);
      const total = (policy.delays ?? []).reduce((a, b) => a + b, 0);
      expect([name, total <= policy.maxAgeSeconds]).toEqual([name, true]);
    }
  });

  it('default: keeps retrying through a day-long outage whatever the jitter draws, and ends within its maximum age', () => {
    for (const random of [0, 0.25, 0.5, 0.75, 0.999_999]) {
      const policy = resolvePolicy({ preset: 'default' });
      const { at, end } = schedule(policy, { kind: 'timeout' }, () => random);
      expect(at.at(-1)).toBeGreaterThanOrEqual(86_400);
      expect(at.at(-1)).toBeLessThanOrEqual(policy.maxAgeSeconds);
      expect(end).toMatchObject({ kind: 'dead', reason: 'exhausted' });
    }
  });

  it('spreads virtuous retries over several hours with growing gaps, bounded', () => {
    const { at } = schedule(resolvePolicy({ preset: 'virtuous' }), { kind: 'timeout' }, () => 0);
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
    expect(gaps.every((gap, i) => i === 0 || gap > (gaps[i - 1] ?? 0))).toBe(true);
    expect(at.at(-1)).toBeGreaterThanOrEqual(4 * 3600);
    expect(at).toHaveLength(10);
  });
});

describe('preset behaviour per outcome', () => {
  const first = (preset: string, outcome: Outcome): Decision =>
    decide({ outcome, attempt: 1, policy: resolvePolicy({ preset }), startedAt: START, now: START, random: () => 0.5 });

  // Every outcome class, one column per preset: `retry`, `delivered`, `canceled`, or `dead:<reason>`.
  const OUTCOMES: readonly [string, Outcome][] = [
    ['2xx', { kind: 'http', status: 204 }],
    ['timeout', { kind: 'timeout' }],
    ['connection refused', { kind: 'connect_refused' }],
    ['connection reset', { kind: 'connect_reset' }],
    ['DNS failure', { kind: 'dns' }],
    ['TLS error', { kind: 'tls' }],
    ['invalid response', { kind: 'invalid_response' }],
    ['blocked address', { kind: 'blocked' }],
    ['301', { kind: 'http', status: 301 }],
    ['400', { kind: 'http', status: 400 }],
    ['401', { kind: 'http', status: 401 }],
    ['404', { kind: 'http', status: 404 }],
    ['408', { kind: 'http', status: 408 }],
    ['410', { kind: 'http', status: 410 }],
    ['422', { kind: 'http', status: 422 }],
    ['425', { kind: 'http', status: 425 }],
    ['429', { kind: 'http', status: 429 }],
    ['500', { kind: 'http', status: 500 }],
    ['503', { kind: 'http', status: 503 }],
  ];
  const EXPECTED: Record<string, Record<string, string>> = {
    default: {
      '2xx': 'delivered', timeout: 'retry', 'connection refused': 'retry', 'connection reset': 'retry', 'DNS failure': 'retry',
      'TLS error': 'retry', 'invalid response': 'retry', 'blocked address': 'dead:permanent', '301': 'retry',
      '400': 'dead:permanent', '401': 'dead:permanent', '404': 'dead:permanent', '408': 'retry', '410': 'canceled',
      '422': 'dead:permanent', '425': 'retry', '429': 'retry', '500': 'retry', '503': 'retry',
    },
    cryptr: {
      '2xx': 'delivered', timeout: 'dead:no_response', 'connection refused': 'dead:no_response',
      'connection reset': 'dead:no_response', 'DNS failure': 'dead:no_response', 'TLS error': 'dead:no_response',
      'invalid response': 'dead:no_response', 'blocked address': 'dead:permanent', '301': 'retry', '400': 'retry',
      '401': 'retry', '404': 'retry', '408': 'retry', '410': 'canceled', '422': 'retry', '425': 'retry', '429': 'retry',
      '500': 'retry', '503': 'retry',
    },
    dashboard: {
      '2xx': 'delivered', timeout: 'retry', 'connection refused': 'retry', 'connection reset': 'retry', 'DNS failure': 'retry',
      'TLS error': 'retry', 'invalid response': 'retry', 'blocked address': 'dead:permanent', '301': 'retry', '400': 'retry',
      '401': 'retry', '404': 'retry', '408': 'retry', '410': 'retry', '422': 'retry', '425': 'retry', '429': 'retry',
      '500': 'retry', '503': 'retry',
    },
    virtuous: {
      '2xx': 'delivered', timeout: 'retry', 'connection refused': 'retry', 'connection reset': 'retry', 'DNS failure': 'retry',
      'TLS error': 'retry', 'invalid response': 'retry', 'blocked address': 'dead:permanent', '301': 'retry', '400': 'retry',
      '401': 'retry', '404': 'retry', '408': 'retry', '410': 'retry', '422': 'retry', '425': 'retry', '429': 'retry',
      '500': 'retry', '503': 'retry',
    },
  };

  it('pins a verdict for every outcome class of every preset, and nothing else is a preset', () => {
    expect(Object.keys(PRESETS).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const [preset, row] of Object.entries(EXPECTED)) {
      const got = Object.fromEntries(
        OUTCOMES.map(([label, outcome]) => {
          const d = first(preset, outcome);
          return [label, d.kind === 'dead' ? `dead:${d.reason}` : d.kind];
        }),
      );
      expect([preset, got]).toEqual([preset, row]);
    }
  });

  it.each([
    ['default', true],
    ['cryptr', true],
    ['dashboard', true],
    ['virtuous', false],
  ] as const)('%s: autoDisable %s', (preset, autoDisable) => {
    expect(resolvePolicy({ preset }).autoDisable).toBe(autoDisable);
  });

  it('cryptr: no response ends the delivery at once with the reason stated', () => {
    expect(first('cryptr', { kind: 'timeout' })).toEqual({
      kind: 'dead',
      reason: 'no_response',
      detail: 'timeout: the policy assumes the endpoint does not exist and does not send again',
    });
  });

  it('dashboard and virtuous: 410 follows the schedule like every other 4xx', () => {
    expect(first('dashboard', { kind: 'http', status: 410 })).toEqual({ kind: 'retry', at: START + 30_000, basis: 'delays' });
    const gone = schedule(resolvePolicy({ preset: 'virtuous' }), { kind: 'http', status: 410 }, () => 0.5);
    expect(gone.at).toHaveLength(10);
    expect(gone.end).toMatchObject({ kind: 'dead', reason: 'exhausted' });
  });

  it('cryptr: 3xx, 4xx and 5xx follow the full schedule', () => {
    for (const status of [302, 404, 500]) {
      const { at } = schedule(resolvePolicy({ preset: 'cryptr' }), { kind: 'http', status }, () => 0.5);
      expect([status, at]).toEqual([status, [0, 300, 900, 2100, 5700, 12_900]]);
    }
  });

  it('cryptr: 503 with retry-after: 60 retries after 60 s', () => {
    expect(first('cryptr', { kind: 'http', status: 503, retryAfter: '60' })).toEqual({
      kind: 'retry',
      at: START + 60_000,
      basis: 'retry_after',
    });
  });

  it('dashboard: keeps its fixed schedule whatever Retry-After says', () => {
    expect(first('dashboard', { kind: 'http', status: 503, retryAfter: '600' })).toEqual({
      kind: 'retry',
      at: START + 30_000,
      basis: 'delays',
    });
  });
});
