import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../../lambdas/core/model';
import type { OutcomeCounts } from '../../../lambdas/ports/operations';
import { OVERVIEW_DEAD_COUNT_LIMIT, OVERVIEW_FAILING_LIMIT, overview } from '../../../lambdas/use-cases/api/overview';

const NOW = Date.parse('2031-06-01T12:00:00.000Z');

function endpoint(id: string, over: Partial<Endpoint> = {}): Endpoint {
  return {
    id,
    url: `https://hooks.example.com/${id}`,
    description: '',
    eventTypes: ['*'],
    tenant: 't',
    retryPolicy: {},
    timeoutMs: 15_000,
    headers: {},
    disabled: false,
    secrets: [],
    health: { consecutiveFailures: 0 },
    createdAt: NOW,
    updatedAt: NOW,
    ...over,
  };
}

const failing = (id: string, failures: number, since: number, over: Partial<Endpoint> = {}) =>
  endpoint(id, { health: { consecutiveFailures: failures, failingSince: since }, ...over });

/** Stores holding `endpoints` (paged by 100, as the Dynamo adapter pages) and `dead` dead letters. */
function deps(endpoints: Endpoint[], dead = 0, extra: object = {}) {
  const pages: number[] = [];
  return {
    pages,
    deps: {
      clock: { now: () => NOW },
      endpoints: {
        list: async ({ limit, cursor }: { limit: number; cursor?: string }) => {
          const start = cursor === undefined ? 0 : Number(cursor);
          pages.push(start);
          const items = endpoints.slice(start, start + limit);
          return start + limit < endpoints.length ? { items, nextCursor: String(start + limit) } : { items };
        },
      },
      events: { countDeadDeliveries: async (atMost: number) => Math.min(dead, atMost) },
      ...extra,
    },
  };
}

describe('overview', () => {
  it('lists failing endpoints first (most consecutive failures, then the longest failing), then open circuits and disabled ones; never healthy ones', async () => {
    const open = { state: 'open', since: NOW - 60_000, nextProbeAt: NOW + 60_000, reason: '5 failures in a row' } as const;
    const { deps: d } = deps([
      endpoint('healthy'),
      failing('two-late', 2, NOW - 1000),
      endpoint('disabled', { disabled: true, disabledReason: 'by hand' }),
      failing('five', 5, NOW - 5000),
      failing('two-early', 2, NOW - 9000),
      endpoint('open-circuit', { circuit: open }),
      endpoint('breaker-off', { circuit: open, circuitBreaker: false }),
    ]);
    const o = await overview(d);
    expect(o.endpoints.failing.map((e) => e.id)).toEqual(['five', 'two-early', 'two-late', 'disabled', 'open-circuit']);
    expect(o.endpoints).toMatchObject({ examined: 7, truncated: false, failingCount: 3, disabledCount: 1, openCircuitCount: 1 });
    expect(o.endpoints.failing.find((e) => e.id === 'open-circuit')!.circuit).toEqual(open);
    expect(o.generatedAt).toBe(NOW);
  });

  it('reads at most 1000 endpoints and says so; lists at most 20', async () => {
    const many = Array.from({ length: 1050 }, (_, i) => failing(`ep${String(i).padStart(4, '0')}`, 1, NOW - i));
    const { deps: d, pages } = deps(many);
    const o = await overview(d);
    expect(pages).toHaveLength(10);
    expect(o.endpoints).toMatchObject({ examined: 1000, truncated: true, failingCount: 1000 });
    expect(o.endpoints.failing).toHaveLength(OVERVIEW_FAILING_LIMIT);
    // The same number of failures: the one failing longest first.
    expect(o.endpoints.failing[0]!.id).toBe('ep0999');
  });

  it('caps the dead-letter count and says "at least"; without queues or history their figures are null', async () => {
    expect((await overview(deps([], 7).deps)).deadLetters).toEqual({ count: 7, atLeast: false });
    const o = await overview(deps([], 5000).deps);
    expect(o.deadLetters).toEqual({ count: OVERVIEW_DEAD_COUNT_LIMIT, atLeast: true });
    expect([o.queue, o.history]).toEqual([null, null]);
  });

  it('asks the history for 60 minutes and 96 quarter-hours ending now, and the queue lag over 5 minutes', async () => {
    const asked: string[] = [];
    const series = (n: number): OutcomeCounts[] => Array.from({ length: n }, (_, i) => ({ start: i, delivered: 0, failed: 0, dead: 0, canceled: 0 }));
    const history = {
      source: 'cloudwatch' as const,
      series: async (now: number, periodMs: number, count: number) => {
        asked.push(`series ${now} ${periodMs} ${count}`);
        return series(count);
      },
      queueLag: async (now: number, windowMs: number) => {
        asked.push(`lag ${now} ${windowMs}`);
        return 1234;
      },
    };
    const queueDepths = { depths: async () => ({ visible: 3, delayed: 2, inFlight: 1 }) };
    const o = await overview(deps([], 0, { history, queueDepths }).deps);
    expect(asked.sort()).toEqual([`lag ${NOW} 300000`, `series ${NOW} 60000 60`, `series ${NOW} 900000 96`].sort());
    expect(o.queue).toEqual({ visible: 3, delayed: 2, inFlight: 1, lagMs: 1234 });
    expect([o.history?.source, o.history?.lastHour.length, o.history?.lastDay.length]).toEqual(['cloudwatch', 60, 96]);
  });
});
