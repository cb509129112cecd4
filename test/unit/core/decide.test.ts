import { describe, expect, it } from 'vitest';
import { decide, type DecideInput } from '../../../lambdas/core/decide';
import type { Decision, Outcome, RetryPolicy } from '../../../lambdas/core/model';
import { resolvePolicy } from '../../../lambdas/core/policy';

const NOW = Date.UTC(2024, 0, 1, 12, 0, 0);
const HALF = () => 0.5;
/** The generic full-jitter policy with 8 attempts (the default before round 4): the fixture these mechanics are written against. */
const GENERIC_INPUT = { backoff: { baseSeconds: 30, maxDelaySeconds: 86_400, jitter: 'full' }, maxAttempts: 8 } as const;
const GENERIC: RetryPolicy = resolvePolicy(GENERIC_INPUT);

function run(partial: Partial<DecideInput> & { outcome: Outcome }): Decision {
  return decide({ attempt: 1, policy: GENERIC, startedAt: NOW, now: NOW, random: HALF, ...partial });
}

const noJitter: RetryPolicy = { ...GENERIC, backoff: { ...GENERIC.backoff, jitter: 'none' } };

describe('decide: final outcomes', () => {
  it('delivered on 2xx', () => {
    expect(run({ outcome: { kind: 'http', status: 204 } })).toEqual({ kind: 'delivered' });
  });

  it('delivered even on the last allowed attempt and after the maximum age', () => {
    expect(run({ outcome: { kind: 'http', status: 200 }, attempt: 8, startedAt: NOW - 10 * 86_400_000 })).toEqual({
      kind: 'delivered',
    });
  });

  it.each([
    ['cancel', { kind: 'canceled', disableEndpoint: false, detail: 'HTTP 410 Gone: the receiver removed this endpoint' }],
    [
      'cancel_and_disable',
      { kind: 'canceled', disableEndpoint: true, detail: 'HTTP 410 Gone: the receiver removed this endpoint; endpoint disabled' },
    ],
    ['permanent', { kind: 'dead', reason: 'permanent', detail: 'HTTP 410 Gone: the receiver removed this endpoint' }],
    ['retry', { kind: 'retry', at: NOW + 15_000, basis: 'backoff' }],
  ] as const)('410 with on410 %s', (on410, expected) => {
    expect(run({ outcome: { kind: 'http', status: 410 }, policy: resolvePolicy({ ...GENERIC_INPUT, on410 }) })).toEqual(expected);
  });

  it.each([
    [{ kind: 'timeout' }, 'timeout'],
    [{ kind: 'connect_refused' }, 'connection refused'],
    [{ kind: 'dns' }, 'DNS failure'],
  ] as [Outcome, string][])('dead/no_response at once on %o when its class stops', (outcome, text) => {
    const policy = resolvePolicy({ classification: { timeout: 'stop', connect: 'stop', dns: 'stop' } });
    expect(run({ outcome, policy })).toEqual({
      kind: 'dead',
      reason: 'no_response',
      detail: `${text}: the policy assumes the endpoint does not exist and does not send again`,
    });
  });

  it('cancels a non-410 outcome whose verdict is cancel, naming it', () => {
    const policy = resolvePolicy({ classification: { statuses: { '404': 'cancel_and_disable' } } });
    expect(run({ outcome: { kind: 'http', status: 404 }, policy })).toEqual({
      kind: 'canceled',
      disableEndpoint: true,
      detail: 'HTTP 404: the retry policy cancels the delivery; endpoint disabled',
    });
  });

  it.each([
    [{ kind: 'http', status: 400 }, 'HTTP 400 is not retried'],
    [{ kind: 'http', status: 404 }, 'HTTP 404 is not retried'],
    [{ kind: 'http', status: 101 }, 'HTTP 101 is not retried'],
    [{ kind: 'blocked' }, 'the target address is not allowed by the target rules'],
  ] as [Outcome, string][])('dead/permanent at once on %o', (outcome, detail) => {
    expect(run({ outcome })).toEqual({ kind: 'dead', reason: 'permanent', detail });
  });

  it('retries a 4xx when the policy retries client errors', () => {
    expect(run({ outcome: { kind: 'http', status: 404 }, policy: resolvePolicy({ ...GENERIC_INPUT, retryClientErrors: true }) })).toEqual({
      kind: 'retry',
      at: NOW + 15_000,
      basis: 'backoff',
    });
  });
});

