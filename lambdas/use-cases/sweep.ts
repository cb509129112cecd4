/**
 * The sweep: the safety net that makes "accepted means delivered or dead-lettered" hold across crashes.
 */
import { DELIVERY_SHARDS } from '../../lib/spec';
import { isFinal, type Delivery } from '../core/model';
import type { EventStore } from '../ports/event-store';
import type { Clock, DeliveryQueue, QueuedDelivery } from '../ports';

export interface SweepDeps {
  readonly events: EventStore;
  readonly queue: DeliveryQueue;
  readonly clock: Clock;
  /** A delivery is swept once its next attempt is overdue by more than this (HERALD_SWEEP_GRACE_SECONDS). */
  readonly graceSeconds: number;
  /**
   * Also take deliveries due up to this many seconds from now, enqueued with an SQS message timer for the time
   * left. For recovering a queue that lost its messages (local mode's in-memory fauxqs after a restart), where the
   * short retries waiting as SQS timers are gone too. At most 900 (the SQS timer limit). @default 0
   */
  readonly lookaheadSeconds?: number;
  /** Upper bound of deliveries re-enqueued per run, so one run fits its Lambda timeout; the rest wait for the next run. @default 2000 */
  readonly maxPerRun?: number;
  /** Query page size. @default 100 */
  readonly pageSize?: number;
}

export interface SweepResult {
  /** Overdue deliveries found. */
  readonly found: number;
  /** Re-enqueued (their due time moved to now, a message sent). */
  readonly requeued: number;
  /** Left alone: final, leased by a worker (attempt in flight), or changed between the read and the conditional write. */
  readonly skipped: number;
  /** Due time moved but the message could not be sent; they are found again after the grace period. */
  readonly enqueueFailures: number;
  /** The run stopped at maxPerRun; more may be overdue. */
  readonly truncated: boolean;
  /** The first send failure, for the logs. */
  readonly enqueueError?: unknown;
}

/**
 * Finds every non-final delivery in a long wait (a Scheduler retry, a disabled endpoint's recheck, a manual
 * redelivery) whose next attempt was due more than the grace period ago (a schedule that did not fire, a lost
 * message) in every `WAIT#<n>` shard of the index, and enqueues it again, marked as a possible duplicate (the
 * worker takes a lease): first its due time is moved to now with a write conditional on its
 * status, attempt count and due time being unchanged and on no worker holding a lease on it (so a delivery the
 * worker is handling right now is left alone, and two overlapping runs cannot both take it), then `{deliveryId, attempt: attemptCount + 1}` is sent
 * (endpoint as message group). A duplicate message is harmless: the worker drops stale attempt numbers.
 * Moving the due time first means a delivery whose send fails is found again one grace period later.
 *
 * Idempotent and bounded: each run handles at most `maxPerRun` deliveries, oldest due first per shard.
 */
export async function sweepOverdue(deps: SweepDeps): Promise<SweepResult> {
  const maxPerRun = deps.maxPerRun ?? 2000;
  const pageSize = deps.pageSize ?? 100;
  const now = deps.clock.now();
  const lookahead = Math.min(Math.max(deps.lookaheadSeconds ?? 0, 0), 900);
  const dueBefore = now - deps.graceSeconds * 1000 + lookahead * 1000;
  let found = 0;
  let requeued = 0;
  let skipped = 0;
  let enqueueFailures = 0;
  let truncated = false;
  let firstFailure: unknown;

  for (let shard = 0; shard < DELIVERY_SHARDS; shard++) {
    let cursor: string | undefined;
    do {
      const budget = maxPerRun - found;
      if (budget <= 0) {
        truncated = true;
        break;
      }
      const page = await deps.events.listWaiting(shard, dueBefore, Math.min(pageSize, budget), cursor);
      cursor = page.nextCursor;
      found += page.items.length;
      const messages: QueuedDelivery[] = [];
      for (const delivery of page.items) {
        if (isFinal(delivery.status) || delivery.nextAttemptAt === undefined) {
          skipped++;
          continue;
        }
        const dueAt = Math.max(now, delivery.nextAttemptAt);
        const next: Delivery = { ...delivery, nextAttemptAt: dueAt };
        if (await deps.events.transition(delivery, next, { notLeasedAt: now })) {
          const delaySeconds = Math.ceil((dueAt - now) / 1000);
          messages.push({
            message: { deliveryId: delivery.id, attempt: delivery.attemptCount + 1, redelivery: true },
            groupId: delivery.endpointId,
            ...(delaySeconds > 0 ? { delaySeconds } : {}),
          });
        } else {
          skipped++;
        }
      }
      if (messages.length === 0) continue;
      try {
        await deps.queue.send(messages);
        requeued += messages.length;
      } catch (error) {
        enqueueFailures += messages.length;
        firstFailure ??= error;
      }
    } while (cursor !== undefined);
    if (truncated) break;
  }
  return { found, requeued, skipped, enqueueFailures, truncated, ...(firstFailure === undefined ? {} : { enqueueError: firstFailure }) };
}
