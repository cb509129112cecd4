/**
 * The per-endpoint rate limit in the worker (issue 11): `rateLimitPerSecond` is enforced with the generic cell rate
 * algorithm of core/rate-limit.ts, whose one number of state (the theoretical arrival time) lives on the endpoint
 * item, shared by every worker container.
 *
 * One admission per endpoint per batch: the first record of a rate-limited endpoint asks for as many sends as the
 * batch holds records for it, in one conditional write of the state (re-read and tried again when another container
 * got there first). Admitted records POST at once, so the admission and the request are a few milliseconds apart.
 * The others wait: their message goes back on the queue with a delay until their slot (one interval apart, so
 * they do not all come back at the same moment), using no attempt and writing nothing to the delivery.
 */
import { SQS_MAX_DELAY_SECONDS } from '../../../lib/spec';
import { admitSends } from '../../core/rate-limit';
import type { DeliveryMessage } from '../../core/model';
import type { RateStore } from '../../ports/rate-store';

/** Conditional-write rounds before a busy endpoint's admission gives up for this batch (its records then wait). */
const ADMISSION_ROUNDS = 4;

interface Budget {
  /** Admitted sends not yet taken. */
  left: number;
  /** When the next record that finds no budget may try again. */
  next: number;
  readonly interval: number;
}

export type RateSlot = { readonly kind: 'send' } | { readonly kind: 'wait'; readonly at: number };

/** The rate-limit admissions of one batch, per endpoint. */
export class BatchRates {
  private readonly wanted = new Map<string, number>();
  private readonly budgets = new Map<string, Promise<Budget>>();

  /** A record of the batch is for this rate-limited endpoint: counted, so one admission covers the batch's records. */
  expect(endpointId: string): void {
    this.wanted.set(endpointId, (this.wanted.get(endpointId) ?? 0) + 1);
  }

  /**
   * One send to the endpoint: from the batch's admission (made by the first call), or a time to come back at. A
   * failure to read or write the limiter state throws (the record comes back: nothing was sent).
   */
  async take(store: RateStore, endpointId: string, limitPerSecond: number, now: number): Promise<RateSlot> {
    let budget = this.budgets.get(endpointId);
    if (budget === undefined) {
      budget = admit(store, endpointId, Math.max(1, this.wanted.get(endpointId) ?? 1), limitPerSecond, now);
      this.budgets.set(endpointId, budget);
      // A failed admission is not kept: the next record of the batch tries again.
      budget.catch(() => this.budgets.delete(endpointId));
    }
    const b = await budget;
    if (b.left > 0) {
      b.left -= 1;
      return { kind: 'send' };
    }
    const at = b.next;
    b.next += b.interval;
    return { kind: 'wait', at };
  }
}

async function admit(store: RateStore, endpointId: string, wanted: number, limitPerSecond: number, now: number): Promise<Budget> {
  const interval = 1000 / limitPerSecond;
  for (let round = 0; round < ADMISSION_ROUNDS; round++) {
    const state = await store.load(endpointId);
    const admission = admitSends(state, wanted, limitPerSecond, now);
    if (admission.admitted === 0) return { left: 0, next: admission.retryAt, interval };
    if ((await store.save(endpointId, state, admission.state)) === 'saved') {
      return { left: admission.admitted, next: admission.retryAt, interval };
    }
  }
  return { left: 0, next: now + interval, interval };
}

/** The message of a record that waits for its rate slot at `at`: the same attempt, delayed (SQS timers go to 900 s). */
export function rateWaitMessage(message: DeliveryMessage, endpointId: string, at: number, now: number) {
  const delaySeconds = Math.min(SQS_MAX_DELAY_SECONDS, Math.max(1, Math.ceil((at - now) / 1000)));
  return { message, groupId: endpointId, delaySeconds };
}
