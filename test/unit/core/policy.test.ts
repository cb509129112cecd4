import { describe, expect, it } from 'vitest';
import { ValidationError, type ErrorDetail } from '../../../lambdas/core/errors';
import type { RetryPolicy } from '../../../lambdas/core/model';
import { DEFAULT_POLICY, PRESETS, resolvePolicy } from '../../../lambdas/core/policy';
import { resolveCheckedPolicy, validatePolicyInput } from '../../../lambdas/api/schemas/retry-policy';

function errorsOf(input: unknown, path?: string): ErrorDetail[] {
  const result = validatePolicyInput(input, path);
  if (result.ok) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return result.error;
}

describe('validatePolicyInput: accepted', () => {
  it.each([
    {},
    { preset: 'default' },
    { preset: 'cryptr' },
    { preset: 'dashboard' },
    { preset: 'virtuous' },
    { delays: ['0s'] },
    { delays: ['7d'] },
    { delays: [604_800] },
    { delays: [0, '90s', '5m', '1h', '1d', 60] },
    { delays: Array.from({ length: 20 }, () => '1m') },
    { delays: ['1m', '1m'], maxAttempts: 3 },
    { delays: ['1d', '1d'], maxAgeSeconds: 172_800 },
    { backoff: {} },
    { backoff: { baseSeconds: 1 } },
    { backoff: { baseSeconds: 86_400 } },
    { backoff: { maxDelaySeconds: 604_800 } },
    { backoff: { baseSeconds: 30, maxDelaySeconds: 30 } },
    { backoff: { jitter: 'full' } },
    { backoff: { jitter: 'equal' } },
    { backoff: { jitter: 'none' } },
    { maxAttempts: 1 },
    { maxAttempts: 50 },
    { maxAgeSeconds: 60 },
    { maxAgeSeconds: 2_592_000 },
    { retryClientErrors: true },
    { retryClientErrors: false },
    { retryAfter: { statuses: [] } },
    { retryAfter: { statuses: [100, 599] } },
    { retryAfter: { minSeconds: 0, maxSeconds: 1 } },
    { retryAfter: { minSeconds: 604_800, maxSeconds: 604_800 } },
    { on410: 'cancel' },
    { on410: 'cancel_and_disable' },
    { on410: 'permanent' },
    { on410: 'retry' },
    { autoDisable: false },
    { classification: { timeout: 'stop', clientError: 'retry', statuses: { '404': 'cancel', '409': 'retry' } } },
    ...Object.values(PRESETS),
  ])('%o', (input) => {
    expect(validatePolicyInput(input)).toEqual({ ok: true, value: input });
  });

  it('returns a clean copy, not the caller’s object', () => {
    const input = { backoff: { baseSeconds: 5 }, delays: ['1m'] };
    const result = validatePolicyInput(input);
    expect(result.ok && result.value).toEqual(input);
    expect(result.ok && result.value).not.toBe(input);
    expect(result.ok && result.value.backoff).not.toBe(input.backoff);
  });
});