describe('decide: retry with backoff', () => {
  it.each([
    { kind: 'http', status: 500 },
    { kind: 'http', status: 503 },
    { kind: 'http', status: 429 },
    { kind: 'http', status: 302 },
    { kind: 'timeout' },
    { kind: 'connect_refused' },
    { kind: 'connect_reset' },
    { kind: 'dns' },
    { kind: 'tls' },
    { kind: 'invalid_response' },
  ] as Outcome[])('%o → retry at now + jittered backoff', (outcome) => {
    expect(run({ outcome })).toEqual({ kind: 'retry', at: NOW + 15_000, basis: 'backoff' });
  });

  it.each([
    [1, 30],
    [2, 60],
    [3, 120],
    [7, 1920],
  ])('after attempt %d without jitter → +%d s', (attempt, seconds) => {
    expect(run({ outcome: { kind: 'timeout' }, attempt, policy: noJitter })).toEqual({
      kind: 'retry',
      at: NOW + seconds * 1000,
      basis: 'backoff',
    });
  });

  it('rounds a fractional delay up to a whole millisecond', () => {
    const decision = run({ outcome: { kind: 'timeout' }, random: () => 1 / 3 });
    expect(decision).toEqual({ kind: 'retry', at: NOW + 10_000, basis: 'backoff' });
    const odd = run({ outcome: { kind: 'timeout' }, random: () => 0.123_456_7 });
    expect(odd).toEqual({ kind: 'retry', at: NOW + 3704, basis: 'backoff' });
  });
});

describe('decide: maxAttempts boundary', () => {
  it.each([
    [1, 'retry'],
    [7, 'retry'],
    [8, 'dead'],
    [9, 'dead'],
  ])('attempt %d of 8 → %s', (attempt, kind) => {
    expect(run({ outcome: { kind: 'http', status: 503 }, attempt }).kind).toBe(kind);
  });

  it('reports exhaustion with the count and the last outcome', () => {
    expect(run({ outcome: { kind: 'http', status: 503 }, attempt: 8 })).toEqual({
      kind: 'dead',
      reason: 'exhausted',
      detail: '8 of 8 attempts made, last: HTTP 503',
    });
    expect(run({ outcome: { kind: 'dns' }, attempt: 1, policy: { ...GENERIC, maxAttempts: 1 } })).toEqual({
      kind: 'dead',
      reason: 'exhausted',
      detail: '1 of 1 attempts made, last: DNS failure',
    });
  });

  it('checks exhaustion before honouring Retry-After', () => {
    expect(run({ outcome: { kind: 'http', status: 429, retryAfter: '5' }, attempt: 8 }).kind).toBe('dead');
  });
});

describe('decide: maxAge boundary', () => {
  // No jitter, first retry = 30 s; maxAge 60 s: deadline = startedAt + 60 s.
  const policy: RetryPolicy = { ...noJitter, maxAgeSeconds: 60 };

  it('retries when the next attempt falls exactly on the deadline', () => {
    expect(run({ outcome: { kind: 'timeout' }, policy, startedAt: NOW - 30_000 })).toEqual({
      kind: 'retry',
      at: NOW + 30_000,
      basis: 'backoff',
    });
  });

  it('expires when the next attempt would fall one millisecond after the deadline', () => {
    expect(run({ outcome: { kind: 'timeout' }, policy, startedAt: NOW - 30_001 })).toEqual({
      kind: 'dead',
      reason: 'expired',
      detail: 'the next attempt (in 30s) would be later than the maximum age of 1m, last: timeout',
    });
  });

  it('expires a Retry-After that reaches past the maximum age instead of waiting', () => {
    const startedAt = NOW - 2.5 * 86_400_000;
    expect(run({ outcome: { kind: 'http', status: 429, retryAfter: '86400' }, startedAt })).toEqual({
      kind: 'dead',
      reason: 'expired',
      detail: 'the next attempt (in 1d) would be later than the maximum age of 3d, last: HTTP 429',
    });
    expect(run({ outcome: { kind: 'http', status: 429, retryAfter: '43200' }, startedAt })).toEqual({
      kind: 'retry',
      at: NOW + 43_200_000,
      basis: 'retry_after',
    });
  });
});

