/**
 * GET /v1/overview: the operator's first screen. Failing endpoints first, open circuits, the dead-letter count, the
 * delivery queues' backlog and lag, and deliveries per minute by outcome over the last hour and day.
 */
import type { Endpoint } from '../../core/model';
import type { Clock } from '../../ports';
import type { EndpointStore } from '../../ports/endpoint-store';
import type { EventStore } from '../../ports/event-store';
import type { DeliveryHistory, OutcomeCounts, QueueDepth, QueueDepths } from '../../ports/operations';

/** Endpoints read to find the failing ones: bounded, so the route stays fast on a large deployment. */
export const OVERVIEW_MAX_ENDPOINTS = 1000;
/** Failing endpoints listed (the counts cover every endpoint read). */
export const OVERVIEW_FAILING_LIMIT = 20;
/** Dead letters are counted up to this many; above it the count says "at least". */
export const OVERVIEW_DEAD_COUNT_LIMIT = 1000;
/** The queue lag is the longest wait over this window. */
export const QUEUE_LAG_WINDOW_MS = 5 * 60_000;

const MINUTE = 60_000;

export interface OverviewDeps {
  readonly endpoints: Pick<EndpointStore, 'list'>;
  readonly events: Pick<EventStore, 'countDeadDeliveries'>;
  readonly clock: Clock;
  /** Absent when the api is not given the queues (then the queue figures are null). */
  readonly queueDepths?: QueueDepths;
  /** Absent when the deployment keeps no history the api can read (then the charts are null). */
  readonly history?: DeliveryHistory;
}

export type OverviewEndpoint = Pick<Endpoint, 'id' | 'url' | 'tenant' | 'disabled' | 'disabledReason' | 'health' | 'circuit' | 'circuitBreaker'>;

/** Whether the endpoint's breaker is on and its circuit open or half-open (its deliveries wait, parked). */
export function circuitNotClosed(ep: Pick<Endpoint, 'circuit' | 'circuitBreaker'>): boolean {
  return ep.circuitBreaker !== false && ep.circuit !== undefined && ep.circuit.state !== 'closed';
}

export interface Overview {
  readonly generatedAt: number;
  readonly endpoints: {
    readonly examined: number;
    /** True when there were more endpoints than {@link OVERVIEW_MAX_ENDPOINTS}: the counts cover the newest ones. */
    readonly truncated: boolean;
    readonly failingCount: number;
    readonly disabledCount: number;
    /** Endpoints whose circuit is open or half-open. */
    readonly openCircuitCount: number;
    /** Failing, open-circuit or disabled endpoints: failing ones first by consecutive failures, then the longest failing. */
    readonly failing: readonly OverviewEndpoint[];
  };
  readonly deadLetters: { readonly count: number; readonly atLeast: boolean };
  readonly queue: (QueueDepth & { readonly lagMs: number | null }) | null;
  readonly history: { readonly source: DeliveryHistory['source']; readonly lastHour: readonly OutcomeCounts[]; readonly lastDay: readonly OutcomeCounts[] } | null;
}

/** Failing first (most consecutive failures, then failing longest), then disabled ones. */
export function failingFirst(a: OverviewEndpoint, b: OverviewEndpoint): number {
  const failingA = a.health.failingSince !== undefined;
  const failingB = b.health.failingSince !== undefined;
  if (failingA !== failingB) return failingA ? -1 : 1;
  return (
    b.health.consecutiveFailures - a.health.consecutiveFailures ||
    (a.health.failingSince ?? Number.MAX_SAFE_INTEGER) - (b.health.failingSince ?? Number.MAX_SAFE_INTEGER) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/**
 * Builds the overview. An endpoint is failing while its health has a failing streak; endpoints with an open circuit
 * and disabled ones are listed after the failing ones. The history has 60 one-minute periods (last hour) and 96 quarter-hours (last day).
 */
export async function overview(deps: OverviewDeps): Promise<Overview> {
  const now = deps.clock.now();
  const all: Endpoint[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.endpoints.list({ limit: 100, ...(cursor === undefined ? {} : { cursor }) });
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined && all.length < OVERVIEW_MAX_ENDPOINTS);

  const listed = all.filter((ep) => ep.disabled || ep.health.failingSince !== undefined || circuitNotClosed(ep)).sort(failingFirst);
  const [dead, depths, lag, lastHour, lastDay] = await Promise.all([
    deps.events.countDeadDeliveries(OVERVIEW_DEAD_COUNT_LIMIT),
    deps.queueDepths?.depths(),
    deps.history?.queueLag(now, QUEUE_LAG_WINDOW_MS),
    deps.history?.series(now, MINUTE, 60),
    deps.history?.series(now, 15 * MINUTE, 96),
  ]);
  return {
    generatedAt: now,
    endpoints: {
      examined: all.length,
      truncated: cursor !== undefined,
      failingCount: listed.filter((ep) => ep.health.failingSince !== undefined).length,
      disabledCount: listed.filter((ep) => ep.disabled).length,
      openCircuitCount: listed.filter(circuitNotClosed).length,
      failing: listed.slice(0, OVERVIEW_FAILING_LIMIT).map(({ id, url, tenant, disabled, disabledReason, health, circuit, circuitBreaker }) => ({
        id,
        url,
        tenant,
        disabled,
        ...(disabledReason === undefined ? {} : { disabledReason }),
        health,
        ...(circuit === undefined ? {} : { circuit }),
        ...(circuitBreaker === undefined ? {} : { circuitBreaker }),
      })),
    },
    deadLetters: { count: Math.min(dead, OVERVIEW_DEAD_COUNT_LIMIT), atLeast: dead >= OVERVIEW_DEAD_COUNT_LIMIT },
    queue: depths === undefined ? null : { ...depths, lagMs: lag ?? null },
    history:
      deps.history === undefined || lastHour === undefined || lastDay === undefined ? null : { source: deps.history.source, lastHour, lastDay },
  };
}
