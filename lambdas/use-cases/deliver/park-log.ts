/**
 * The park log (issue 11, lean parking): an endpoint's parked deliveries are listed in log items, one per batch that
 * parked, instead of one index entry per delivery that is added when it parks and removed when it leaves.
 *
 * The rule that keeps every parked delivery reachable (lambdas/ports/circuit-store.ts):
 * - a delivery is parked only after an entry naming it with its attempt count is in the log ({@link BatchParkLog});
 * - an entry leaves the log only once a message for it was sent (the release, ./release.ts), or once its delivery
 *   can no longer be parked with that attempt count: it is final, or a later attempt was made ({@link settled});
 * - a message that finds its delivery parked and parks it again writes a new entry (./park.ts).
 * An entry whose delivery moved on without leaving the log is harmless: the released message finds a stale attempt
 * number and is dropped, and the probe and the expiry skip it (and remove it once it is settled).
 */
import type { Delivery } from '../../core/model';
import { isFinal } from '../../core/model';
import type { CircuitStore, ParkEntry, ParkLogItem } from '../../ports/circuit-store';
import { errorText, type DeliverDeps } from './deps';

/**
 * The log writes of one batch: the parks of an endpoint that are asked for together (the batch's records reach
 * their gate in the same turn of the event loop) go into one log item, so a batch of ten parks writes one item.
 * Each caller waits for the write that lists its entry; if it fails, every caller of that write sees the error.
 */
export class BatchParkLog {
  private readonly open = new Map<string, { readonly entries: ParkEntry[]; readonly written: Promise<void> }>();

  add(circuits: Pick<CircuitStore, 'logParked'>, endpointId: string, entry: ParkEntry, now: number): Promise<void> {
    let group = this.open.get(endpointId);
    if (group === undefined) {
      const entries: ParkEntry[] = [];
      // Written once the records running now have all asked (a microtask runs after the current turn).
      const written = Promise.resolve().then(() => {
        this.open.delete(endpointId);
        return circuits.logParked(endpointId, entries, now);
      });
      group = { entries, written };
      this.open.set(endpointId, group);
    }
    group.entries.push(entry);
    return group.written;
  }
}

/**
 * The parks of one batch, logged once per endpoint and reason after the batch ran (`delivery parked` once per delivery
 * was a third of an outage's log bytes). The deliveries' own records say which are parked, and why.
 */
export class BatchParkTally {
  private readonly counts = new Map<string, { readonly endpointId: string; readonly reason: string; parked: number; again: number }>();

  /** A delivery of `endpointId` parked now (`again`: it was parked already and got a new log entry). */
  note(endpointId: string, reason: string, again: boolean): void {
    const key = `${endpointId}\n${reason}`;
    let count = this.counts.get(key);
    if (count === undefined) {
      count = { endpointId, reason, parked: 0, again: 0 };
      this.counts.set(key, count);
    }
    if (again) count.again += 1;
    else count.parked += 1;
  }

  /** One `deliveries parked` line per endpoint and reason; nothing when the batch parked nothing. */
  log(deps: Pick<DeliverDeps, 'log'>): void {
    for (const { endpointId, reason, parked, again } of this.counts.values()) {
      deps.log.info('deliveries parked', { endpointId, parked, ...(again > 0 ? { parkedAgain: again } : {}), reason });
    }
    this.counts.clear();
  }
}

/** The log entry of a delivery parked now: in its round's order, or, parked after an attempt, at the back. */
export function parkEntry(delivery: Pick<Delivery, 'id' | 'attemptCount' | 'roundStartedAt'>, afterAttempt?: { readonly attemptCount: number; readonly now: number }): ParkEntry {
  return afterAttempt === undefined
    ? { deliveryId: delivery.id, attemptCount: delivery.attemptCount, position: delivery.roundStartedAt }
    : { deliveryId: delivery.id, attemptCount: afterAttempt.attemptCount, position: afterAttempt.now };
}

/** Whether an entry can leave the log without a message: its delivery is final, gone, or made a later attempt. */
export function settled(entry: ParkEntry, delivery: Pick<Delivery, 'status' | 'attemptCount'> | undefined, stored: boolean): boolean {
  if (delivery === undefined) return true;
  if (!stored) return false;
  return isFinal(delivery.status) || delivery.attemptCount > entry.attemptCount;
}

/** Whether an entry names a delivery that is parked now with the entry's attempt count. */
export function parkedAsLogged(entry: ParkEntry, delivery: Pick<Delivery, 'status' | 'attemptCount'> | undefined, stored: boolean): boolean {
  return delivery !== undefined && stored && delivery.status === 'parked' && delivery.attemptCount === entry.attemptCount;
}

/** The entries of log items in the log's order (by position within an item), each with its item. */
export function entriesOf(items: readonly ParkLogItem[]): { readonly item: ParkLogItem; readonly entry: ParkEntry }[] {
  return items.flatMap((item) => [...item.entries].sort((a, b) => a.position - b.position).map((entry) => ({ item, entry })));
}

/**
 * Removes the given entries from their items (deleting an item left empty). A rewrite that finds its item changed
 * meanwhile is skipped: the entries stay, which is always safe, and the next reader removes them.
 */
export async function dropEntries(deps: DeliverDeps, circuits: Pick<CircuitStore, 'rewriteParkLog'>, drop: readonly { item: ParkLogItem; entry: ParkEntry }[]): Promise<void> {
  const byItem = new Map<ParkLogItem, Set<ParkEntry>>();
  for (const { item, entry } of drop) {
    const set = byItem.get(item) ?? new Set<ParkEntry>();
    set.add(entry);
    byItem.set(item, set);
  }
  for (const [item, gone] of byItem) {
    try {
      const saved = await circuits.rewriteParkLog(
        item,
        item.entries.filter((e) => !gone.has(e)),
      );
      if (saved === 'conflict') deps.log.info('park log item changed meanwhile; its entries stay for the next reader', { endpointId: item.endpointId });
    } catch (error) {
      deps.log.warn('park log item could not be rewritten; its entries stay for the next reader', { endpointId: item.endpointId, error: errorText(error) });
    }
  }
}
