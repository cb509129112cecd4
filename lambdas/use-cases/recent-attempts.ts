/**
 * An endpoint's recent attempts, read from its deliveries (each holds its attempts inline): what the stats route
 * and the worker's receiver-health warning are computed from. There is no per-endpoint attempt index (it would
 * cost a write per attempt), so this walks the endpoint's deliveries newest first, within bounds.
 */
import type { Attempt, Delivery } from '../core/model';
import type { RecentAttempts } from '../ports/delivery-store';
import type { EventStore } from '../ports/event-store';

/**
 * How far before a window a delivery may have been created and still make attempts inside it: the default retry
 * policy's maximum age (3 days). Manual redeliveries of older deliveries are not counted.
 */
export const ACTIVITY_LOOKBACK_MS = 3 * 24 * 3600 * 1000;

const LIST_PAGE_SIZE = 100;

export interface ActiveDeliveries {
  readonly active: Delivery[];
  /** True when more deliveries had activity in the window than were kept (or the walk hit its read bound). */
  readonly truncated: boolean;
}

/**
 * The endpoint's deliveries updated at or after `windowStart` that made attempts, newest first: the walk stops at
 * deliveries created more than {@link ACTIVITY_LOOKBACK_MS} before the window (older ones cannot be retrying any
 * more under the default maximum age), after `maxDeliveries` active ones, or after reading `maxScanned` deliveries.
 */
export async function activeDeliveries(
  events: Pick<EventStore, 'listDeliveriesOfEndpoint'>,
  endpointId: string,
  windowStart: number,
  bounds: { readonly maxDeliveries: number; readonly maxScanned?: number },
): Promise<ActiveDeliveries> {
  const oldestCreated = windowStart - ACTIVITY_LOOKBACK_MS;
  const active: Delivery[] = [];
  let scanned = 0;
  let cursor: string | undefined;
  do {
    const page = await events.listDeliveriesOfEndpoint({ endpointId, limit: LIST_PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) });
    for (const delivery of page.items) {
      if (delivery.createdAt < oldestCreated) return { active, truncated: false };
      if (bounds.maxScanned !== undefined && scanned === bounds.maxScanned) return { active, truncated: true };
      scanned++;
      if (delivery.updatedAt < windowStart || delivery.attemptCount === 0) continue;
      if (active.length === bounds.maxDeliveries) return { active, truncated: true };
      active.push(delivery);
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return { active, truncated: false };
}

/**
 * {@link RecentAttempts} over the event store: the attempts since `since` of the endpoint's 200 most recently
 * active deliveries, reading at most 1,000 deliveries (a few strongly consistent Queries per 100).
 */
export class StoredRecentAttempts implements RecentAttempts {
  constructor(private readonly events: Pick<EventStore, 'listDeliveriesOfEndpoint'>) {}

  async recentAttempts(endpointId: string, since: number): Promise<Attempt[]> {
    const { active } = await activeDeliveries(this.events, endpointId, since, { maxDeliveries: 200, maxScanned: 1000 });
    return active.flatMap((d) => d.attempts ?? []).filter((a) => a.startedAt >= since);
  }
}