describe('decide: Retry-After', () => {
  it.each([
    [429, '120', 120],
    [503, '60', 60],
    [503, 'Mon, 01 Jan 2024 12:05:00 GMT', 300],
    [429, '0', 1],
    [429, 'Sun, 31 Dec 2023 00:00:00 GMT', 1],
    [503, '999999', 86_400],
    [503, '99999999999999999999', 86_400],
  ])('%d with Retry-After %o → +%d s (clamped to [1 s, 24 h])', (status, header, seconds) => {
    expect(run({ outcome: { kind: 'http', status, retryAfter: header } })).toEqual({
      kind: 'retry',
      at: NOW + seconds * 1000,
      basis: 'retry_after',
    });
  });

  it.each([
    [503, 'soon'],
    [503, ''],
    [503, '-5'],
    [503, '1.5'],
    [503, undefined],
    [500, '120'],
    [502, '120'],
    [408, '120'],
  ])('%d with Retry-After %o → backoff', (status, header) => {
    expect(run({ outcome: { kind: 'http', status, retryAfter: header } })).toEqual({
      kind: 'retry',
      at: NOW + 15_000,
      basis: 'backoff',
    });
  });

  it('follows the configured statuses and bounds', () => {
    const policy: RetryPolicy = { ...GENERIC, retryAfter: { statuses: [500], minSeconds: 10, maxSeconds: 100 } };
    expect(run({ outcome: { kind: 'http', status: 500, retryAfter: '2' }, policy })).toEqual({
      kind: 'retry',
      at: NOW + 10_000,
      basis: 'retry_after',
    });
    expect(run({ outcome: { kind: 'http', status: 500, retryAfter: '1000' }, policy })).toEqual({
      kind: 'retry',
      at: NOW + 100_000,
      basis: 'retry_after',
    });
    expect(run({ outcome: { kind: 'http', status: 429, retryAfter: '50' }, policy })).toEqual({
      kind: 'retry',
      at: NOW + 15_000,
      basis: 'backoff',
    });
  });

  it('never honours Retry-After when the status list is empty', () => {
    const policy: RetryPolicy = { ...GENERIC, retryAfter: { statuses: [], minSeconds: 1, maxSeconds: 86_400 } };
    expect(run({ outcome: { kind: 'http', status: 429, retryAfter: '50' }, policy })).toEqual({
      kind: 'retry',
      at: NOW + 15_000,
      basis: 'backoff',
    });
  });
});

describe('decide: fixed delays', () => {
  const cryptr = resolvePolicy({ preset: 'cryptr' });

  it.each([
    [1, 300],
    [2, 600],
    [3, 1200],
    [4, 3600],
    [5, 7200],
  ])('after attempt %d → +%d s', (attempt, seconds) => {
    expect(run({ outcome: { kind: 'http', status: 500 }, attempt, policy: cryptr })).toEqual({
      kind: 'retry',
      at: NOW + seconds * 1000,
      basis: 'delays',
    });
  });

  it('is exhausted after the last delay (attempt 6 of 6)', () => {
    expect(run({ outcome: { kind: 'http', status: 500 }, attempt: 6, policy: cryptr })).toEqual({
      kind: 'dead',
      reason: 'exhausted',
      detail: '6 of 6 attempts made, last: HTTP 500',
    });
  });

  it('lets Retry-After replace the listed delay', () => {
    expect(run({ outcome: { kind: 'http', status: 503, retryAfter: '60' }, attempt: 3, policy: cryptr })).toEqual({
      kind: 'retry',
      at: NOW + 60_000,
      basis: 'retry_after',
    });
  });

  it('honours a zero delay (an immediate retry) and repeats the last delay past the list', () => {
    const policy: RetryPolicy = { ...GENERIC, delays: [0, 10], maxAttempts: 5 };
    expect(run({ outcome: { kind: 'tls' }, attempt: 1, policy })).toEqual({ kind: 'retry', at: NOW, basis: 'delays' });
    expect(run({ outcome: { kind: 'tls' }, attempt: 2, policy })).toEqual({ kind: 'retry', at: NOW + 10_000, basis: 'delays' });
    expect(run({ outcome: { kind: 'tls' }, attempt: 4, policy })).toEqual({ kind: 'retry', at: NOW + 10_000, basis: 'delays' });
  });
});