describe('validatePolicyInput: rejected, with path and message', () => {
  it.each([
    [null, 'retryPolicy', 'must be an object (got null)'],
    [[], 'retryPolicy', 'must be an object (got an empty list)'],
    ['cryptr', 'retryPolicy', 'must be an object (got "cryptr")'],
    [42, 'retryPolicy', 'must be an object (got 42)'],
    [{ maxAttemps: 3 }, 'retryPolicy.maxAttemps', 'unknown field; allowed: preset, delays, backoff, maxAttempts, maxAgeSeconds, retryClientErrors, retryAfter, on410, classification, autoDisable'],
    [{ backoff: { base: 1 } }, 'retryPolicy.backoff.base', 'unknown field; allowed: baseSeconds, maxDelaySeconds, jitter'],
    [{ retryAfter: { status: [429] } }, 'retryPolicy.retryAfter.status', 'unknown field; allowed: statuses, minSeconds, maxSeconds'],
    [{ preset: 'nope' }, 'retryPolicy.preset', 'unknown preset "nope"; one of: default, cryptr, dashboard, virtuous'],
    [{ preset: 1 }, 'retryPolicy.preset', 'unknown preset 1; one of: default, cryptr, dashboard, virtuous'],
    [{ preset: 'toString' }, 'retryPolicy.preset', 'unknown preset "toString"; one of: default, cryptr, dashboard, virtuous'],
    [{ delays: [] }, 'retryPolicy.delays', 'must be a list of 1 to 20 durations (got an empty list)'],
    [{ delays: '5m' }, 'retryPolicy.delays', 'must be a list of 1 to 20 durations (got "5m")'],
    [{ delays: Array.from({ length: 21 }, () => '1m') }, 'retryPolicy.delays', 'must be a list of 1 to 20 durations (got a list of 21)'],
    [{ delays: ['abc'] }, 'retryPolicy.delays[0]', 'must be a duration from 0s to 7d, written "90s", "5m", "1h", "1d" or as a whole number of seconds (got "abc")'],
    [{ delays: ['5m', true] }, 'retryPolicy.delays[1]', 'must be a duration from 0s to 7d, written "90s", "5m", "1h", "1d" or as a whole number of seconds (got true)'],
    [{ delays: ['8d'] }, 'retryPolicy.delays[0]', 'must be a duration from 0s to 7d, written "90s", "5m", "1h", "1d" or as a whole number of seconds (got "8d")'],
    [{ delays: [604_801] }, 'retryPolicy.delays[0]', 'must be a duration from 0s to 7d, written "90s", "5m", "1h", "1d" or as a whole number of seconds (got 604801)'],
    [{ delays: [-1] }, 'retryPolicy.delays[0]', 'must be a duration from 0s to 7d, written "90s", "5m", "1h", "1d" or as a whole number of seconds (got -1)'],
    [{ delays: [1.5] }, 'retryPolicy.delays[0]', 'must be a duration from 0s to 7d, written "90s", "5m", "1h", "1d" or as a whole number of seconds (got 1.5)'],
    [{ delays: [null] }, 'retryPolicy.delays[0]', 'must be a duration from 0s to 7d, written "90s", "5m", "1h", "1d" or as a whole number of seconds (got null)'],
    [{ backoff: 'fast' }, 'retryPolicy.backoff', 'must be an object (got "fast")'],
    [{ backoff: { baseSeconds: 0 } }, 'retryPolicy.backoff.baseSeconds', 'must be an integer from 1 to 86400 (got 0)'],
    [{ backoff: { baseSeconds: 86_401 } }, 'retryPolicy.backoff.baseSeconds', 'must be an integer from 1 to 86400 (got 86401)'],
    [{ backoff: { baseSeconds: '30' } }, 'retryPolicy.backoff.baseSeconds', 'must be an integer from 1 to 86400 (got "30")'],
    [{ backoff: { baseSeconds: 2.5 } }, 'retryPolicy.backoff.baseSeconds', 'must be an integer from 1 to 86400 (got 2.5)'],
    [{ backoff: { maxDelaySeconds: 0 } }, 'retryPolicy.backoff.maxDelaySeconds', 'must be an integer from 1 to 604800 (got 0)'],
    [{ backoff: { maxDelaySeconds: 604_801 } }, 'retryPolicy.backoff.maxDelaySeconds', 'must be an integer from 1 to 604800 (got 604801)'],
    [{ backoff: { baseSeconds: 60, maxDelaySeconds: 59 } }, 'retryPolicy.backoff.maxDelaySeconds', 'must be at least baseSeconds (60), got 59'],
    [{ backoff: { jitter: 'random' } }, 'retryPolicy.backoff.jitter', 'must be one of full, equal, none (got "random")'],
    [{ maxAttempts: 0 }, 'retryPolicy.maxAttempts', 'must be an integer from 1 to 50 (got 0)'],
    [{ maxAttempts: 51 }, 'retryPolicy.maxAttempts', 'must be an integer from 1 to 50 (got 51)'],
    [{ maxAttempts: 1.5 }, 'retryPolicy.maxAttempts', 'must be an integer from 1 to 50 (got 1.5)'],
    [{ maxAttempts: '8' }, 'retryPolicy.maxAttempts', 'must be an integer from 1 to 50 (got "8")'],
    [{ maxAttempts: Number.NaN }, 'retryPolicy.maxAttempts', 'must be an integer from 1 to 50 (got NaN)'],
    [{ maxAttempts: null }, 'retryPolicy.maxAttempts', 'must be an integer from 1 to 50 (got null)'],
    [{ maxAgeSeconds: 59 }, 'retryPolicy.maxAgeSeconds', 'must be an integer from 60 to 2592000 (got 59)'],
    [{ maxAgeSeconds: 2_592_001 }, 'retryPolicy.maxAgeSeconds', 'must be an integer from 60 to 2592000 (got 2592001)'],
    [{ retryClientErrors: 'yes' }, 'retryPolicy.retryClientErrors', 'must be true or false (got "yes")'],
    [{ retryClientErrors: 1 }, 'retryPolicy.retryClientErrors', 'must be true or false (got 1)'],
    [{ retryAfter: [] }, 'retryPolicy.retryAfter', 'must be an object (got an empty list)'],
    [{ retryAfter: { statuses: 429 } }, 'retryPolicy.retryAfter.statuses', 'must be a list of at most 50 HTTP status codes (got 429)'],
    [{ retryAfter: { statuses: [429, 99] } }, 'retryPolicy.retryAfter.statuses[1]', 'must be an HTTP status code from 100 to 599 (got 99)'],
    [{ retryAfter: { statuses: [600] } }, 'retryPolicy.retryAfter.statuses[0]', 'must be an HTTP status code from 100 to 599 (got 600)'],
    [{ retryAfter: { statuses: ['429'] } }, 'retryPolicy.retryAfter.statuses[0]', 'must be an HTTP status code from 100 to 599 (got "429")'],
    [{ retryAfter: { statuses: [429.5] } }, 'retryPolicy.retryAfter.statuses[0]', 'must be an HTTP status code from 100 to 599 (got 429.5)'],
    [{ retryAfter: { minSeconds: -1 } }, 'retryPolicy.retryAfter.minSeconds', 'must be an integer from 0 to 604800 (got -1)'],
    [{ retryAfter: { maxSeconds: 0 } }, 'retryPolicy.retryAfter.maxSeconds', 'must be an integer from 1 to 604800 (got 0)'],
    [{ retryAfter: { maxSeconds: 604_801 } }, 'retryPolicy.retryAfter.maxSeconds', 'must be an integer from 1 to 604800 (got 604801)'],
    [{ retryAfter: { minSeconds: 10, maxSeconds: 5 } }, 'retryPolicy.retryAfter.maxSeconds', 'must be at least minSeconds (10), got 5'],
    [{ on410: 'disable' }, 'retryPolicy.on410', 'must be one of cancel, cancel_and_disable, permanent, retry (got "disable")'],
    [{ on410: true }, 'retryPolicy.on410', 'must be one of cancel, cancel_and_disable, permanent, retry (got true)'],
    [{ autoDisable: 'no' }, 'retryPolicy.autoDisable', 'must be true or false (got "no")'],
    [{ classification: [] }, 'retryPolicy.classification', 'must be an object (got an empty list)'],
    [
      { classification: { timout: 'stop' } },
      'retryPolicy.classification.timout',
      'unknown field; allowed: timeout, connect, dns, tls, invalidResponse, blocked, redirect, serverError, clientError, statuses',
    ],
    [
      { classification: { dns: 'drop' } },
      'retryPolicy.classification.dns',
      'must be one of retry, permanent, cancel, cancel_and_disable, stop (got "drop")',
    ],
    [
      { classification: { serverError: 'stop' } },
      'retryPolicy.classification.serverError',
      '"stop" is only for outcomes without a response (timeout, connect, dns, tls, invalidResponse, blocked); use "permanent"',
    ],
    [
      { classification: { statuses: { '404': 'stop' } } },
      'retryPolicy.classification.statuses.404',
      '"stop" is only for outcomes without a response (timeout, connect, dns, tls, invalidResponse, blocked); use "permanent"',
    ],
    [
      { classification: { statuses: { '4xx': 'retry' } } },
      'retryPolicy.classification.statuses.4xx',
      'must be an HTTP status code from 100 to 599, written as a string ("404")',
    ],
    [{ classification: { statuses: { '204': 'retry' } } }, 'retryPolicy.classification.statuses.204', 'a 2xx is always delivered and cannot be classified'],
    [{ classification: { statuses: [404] } }, 'retryPolicy.classification.statuses', 'must be an object of at most 50 "status": verdict entries (got a list of 1)'],
    [
      { retryClientErrors: true, classification: { clientError: 'permanent' } },
      'retryPolicy.retryClientErrors',
      'is a shorthand for classification.clientError; set one of them, not both',
    ],
    [
      { on410: 'retry', classification: { statuses: { '410': 'cancel' } } },
      'retryPolicy.on410',
      'is a shorthand for classification.statuses["410"]; set one of them, not both',
    ],
    [{ delays: ['1m', '1m'], maxAttempts: 8 }, 'retryPolicy.maxAttempts', 'must be 3 (the first attempt plus one per delay) or left out when delays is given, got 8'],
    [{ delays: ['1d', '1d', '1d'], maxAgeSeconds: 172_800 }, 'retryPolicy.maxAgeSeconds', 'must be at least the sum of delays (259200 s) or the last attempts never happen, got 172800'],
  ])('%o → %s', (input, path, message) => {
    expect(errorsOf(input)).toEqual([{ path, message }]);
  });

  it('reports every problem at once, each with its own path', () => {
    const errors = errorsOf({ maxAttempts: 0, backoff: { jitter: 'x', extra: 1 }, colour: 'red', delays: ['1m', 'x', 'y'] });
    expect(errors.map((e) => e.path).sort()).toEqual([
      'retryPolicy.backoff.extra',
      'retryPolicy.backoff.jitter',
      'retryPolicy.colour',
      'retryPolicy.delays[1]',
      'retryPolicy.delays[2]',
      'retryPolicy.maxAttempts',
    ]);
  });

  it('starts paths at the given prefix', () => {
    expect(errorsOf({ backoff: { baseSeconds: 0 } }, 'endpoint.retryPolicy')[0]?.path).toBe('endpoint.retryPolicy.backoff.baseSeconds');
    expect(errorsOf(null, '')[0]?.path).toBe('');
  });
});

