import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../lambdas/core/errors';
import type { Attempt, Delivery, Endpoint, Outcome } from '../../../lambdas/core/model';
import type { Page, PageRequest } from '../../../lambdas/ports/endpoint-store';
import {
  STATS_LOOKBACK_MS,
  STATS_MAX_DELIVERIES,
  STATS_WINDOW_MS,
  endpointStats,
  percentile,
  bucketAttempts,
  summariseAttempts,
  type EndpointStatsDeps,
} from '../../../lambdas/use-cases/api/endpoint-stats';

const NOW = Date.parse('2031-05-10T12:00:00.000Z');
const HOUR = 3600 * 1000;

const ok: Outcome = { kind: 'http', status: 200 };
const fail: Outcome = { kind: 'http', status: 500 };

function attempt(deliveryId: string, number: number, startedAt: number, latencyMs: number, outcome: Outcome): Attempt {
  return {
    deliveryId,
    number,
    startedAt,
    latencyMs,
    outcome,
    next: outcome.kind === 'http' && outcome.status === 200 ? { kind: 'delivered' } : { kind: 'retry', at: startedAt + 1000, basis: 'delays' },
  };
}

function delivery(id: string, createdAt: number, updatedAt: number, attemptCount: number): Delivery {
  return {
    id,
    eventId: `evt_${id}`,
    endpointId: 'ep_1',
    tenant: '',
    eventType: 'a.b',
    status: 'delivered',
    attemptCount,
    roundStartedAt: createdAt,
    roundFirstAttempt: 1,
    createdAt,
    updatedAt,
  };
}

/**
 * In-memory store: deliveries listed newest first in pages, each with its attempts inline (as stored); counts the
 * pages read and which deliveries' attempts the use case looked at.
 */
function fakeDeps(deliveries: Delivery[], attempts: Attempt[], pageSize = 100) {
  const reads = { pages: 0, attemptReads: [] as string[] };
  const sorted = [...deliveries]
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((d) => {
      const withAttempts = { ...d };
      Object.defineProperty(withAttempts, 'attempts', {
        enumerable: true,
        get: () => {
          reads.attemptReads.push(d.id);
          return attempts.filter((a) => a.deliveryId === d.id);
        },
      });
      return withAttempts;
    });
  const deps: EndpointStatsDeps = {
    clock: { now: () => NOW },
    endpoints: {
      get: async (id: string) => (id === 'ep_1' ? ({ id: 'ep_1' } as Endpoint) : undefined),
    },
    events: {
      listDeliveriesOfEndpoint: async (query: PageRequest & { endpointId: string }): Promise<Page<Delivery>> => {
        reads.pages++;
        const start = query.cursor === undefined ? 0 : Number(query.cursor);
        const size = Math.min(query.limit, pageSize);
        const items = sorted.slice(start, start + size);
        return start + size < sorted.length ? { items, nextCursor: String(start + size) } : { items };
      },
    },
  };
  return { deps, reads };
}

describe('percentile (nearest rank)', () => {
  it.each([
    [[], 95, null],
    [[7], 95, 7],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 95, 19],
    [[20, 1, 19, 2, 18, 3, 17, 4, 16, 5, 15, 6, 14, 7, 13, 8, 12, 9, 11, 10], 95, 19],
    [[100, 10], 95, 100],
    [[100, 10], 50, 10],
    [[5, 5, 5, 900], 95, 900],
  ])('percentile(%j, %d) = %j', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });
});

describe('summariseAttempts', () => {
  it('counts only attempts inside the window; a success is a 2xx; every outcome counts towards latency', () => {
    const start = NOW - STATS_WINDOW_MS;
    const result = summariseAttempts(
      [
        attempt('d', 1, start - 1, 5000, fail), // before the window
        attempt('d', 2, start, 100, fail),
        attempt('d', 3, start + HOUR, 300, { kind: 'timeout' }),
        attempt('d', 4, NOW, 50, ok),
        attempt('d', 5, NOW + 1, 1, ok), // after the window
        attempt('e', 1, NOW - HOUR, 70, { kind: 'http', status: 204 }),
        attempt('e', 2, NOW - HOUR, 70, { kind: 'http', status: 302 }),
      ],
      start,
      NOW,
    );
    expect(result).toEqual({ attempts: 5, succeeded: 2, successRate: 0.4, p95LatencyMs: 300 });
  });

  it('has null rate and latency when there was no attempt', () => {
    expect(summariseAttempts([], 0, NOW)).toEqual({ attempts: 0, succeeded: 0, successRate: null, p95LatencyMs: null });
  });
});

describe('bucketAttempts', () => {
  it('splits the window into equal slices, oldest first; the window end falls in the last slice; outside attempts are left out', () => {
    const buckets = bucketAttempts(
      [attempt('d', 1, 0, 1, ok), attempt('d', 2, 59, 1, fail), attempt('d', 3, 60, 1, ok), attempt('d', 4, 240, 1, ok), attempt('d', 5, 241, 1, ok), attempt('d', 6, -1, 1, ok)],
      0,
      240,
      4,
    );
    expect(buckets).toEqual([
      { start: new Date(0).toISOString(), attempts: 2, succeeded: 1 },
      { start: new Date(60).toISOString(), attempts: 1, succeeded: 1 },
      { start: new Date(120).toISOString(), attempts: 0, succeeded: 0 },
      { start: new Date(180).toISOString(), attempts: 1, succeeded: 1 },
    ]);
  });
});

