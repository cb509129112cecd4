/**
 * In-memory ports for the delivery-overhead benchmark, so only Herald's own work is measured: the
 * store of the deliver unit tests (same conditional claim/lease/attempt-count semantics as the
 * DynamoDB adapter, a batch read of only what the batch refers to), and recorders for the queue,
 * Scheduler, dead letters and alerts.
 */
import type { Delivery } from '../../lambdas/core/model';
import { MemoryStore, Recorder } from '../../test/unit/deliver/fakes';

export { Recorder };

export class BenchDeliveryStore extends MemoryStore {
  /** How many deliveries are in `status`. */
  count(status: Delivery['status']): number {
    let n = 0;
    for (const d of this.deliveries.values()) if (d.status === status) n++;
    return n;
  }
}
