/**
 * Local mode's recovery after a restart: its queue (fauxqs, in memory) lost every message, the first attempts
 * and the short retries waiting as SQS timers included. Nothing indexes those (in AWS the queue keeps them), so
 * the table is scanned once at startup: it is small and local.
 */
import { SQS_MAX_DELAY_SECONDS } from '../../lib/spec';
import type { Delivery } from '../core/model';
import type { Clock, DeliveryQueue, QueuedDelivery } from '../ports';

export interface RestartRecoveryDeps {
  /**
   * Every stored non-final delivery, and a pending delivery for every unskipped fan-out entry that has no item
   * (local/restart-scan.ts scans the table: for small local tables only).
   */
  readonly unfinished: () => Promise<Delivery[]>;
  readonly queue: DeliveryQueue;
  readonly clock: Clock;
  /** Retries up to this many seconds after they were decided went back to the queue as SQS timers. */
  readonly shortDelaySeconds: number;
}

export interface RestartRecoveryResult {
  /** Deliveries put back on the queue. */
  readonly requeued: number;
  /** Left to the Scheduler emulator (which persists) and the sweep: their next attempt is a long wait. */
  readonly leftWaiting: number;
}

/**
 * Re-enqueues every waiting delivery whose message lived only in the queue: each pending or retrying delivery
 * whose next attempt was not a long wait (a first attempt, a manual redelivery, a retry within
 * `shortDelaySeconds`), with the delay it has left, marked as a possible duplicate (the worker takes a lease).
 * Long waits are the Scheduler emulator's, which persisted them, and the sweep's. Parked deliveries go back too (a
 * release may have taken their park log entries and lost its messages with the queue): parked again, or attempted.
 */
export async function recoverAfterRestart(deps: RestartRecoveryDeps): Promise<RestartRecoveryResult> {
  const now = deps.clock.now();
  const short = Math.min(deps.shortDelaySeconds, SQS_MAX_DELAY_SECONDS) * 1000;
  const messages: QueuedDelivery[] = [];
  let leftWaiting = 0;
  for (const delivery of await deps.unfinished()) {
    if (delivery.status === 'parked') {
      // Its park log entry may have been taken by a release whose messages the queue lost: its message goes back,
      // and the worker parks it again (a new entry) while the circuit is open, or attempts it.
      messages.push({ message: { deliveryId: delivery.id, attempt: delivery.attemptCount + 1, redelivery: true }, groupId: delivery.endpointId });
      continue;
    }
    if (delivery.status !== 'pending' && delivery.status !== 'retrying') continue;
    const due = delivery.nextAttemptAt ?? now;
    if (due - delivery.updatedAt > short) {
      leftWaiting++;
      continue;
    }
    const delaySeconds = Math.max(0, Math.ceil((due - now) / 1000));
    messages.push({
      message: { deliveryId: delivery.id, attempt: delivery.attemptCount + 1, redelivery: true },
      groupId: delivery.endpointId,
      ...(delaySeconds > 0 ? { delaySeconds } : {}),
    });
  }
  if (messages.length > 0) await deps.queue.send(messages);
  return { requeued: messages.length, leftWaiting };
}
