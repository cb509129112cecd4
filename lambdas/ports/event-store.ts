/**
 * The storage port for events and deliveries, as the API use cases and the sweep need it. The DynamoDB adapter
 * (lambdas/adapters/dynamo/event-store.ts) implements it on the single table.
 */
import type { Delivery, DeliveryStatus, HeraldEvent } from '../core/model';
import type { Page, PageRequest } from './endpoint-store';

/** One delivery of an accepted event, as the 202 names it. */
export interface AcceptedDelivery {
  readonly deliveryId: string;
  readonly endpointId: string;
  /** 'pending' (queued) or 'skipped' (endpoint disabled: recorded, never queued). */
  readonly status: 'pending' | 'skipped';
}

export type PutEventResult = { readonly created: true } | { readonly created: false; readonly existing: HeraldEvent };

/**
 * A delivery as read: `stored` is false for one that has no item yet (pending, never attempted: it exists only as
 * its event's fan-out entry).
 */
export interface DeliveryRead {
  readonly delivery: Delivery;
  readonly stored: boolean;
}

export interface TransitionOptions {
  /** Epoch ms: refuse the write while the deliver worker's lease (`leaseUntil`) runs past this time. */
  readonly notLeasedAt?: number;
}

export interface EventStore {
  /**
   * Checks, without writing, that the event fits in one stored item.
   * @throws PayloadTooLargeError when it does not: a request that can never succeed is a 413, never a 503
   */
  assertStorable(event: HeraldEvent): void;
  /**
   * Creates the event unless its key is taken (the conditional put is the idempotency claim); returns the stored one
   * when it is.
   * @throws PayloadTooLargeError when the stored item would exceed DynamoDB's item size limit
   */
  createEvent(event: HeraldEvent): Promise<PutEventResult>;
  /** Removes an event whose intake failed before it was accepted (no key: the client's retry makes a new one). */
  deleteEvent(eventKey: string): Promise<void>;
  /** Stores the skipped deliveries of a new event (their endpoints were disabled); existing ones are kept. */
  createSkippedDeliveries(deliveries: readonly Delivery[]): Promise<void>;
  /** Strongly consistent read by storage key. */
  getEvent(eventKey: string): Promise<HeraldEvent | undefined>;
  /** One delivery with every attempt and full excerpts, oldest first; a fan-out entry without an item reads as pending. */
  getDelivery(id: string): Promise<DeliveryRead | undefined>;
  /** Every delivery of an event, in fan-out order (pending ones without an item included). */
  getDeliveriesOfEvent(event: HeraldEvent): Promise<Delivery[]>;
  /** One endpoint's stored deliveries, newest first, optionally of one status (strongly consistent). */
  listDeliveriesOfEndpoint(query: PageRequest & { readonly endpointId: string; readonly status?: DeliveryStatus }): Promise<Page<Delivery>>;
  /** Every stored delivery of an endpoint in one of `statuses` whose event was created at or after `since`. */
  listAllDeliveriesOfEndpoint(endpointId: string, statuses: readonly DeliveryStatus[], since?: number): Promise<Delivery[]>;
  /** Dead letters across endpoints, newest death first. */
  listDeadDeliveries(query: PageRequest): Promise<Page<Delivery>>;
  /**
   * How many deliveries are dead, counted over the dead-letter index (eventually consistent: a death or a
   * redelivery of the last moments may be missing), stopping once `atMost` are counted.
   */
  countDeadDeliveries(atMost: number): Promise<number>;
  /**
   * Non-final deliveries of one `WAIT#` shard (a Scheduler retry or a recheck) due before `dueBefore`, oldest first,
   * read strongly consistent after the index gave their keys. `cursor` continues an earlier page of the shard.
   */
  listWaiting(shard: number, dueBefore: number, limit: number, cursor?: string): Promise<Page<Delivery>>;
  /**
   * Writes `next` over the stored `current` if it still has `current`'s status, attempt count and next attempt time
   * (optimistic concurrency against the worker), with index keys and TTL for `next`. With `notLeasedAt`, also only
   * if no attempt is in flight. Returns false when the delivery changed, is leased, or is gone.
   */
  transition(current: Delivery, next: Delivery, options?: TransitionOptions): Promise<boolean>;
  /** Keeps an event at least until `until` (epoch ms) plus retention: a redelivered delivery needs its event. */
  extendEvent(eventKey: string, until: number): Promise<void>;
}
