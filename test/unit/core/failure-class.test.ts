import { describe, expect, it } from 'vitest';
import { failureClass } from '../../../lambdas/core/failure-class';
import type { Outcome } from '../../../lambdas/core/model';

describe('failureClass', () => {
  it.each([
    [{ kind: 'http', status: 200 }, undefined],
    [{ kind: 'http', status: 299 }, undefined],
    [{ kind: 'http', status: 301 }, 'http_3xx'],
    [{ kind: 'http', status: 400 }, 'http_4xx'],
    [{ kind: 'http', status: 410 }, 'http_4xx'],
    [{ kind: 'http', status: 429 }, 'http_4xx'],
    [{ kind: 'http', status: 500 }, 'http_5xx'],
    [{ kind: 'http', status: 503 }, 'http_5xx'],
    [{ kind: 'http', status: 101 }, 'invalid_response'],
    [{ kind: 'http', status: 700 }, 'invalid_response'],
    [{ kind: 'timeout' }, 'timeout'],
    [{ kind: 'connect_refused' }, 'connect'],
    [{ kind: 'connect_reset' }, 'connect'],
    [{ kind: 'dns' }, 'connect'],
    [{ kind: 'tls' }, 'tls'],
    [{ kind: 'blocked' }, 'blocked'],
    [{ kind: 'invalid_response' }, 'invalid_response'],
  ] as [Outcome, string | undefined][])('%j is %s', (outcome, expected) => {
    expect(failureClass(outcome)).toBe(expected);
  });
});
