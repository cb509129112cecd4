/**
 * GET /v1/endpoints/{id}/stats: an endpoint's delivery health over the last day (success rate and p95
 * latency of its attempts), for the console's endpoint views.
 */
import { NotFoundError } from '../../core/errors';
import type { Attempt } from '../../core/model';
import type { Clock } from '../../ports';
import type { EndpointStore } from '../../ports/endpoint-store';
import type { EventStore } from '../../ports/event-store';
import { percentile, receiverHealth, type ReceiverHealth } from '../../core/receiver-health';
import { ACTIVITY_LOOKBACK_MS, activeDeliveries } from '../recent-attempts';

export { percentile };

/** The window the stats cover: the last 24 hours. */
export const STATS_WINDOW_MS = 24 * 3600 * 1000;

/** How far before the window a delivery may have been created and still make attempts inside it. */
export const STATS_LOOKBACK_MS = ACTIVITY_LOOKBACK_MS;

/** At most this many deliveries (the most recently created ones with activity in the window) are read. */
export const STATS_MAX_DELIVERIES = 200;

/** What the stats need from the API's dependencies (ApiUseCaseDeps satisfies it). */
export interface EndpointStatsDeps {
  readonly endpoints: Pick<EndpointStore, 'get'>;
  readonly events: Pick<EventStore, 'listDeliveriesOfEndpoint'>;
  readonly clock: Clock;
}

export interface EndpointStats {
  readonly endpointId: string;
  /** ISO-8601 start and end of the window. */
  readonly windowStart: string;
  readonly windowEnd: string;
  /** Attempts that started inside the window. */
  readonly attempts: number;
  /** Of those, the ones answered with a 2xx. */
  readonly succeeded: number;
  /** succeeded / attempts, or null when there was no attempt. */
  readonly successRate: number | null;
  /** 95th percentile (nearest rank) of the attempts' latency in ms, or null when there was no attempt. */
  readonly p95LatencyMs: number | null;
  /** Deliveries whose attempts were read. */
  readonly deliveriesExamined: number;
  /** True when more deliveries had activity in the window than were read: the numbers are a recent sample. */
  readonly truncated: boolean;
  /** The last hour's receiver metrics and their warnings (p95 against the timeout, non-2xx rate against 5 %). */
  readonly lastHour: ReceiverHealth;
  /** The window in {@link STATS_BUCKETS} equal slices, oldest first: the console's success-rate sparkline. */
  readonly buckets: readonly StatsBucket[];
}

/** One slice of the stats window. */
export interface StatsBucket {
  /** ISO-8601 start of the slice. */
  readonly start: string;
  readonly attempts: number;
  readonly succeeded: number;
}

/** Hourly slices over the 24-hour window. */
export const STATS_BUCKETS = 24;

/**
 * Splits the attempts that started in `[windowStart, windowEnd]` into `count` equal slices, oldest first, counting
 * attempts and 2xx answers in each. An empty slice is zeros: no traffic, which the sparkline shows as a gap, not as
 * a failure.
 */
export function bucketAttempts(attempts: readonly Attempt[], windowStart: number, windowEnd: number, count: number = STATS_BUCKETS): StatsBucket[] {
  const size = (windowEnd - windowStart) / count;
  const slices = Array.from({ length: count }, (_, i) => ({ start: windowStart + i * size, attempts: 0, succeeded: 0 }));
  for (const a of attempts) {
    if (a.startedAt < windowStart || a.startedAt > windowEnd) continue;
    const slice = slices[Math.min(count - 1, Math.floor((a.startedAt - windowStart) / size))] as (typeof slices)[number];
    slice.attempts++;
    if (a.outcome.kind === 'http' && a.outcome.status >= 200 && a.outcome.status < 300) slice.succeeded++;
  }
  return slices.map((s) => ({ start: new Date(Math.round(s.start)).toISOString(), attempts: s.attempts, succeeded: s.succeeded }));
}

/**
 * Summarises attempts that started in `[windowStart, windowEnd]`: a success is an attempt answered with a 2xx
 * (whatever the delivery did later); every attempt counts towards latency, timeouts and refused connections
 * included, because a slow or unreachable receiver is exactly what the number should show.
 */
export function summariseAttempts(
  attempts: readonly Attempt[],
  windowStart: number,
  windowEnd: number,
): Pick<EndpointStats, 'attempts' | 'succeeded' | 'successRate' | 'p95LatencyMs'> {
  const inWindow = attempts.filter((a) => a.startedAt >= windowStart && a.startedAt <= windowEnd);
  const succeeded = inWindow.filter((a) => a.outcome.kind === 'http' && a.outcome.status >= 200 && a.outcome.status < 300).length;
  return {
    attempts: inWindow.length,
    succeeded,
    successRate: inWindow.length === 0 ? null : succeeded / inWindow.length,
    p95LatencyMs: percentile(
      inWindow.map((a) => a.latencyMs),
      95,
    ),
  };
}

/**
 * Computes an endpoint's stats for the last 24 hours from its stored deliveries and attempts.
 *
 * There is no per-endpoint attempt index, so the use case walks the endpoint's deliveries newest first (each with
 * its attempts inline), keeps those updated inside the window (every attempt updates its delivery), stops at
 * deliveries created before the window minus `ACTIVITY_LOOKBACK_MS` (../recent-attempts.ts) (older ones cannot be retrying any more
 * under the default maximum age), and counts the attempts of at most {@link STATS_MAX_DELIVERIES} of them;
 * `truncated` says when the cap was reached, so the console can say the numbers are a sample of the most recent
 * traffic.
 *
 * @throws NotFoundError when the endpoint does not exist
 */
export async function endpointStats(deps: EndpointStatsDeps, endpointId: string): Promise<EndpointStats> {
  const endpoint = await deps.endpoints.get(endpointId);
  if (endpoint === undefined) throw new NotFoundError('endpoint');
  const windowEnd = deps.clock.now();
  const windowStart = windowEnd - STATS_WINDOW_MS;
  const { active, truncated } = await activeDeliveries(deps.events, endpointId, windowStart, { maxDeliveries: STATS_MAX_DELIVERIES });

  // Attempts are stored with their delivery: the list already holds them.
  const attempts: Attempt[] = active.flatMap((d) => d.attempts ?? []);

  return {
    endpointId,
    windowStart: new Date(windowStart).toISOString(),
    windowEnd: new Date(windowEnd).toISOString(),
    ...summariseAttempts(attempts, windowStart, windowEnd),
    deliveriesExamined: active.length,
    truncated,
    lastHour: receiverHealth({ attempts, now: windowEnd, timeoutMs: endpoint.timeoutMs }),
    buckets: bucketAttempts(attempts, windowStart, windowEnd),
  };
}
