/**
 * In-memory ports for the delivery-overhead benchmark, so only Herald's own work is measured: the
 * store of the deliver unit tests (same conditional claim/lease/attempt-count semantics as the
 * DynamoDB adapter) with a batch read that looks up only what the batch refers to, as the DynamoDB
 * adapter's BatchGet does (the test fake copies every endpoint and event per batch, which would make
 * a 5000-delivery run quadratic), and recorders for the queue, Scheduler, dead letters and alerts.
 */
import type { Delivery, Endpoint, HeraldEvent } from '../../lambdas/core/model';
import type { LoadedBatch } from '../../lambdas/ports/delivery-store';
import { MemoryStore, Recorder } from '../../test/unit/deliver/fakes';

export { Recorder };

export class BenchDeliveryStore extends MemoryStore {
  override async load(ids: readonly string[]): Promise<LoadedBatch> {
    const deliveries = new Map<string, Delivery>();
    const endpoints = new Map<string, Endpoint>();
    const events = new Map<string, HeraldEvent>();
    for (const id of ids) {
      const delivery = this.deliveries.get(id);
      if (delivery === undefined) continue;
      deliveries.set(id, delivery);
      const endpoint = this.endpoints.get(delivery.endpointId);
      if (endpoint !== undefined) endpoints.set(endpoint.id, endpoint);
      const event = this.events.get(delivery.eventId);
      if (event !== undefined) events.set(event.id, event);
    }
    return { deliveries, endpoints, events };
  }

  /** How many deliveries are in `status`. */
  count(status: Delivery['status']): number {
    let n = 0;
    for (const d of this.deliveries.values()) if (d.status === status) n++;
    return n;
  }
}
