import { describe, expect, it } from 'vitest';
import { classify, describeOutcome } from '../../../lambdas/core/classify';
import type { Classified as Classification, Outcome, RetryPolicy } from '../../../lambdas/core/model';
import { DEFAULT_POLICY, resolvePolicy } from '../../../lambdas/core/policy';

const policies = {
  default: DEFAULT_POLICY,
  retryClientErrors: resolvePolicy({ retryClientErrors: true }),
  on410Permanent: resolvePolicy({ on410: 'permanent' }),
  on410Disable: resolvePolicy({ on410: 'cancel_and_disable' }),
  retryClientErrorsAnd410Permanent: resolvePolicy({ retryClientErrors: true, on410: 'permanent' }),
} satisfies Record<string, RetryPolicy>;

type PolicyName = keyof typeof policies;
type Row = readonly [label: string, statuses: readonly number[], expected: Record<PolicyName, Classification>];

const all = (c: Classification): Record<PolicyName, Classification> => ({
  default: c,
  retryClientErrors: c,
  on410Permanent: c,
  on410Disable: c,
  retryClientErrorsAnd410Permanent: c,
});

// Expected class per status group under each policy option: the product's classification table.
const STATUS_ROWS: readonly Row[] = [
  [
    '1xx as a final answer',
    [100, 101, 102, 103, 150, 199],
    { ...all('permanent'), retryClientErrors: 'retry', retryClientErrorsAnd410Permanent: 'retry' },
  ],
  ['2xx', [200, 201, 202, 203, 204, 206, 250, 299], all('delivered')],
  ['3xx (redirects are not followed)', [300, 301, 302, 303, 304, 307, 308, 399], all('retry')],
  ['408, 425, 429', [408, 425, 429], all('retry')],
  [
    '410 Gone',
    [410],
    {
      default: 'cancel',
      retryClientErrors: 'cancel',
      on410Permanent: 'permanent',
      on410Disable: 'cancel_and_disable',
      retryClientErrorsAnd410Permanent: 'permanent',
    },
  ],
  [
    'other 4xx',
    [400, 401, 402, 403, 404, 405, 406, 409, 411, 413, 415, 418, 422, 424, 426, 428, 431, 451, 499],
    { ...all('permanent'), retryClientErrors: 'retry', retryClientErrorsAnd410Permanent: 'retry' },
  ],
  ['5xx', [500, 501, 502, 503, 504, 505, 507, 511, 550, 599], all('retry')],
  ['not an HTTP status (treated like an invalid response)', [0, 1, 99, 600, 999, 1000, -1, 200.5, Number.NaN], all('retry')],
];

describe('classify: HTTP statuses', () => {
  for (const [label, statuses, expected] of STATUS_ROWS) {
    for (const [name, policy] of Object.entries(policies) as [PolicyName, RetryPolicy][]) {
      it.each(statuses)(`${label}: %s under ${name} → ${expected[name]}`, (status) => {
        expect(classify({ kind: 'http', status }, policy)).toBe(expected[name]);
      });
    }
  }

  it('covers every status from 100 to 599 with exactly the table above', () => {
    const counts: Record<string, number> = {};
    for (let status = 100; status <= 599; status++) {
      const got = classify({ kind: 'http', status }, DEFAULT_POLICY);
      let want: Classification;
      if (status < 200) want = 'permanent';
      else if (status < 300) want = 'delivered';
      else if (status < 400) want = 'retry';
      else if (status === 410) want = 'cancel';
      else if (status === 408 || status === 425 || status === 429) want = 'retry';
      else if (status < 500) want = 'permanent';
      else want = 'retry';
      expect([status, got]).toEqual([status, want]);
      counts[got] = (counts[got] ?? 0) + 1;
    }
    expect(counts).toEqual({ permanent: 100 + 96, delivered: 100, retry: 100 + 3 + 100, cancel: 1 });
  });

  it('ignores a Retry-After header for classification', () => {
    expect(classify({ kind: 'http', status: 404, retryAfter: '10' }, DEFAULT_POLICY)).toBe('permanent');
    expect(classify({ kind: 'http', status: 200, retryAfter: '10' }, DEFAULT_POLICY)).toBe('delivered');
  });
});

describe('classify: transport outcomes', () => {
  const transport: readonly Outcome['kind'][] = ['timeout', 'connect_refused', 'connect_reset', 'dns', 'tls', 'invalid_response'];
  for (const [name, policy] of Object.entries(policies)) {
    it.each(transport)(`%s under ${name} → retry`, (kind) => {
      expect(classify({ kind } as Outcome, policy)).toBe('retry');
    });
    it(`blocked under ${name} → permanent (waiting does not make an address allowed)`, () => {
      expect(classify({ kind: 'blocked' }, policy)).toBe('permanent');
    });
  }
});

describe('classify: the table decides', () => {
  const NO_RESPONSE: readonly [Outcome, keyof RetryPolicy['classification']][] = [
    [{ kind: 'timeout' }, 'timeout'],
    [{ kind: 'connect_refused' }, 'connect'],
    [{ kind: 'connect_reset' }, 'connect'],
    [{ kind: 'dns' }, 'dns'],
    [{ kind: 'tls' }, 'tls'],
    [{ kind: 'invalid_response' }, 'invalidResponse'],
    [{ kind: 'http', status: 600 }, 'invalidResponse'],
    [{ kind: 'blocked' }, 'blocked'],
  ];
  it.each(NO_RESPONSE)('%o reads the verdict of class %s', (outcome, cls) => {
    for (const verdict of ['retry', 'permanent', 'cancel', 'cancel_and_disable', 'stop'] as const) {
      const policy = resolvePolicy({ classification: { [cls]: verdict } });
      expect([cls, classify(outcome, policy)]).toEqual([cls, verdict]);
    }
  });

  it.each([
    [302, 'redirect'],
    [404, 'clientError'],
    [101, 'clientError'],
    [503, 'serverError'],
  ] as const)('HTTP %d reads the verdict of class %s unless its status has an entry', (status, cls) => {
    const byClass = resolvePolicy({ classification: { [cls]: 'cancel' } });
    expect(classify({ kind: 'http', status }, byClass)).toBe('cancel');
    const byStatus = resolvePolicy({ classification: { [cls]: 'cancel', statuses: { [String(status)]: 'permanent' } } });
    expect(classify({ kind: 'http', status }, byStatus)).toBe('permanent');
  });

  it('a status outside 100..599 is never looked up in statuses', () => {
    expect(classify({ kind: 'http', status: 600 }, DEFAULT_POLICY)).toBe('retry');
  });
});

describe('describeOutcome', () => {
  it.each([
    [{ kind: 'http', status: 503 }, 'HTTP 503'],
    [{ kind: 'timeout' }, 'timeout'],
    [{ kind: 'connect_refused' }, 'connection refused'],
    [{ kind: 'connect_reset' }, 'connection reset'],
    [{ kind: 'dns' }, 'DNS failure'],
    [{ kind: 'tls' }, 'TLS error'],
    [{ kind: 'invalid_response' }, 'invalid response'],
    [{ kind: 'blocked' }, 'target address blocked'],
  ] as [Outcome, string][])('%o → %s', (outcome, text) => {
    expect(describeOutcome(outcome)).toBe(text);
  });
});