describe('endpointStats', () => {
  it('reads the attempts of deliveries active in the window, including older deliveries still retrying', async () => {
    const start = NOW - STATS_WINDOW_MS;
    const deliveries = [
      delivery('new', NOW - HOUR, NOW - HOUR, 1),
      delivery('retrying-old', start - 2 * HOUR, NOW - 2 * HOUR, 3), // created before the window, attempts in it
      delivery('quiet', start - HOUR, start - HOUR, 1), // no activity in the window: not read
      delivery('unattempted', NOW - 10, NOW - 10, 0), // no attempt yet: not read
    ];
    const attempts = [
      attempt('new', 1, NOW - HOUR, 40, ok),
      attempt('retrying-old', 1, start - 2 * HOUR, 999, fail), // outside the window
      attempt('retrying-old', 2, start + HOUR, 200, fail),
      attempt('retrying-old', 3, NOW - 2 * HOUR, 60, ok),
      attempt('quiet', 1, start - HOUR, 10, ok),
    ];
    const { deps, reads } = fakeDeps(deliveries, attempts);
    const stats = await endpointStats(deps, 'ep_1');
    expect(stats).toEqual({
      endpointId: 'ep_1',
      windowStart: new Date(start).toISOString(),
      windowEnd: new Date(NOW).toISOString(),
      attempts: 3,
      succeeded: 2,
      successRate: 2 / 3,
      p95LatencyMs: 200,
      deliveriesExamined: 2,
      truncated: false,
      // The newest attempt started exactly an hour ago: outside the last hour.
      lastHour: { attempts: 0, p95LatencyMs: null, non2xxRate: null, warnings: [] },
      buckets: expect.any(Array),
    });
    expect(reads.attemptReads.sort()).toEqual(['new', 'retrying-old']);
    // Hourly: the failure an hour into the window, the two successes in the last hours.
    const busy = stats.buckets.map((b, i) => [i, b.attempts, b.succeeded]).filter(([, n]) => n !== 0);
    expect(busy).toEqual([
      [1, 1, 0],
      [22, 1, 1],
      [23, 1, 1],
    ]);
    expect(stats.buckets).toHaveLength(24);
    expect(stats.buckets[0]!.start).toBe(new Date(start).toISOString());
  });

  it('stops listing at deliveries created before the look-back, without reading further pages', async () => {
    const start = NOW - STATS_WINDOW_MS;
    const tooOld = start - STATS_LOOKBACK_MS - 1;
    const deliveries = [
      delivery('recent', NOW - HOUR, NOW - HOUR, 1),
      delivery('ancient-1', tooOld, NOW - HOUR, 1), // a manual redelivery of an old one: outside the look-back
      delivery('ancient-2', tooOld - 1, NOW - HOUR, 1),
      delivery('ancient-3', tooOld - 2, NOW - HOUR, 1),
    ];
    const { deps, reads } = fakeDeps(deliveries, [attempt('recent', 1, NOW - HOUR, 10, ok), attempt('ancient-1', 1, NOW - HOUR, 10, fail)], 2);
    const stats = await endpointStats(deps, 'ep_1');
    expect(stats.attempts).toBe(1);
    expect(stats.successRate).toBe(1);
    expect(reads.pages).toBe(1);
    expect(reads.attemptReads).toEqual(['recent']);
  });

  it(`samples the ${STATS_MAX_DELIVERIES} most recent active deliveries and says so`, async () => {
    const deliveries = Array.from({ length: STATS_MAX_DELIVERIES + 5 }, (_, i) => delivery(`d${i}`, NOW - (i + 1) * 1000, NOW - (i + 1) * 1000, 1));
    const attempts = deliveries.map((d, i) => attempt(d.id, 1, d.createdAt, i, i % 2 === 0 ? ok : fail));
    const { deps, reads } = fakeDeps(deliveries, attempts);
    const stats = await endpointStats(deps, 'ep_1');
    expect(stats.truncated).toBe(true);
    expect(stats.deliveriesExamined).toBe(STATS_MAX_DELIVERIES);
    expect(stats.attempts).toBe(STATS_MAX_DELIVERIES);
    expect(stats.succeeded).toBe(STATS_MAX_DELIVERIES / 2);
    expect(stats.p95LatencyMs).toBe(189); // latencies 0..199, nearest rank 190
    expect(new Set(reads.attemptReads)).toEqual(new Set(deliveries.slice(0, STATS_MAX_DELIVERIES).map((d) => d.id)));
  });

  it('is not truncated when exactly the cap is active', async () => {
    const deliveries = Array.from({ length: STATS_MAX_DELIVERIES }, (_, i) => delivery(`d${i}`, NOW - (i + 1) * 1000, NOW - (i + 1) * 1000, 1));
    const { deps } = fakeDeps(deliveries, deliveries.map((d) => attempt(d.id, 1, d.createdAt, 5, ok)));
    const stats = await endpointStats(deps, 'ep_1');
    expect(stats.truncated).toBe(false);
    expect(stats.deliveriesExamined).toBe(STATS_MAX_DELIVERIES);
  });

  it('throws NotFoundError for an unknown endpoint', async () => {
    const { deps } = fakeDeps([], []);
    await expect(endpointStats(deps, 'ep_missing')).rejects.toBeInstanceOf(NotFoundError);
  });
});
