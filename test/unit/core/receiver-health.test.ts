import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../../lambdas/core/model';
import { MIN_ATTEMPTS_FOR_RATE, receiverHealth } from '../../../lambdas/core/receiver-health';

const NOW = Date.UTC(2030, 0, 1, 12);
const ok: Outcome = { kind: 'http', status: 200 };
const fail: Outcome = { kind: 'http', status: 500 };
const attempts = (n: number, latencyMs: number, outcome: Outcome, agoMs = 60_000) =>
  Array.from({ length: n }, () => ({ startedAt: NOW - agoMs, latencyMs, outcome }));

describe('receiver health warnings (Virtuous’s receiver metrics)', () => {
  it('warns when the last hour’s p95 passes 80 % of the timeout, and not at 80 % exactly', () => {
    const slow = receiverHealth({ attempts: [...attempts(94, 100, ok), ...attempts(6, 4100, ok)], now: NOW, timeoutMs: 5000 });
    expect(slow.warnings).toEqual([
      { kind: 'slow', p95LatencyMs: 4100, thresholdMs: 4000, message: 'p95 response time over the last hour is 4100 ms, above 80 % of the 5000 ms timeout' },
    ]);
    expect(receiverHealth({ attempts: attempts(100, 4000, ok), now: NOW, timeoutMs: 5000 }).warnings).toEqual([]);
  });

  it('warns when the non-2xx rate passes the baseline (default 5 %), counting timeouts, over enough attempts', () => {
    const mixed = [...attempts(90, 50, ok), ...attempts(4, 50, fail), ...attempts(6, 50, { kind: 'timeout' })];
    const health = receiverHealth({ attempts: mixed, now: NOW, timeoutMs: 15_000 });
    expect(health.non2xxRate).toBeCloseTo(0.1);
    expect(health.warnings).toEqual([
      { kind: 'non_2xx_rate', rate: 0.1, baseline: 0.05, message: '10.0 % of the last hour’s 100 attempts were not answered with a 2xx (baseline 5.0 %)' },
    ]);
    expect(receiverHealth({ attempts: mixed, now: NOW, timeoutMs: 15_000, baseline: 0.1 }).warnings).toEqual([]);
    const few = [...attempts(MIN_ATTEMPTS_FOR_RATE - 2, 50, ok), ...attempts(1, 50, fail)];
    expect(receiverHealth({ attempts: few, now: NOW, timeoutMs: 15_000 }).warnings).toEqual([]);
  });

  it('looks at the last hour only', () => {
    const old = attempts(100, 14_000, fail, 3600 * 1000);
    expect(receiverHealth({ attempts: old, now: NOW, timeoutMs: 15_000 })).toEqual({ attempts: 0, p95LatencyMs: null, non2xxRate: null, warnings: [] });
  });
});