describe('resolvePolicy', () => {
  it('is DEFAULT_POLICY with no input and no deployment default', () => {
    expect(resolvePolicy(undefined)).toEqual(DEFAULT_POLICY);
    expect(resolvePolicy({})).toEqual(DEFAULT_POLICY);
    expect(resolvePolicy({ preset: 'default' })).toEqual(DEFAULT_POLICY);
  });

  it('has the documented default values', () => {
    expect(DEFAULT_POLICY).toEqual({
      backoff: { baseSeconds: 30, maxDelaySeconds: 43_200, jitter: 'equal' },
      maxAttempts: 15,
      maxAgeSeconds: 259_200,
      retryAfter: { statuses: [429, 503], minSeconds: 1, maxSeconds: 86_400 },
      classification: DEFAULT_POLICY.classification,
      autoDisable: true,
    });
    // The table, grouped by verdict.
    const { statuses, ...classes } = DEFAULT_POLICY.classification;
    const byVerdict: Record<string, string[]> = {};
    for (const [name, verdict] of [...Object.entries(classes), ...Object.entries(statuses).map(([k, v]) => [`HTTP ${k}`, v])]) {
      (byVerdict[verdict!] ??= []).push(name!);
    }
    expect(byVerdict).toEqual({
      retry: ['timeout', 'connect', 'dns', 'tls', 'invalidResponse', 'redirect', 'serverError', 'HTTP 408', 'HTTP 425', 'HTTP 429'],
      permanent: ['blocked', 'clientError'],
      cancel: ['HTTP 410'],
    });
  });

  it('overrides single fields of a preset, nested fields one by one', () => {
    expect(resolvePolicy({ preset: 'cryptr', on410: 'cancel_and_disable', retryAfter: { maxSeconds: 600 } })).toMatchObject({
      delays: [300, 600, 1200, 3600, 7200],
      classification: { timeout: 'stop', statuses: { '410': 'cancel_and_disable', '429': 'retry' } },
      retryAfter: { statuses: [429, 503], minSeconds: 1, maxSeconds: 600 },
    });
    expect(resolvePolicy({ backoff: { jitter: 'none' } }).backoff).toEqual({ baseSeconds: 30, maxDelaySeconds: 43_200, jitter: 'none' });
  });

  it('sets maxAttempts to delays.length + 1 and parses durations', () => {
    const policy = resolvePolicy({ delays: ['90s', '5m', 7200] });
    expect(policy.delays).toEqual([90, 300, 7200]);
    expect(policy.maxAttempts).toBe(4);
  });

  it('lets backoff in a higher layer replace inherited delays', () => {
    const policy = resolvePolicy({ preset: 'cryptr', backoff: { baseSeconds: 10 } });
    expect(policy.delays).toBeUndefined();
    expect(policy.backoff).toEqual({ baseSeconds: 10, maxDelaySeconds: 43_200, jitter: 'equal' });
    expect(policy.maxAttempts).toBe(15);
    expect(resolvePolicy({ backoff: { jitter: 'none' } }, { delays: ['1m'] }).delays).toBeUndefined();
  });

  it('merges the deployment default under the input, and a named preset over the deployment default', () => {
    expect(resolvePolicy(undefined, { retryClientErrors: true, maxAttempts: 3 })).toEqual({
      ...DEFAULT_POLICY,
      classification: { ...DEFAULT_POLICY.classification, clientError: 'retry' },
      maxAttempts: 3,
    });
    expect(resolvePolicy({ maxAttempts: 4 }, { preset: 'virtuous' })).toEqual({ ...resolvePolicy({ preset: 'virtuous' }), maxAttempts: 4 });
    expect(resolvePolicy({ preset: 'default' }, { preset: 'cryptr' })).toEqual(DEFAULT_POLICY);
    expect(resolvePolicy({ on410: 'permanent' }, { preset: 'cryptr', on410: 'cancel_and_disable' })).toMatchObject({
      delays: [300, 600, 1200, 3600, 7200],
      classification: { statuses: { '410': 'permanent' } },
    });
    // A named preset's table replaces the deployment's, status entries included.
    expect(
      resolvePolicy({ preset: 'dashboard' }, { classification: { timeout: 'stop', statuses: { '404': 'cancel' } } }).classification,
    ).toEqual(resolvePolicy({ preset: 'dashboard' }).classification);
    // Without a preset, an input changes single classes and statuses of the deployment's table.
    expect(resolvePolicy({ classification: { statuses: { '409': 'retry' } } }, { classification: { timeout: 'stop' } }).classification).toEqual({
      ...DEFAULT_POLICY.classification,
      timeout: 'stop',
      statuses: { ...DEFAULT_POLICY.classification.statuses, '409': 'retry' },
    });
    expect(resolvePolicy({ autoDisable: true }, { preset: 'virtuous' }).autoDisable).toBe(true);
    expect(resolvePolicy({ retryClientErrors: false }, { preset: 'virtuous' }).classification.clientError).toBe('permanent');
    expect(resolvePolicy({ preset: 'cryptr' }, { retryAfter: { statuses: [429] }, maxAgeSeconds: 600 })).toMatchObject({
      maxAgeSeconds: 86_400,
      retryAfter: { statuses: [429, 503] },
    });
  });

  it('returns a frozen policy and leaves DEFAULT_POLICY and PRESETS untouched', () => {
    const policy = resolvePolicy({ preset: 'virtuous', retryAfter: { statuses: [503] } });
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.backoff)).toBe(true);
    expect(Object.isFrozen(policy.retryAfter.statuses)).toBe(true);
    expect(DEFAULT_POLICY.retryAfter.statuses).toEqual([429, 503]);
    expect(PRESETS.virtuous?.retryAfter?.statuses).toEqual([429, 503]);
    expect(Object.isFrozen(PRESETS.cryptr?.delays)).toBe(true);
  });

  it('resolveCheckedPolicy throws a ValidationError with details for invalid stored input', () => {
    try {
      resolveCheckedPolicy({ maxAttempts: 0 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details).toEqual([{ path: 'retryPolicy.maxAttempts', message: 'must be an integer from 1 to 50 (got 0)' }]);
    }
  });

  it('resolveCheckedPolicy throws a plain Error (a deployment misconfiguration, not a 400) for an invalid deployment default', () => {
    expect(() => resolveCheckedPolicy(undefined, { preset: 'nope' })).toThrowError(
      'the deployment\'s default retry policy is invalid: defaultRetryPolicy.preset unknown preset "nope"; one of: default, cryptr, dashboard, virtuous',
    );
    let thrown: unknown;
    try {
      resolveCheckedPolicy(undefined, { maxAttempts: 99 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).not.toBeInstanceOf(ValidationError);
    expect(resolveCheckedPolicy({ maxAttempts: 4 }, { preset: 'virtuous' })).toEqual(resolvePolicy({ maxAttempts: 4 }, { preset: 'virtuous' }));
  });

  it.each([
    [
      { backoff: { maxDelaySeconds: 300 } },
      { backoff: { baseSeconds: 600 } },
      'retryPolicy.backoff.maxDelaySeconds',
      'is 300 once merged with the defaults, below baseSeconds (600); set both',
    ],
    [
      { retryAfter: { maxSeconds: 50 } },
      { retryAfter: { minSeconds: 100 } },
      'retryPolicy.retryAfter.maxSeconds',
      'is 50 once merged with the defaults, below minSeconds (100); set both',
    ],
    [
      { delays: ['3d', '1d'] },
      undefined,
      'retryPolicy.maxAgeSeconds',
      'is 259200 once merged with the defaults, shorter than the sum of delays (345600 s); set maxAgeSeconds',
    ],
  ])('rejects a merged policy that is inconsistent: %o over %o', (input, deploymentDefault, path, message) => {
    try {
      resolvePolicy(input, deploymentDefault);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details).toEqual([{ path, message }]);
    }
  });

  it('does not check backoff bounds when a delay list replaces backoff', () => {
    const policy = resolvePolicy({ delays: ['1m'], backoff: { maxDelaySeconds: 300 } }, { backoff: { baseSeconds: 600 } });
    expect(policy.delays).toEqual([60]);
    expect(policy.backoff).toEqual({ baseSeconds: 600, maxDelaySeconds: 300, jitter: 'equal' });
  });
});
