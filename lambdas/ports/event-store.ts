/**
 * The storage port for events, idempotency records and deliveries, as the API use cases and the sweep
 * need it. The DynamoDB adapter (lambdas/adapters/dynamo/event-store.ts) implements it on the single table.
 */
import type { Attempt, Delivery, DeliveryStatus, HeraldEvent } from '../core/model';
import type { Page, PageRequest } from './endpoint-store';

/** One planned delivery of an event: decided once, at the first attempt to accept it. */
export interface FanOutEntry {
  readonly deliveryId: string;
  readonly endpointId: string;
  /** 'pending' (queued) or 'skipped' (endpoint disabled: recorded, never queued). */
  readonly status: 'pending' | 'skipped';
}

/**
 * What an `Idempotency-Key` reserves. Written before anything else of a publish; it carries the fan-out plan,
 * so a request resumed after a crash or a 503 writes exactly the same event and deliveries as the first one.
 */
export interface IdempotencyRecord {
  readonly key: string;
  /** 'pending' until the event is stored and every delivery queued; 'complete' after the 202. */
  readonly state: 'pending' | 'complete';
  /** sha256 (hex) of the canonical request: the same key with another body is a conflict. */
  readonly bodyHash: string;
  readonly eventId: string;
  readonly createdAt: number;
  readonly fanOut: readonly FanOutEntry[];
}

export type ClaimResult = { readonly claimed: true } | { readonly claimed: false; readonly existing: IdempotencyRecord };

export type PutEventResult = { readonly created: true } | { readonly created: false; readonly existing: HeraldEvent };

export interface TransitionOptions {
  /** Epoch ms: refuse the write while the deliver worker's lease (`leaseUntil`) runs past this time. */
  readonly notLeasedAt?: number;
}

export interface EventStore {
  /** Conditionally creates the idempotency record; when the key is taken, returns the stored record (strongly consistent). */
  claimIdempotency(record: IdempotencyRecord): Promise<ClaimResult>;
  /** Marks a claimed key complete: later requests with it get the stored answer. */
  completeIdempotency(key: string): Promise<void>;
  /** Creates each delivery unless one with its id exists already (then the stored one is kept). */
  createDeliveries(deliveries: readonly Delivery[]): Promise<void>;
  /** Creates the event unless it exists; returns the stored one when it does. */
  createEvent(event: HeraldEvent): Promise<PutEventResult>;
  /** Strongly consistent read. */
  getEvent(id: string): Promise<HeraldEvent | undefined>;
  /** Strongly consistent read. */
  getDelivery(id: string): Promise<Delivery | undefined>;
  /** Reads many deliveries (any order in, the same order out; missing ones left out). */
  getDeliveries(ids: readonly string[]): Promise<Delivery[]>;
  /** A delivery with every attempt, oldest first (one Query on the delivery's partition). */
  getDeliveryWithAttempts(id: string): Promise<{ delivery: Delivery; attempts: Attempt[] } | undefined>;
  /** One endpoint's deliveries, newest first, optionally of one status. */
  listDeliveriesOfEndpoint(query: PageRequest & { readonly endpointId: string; readonly status?: DeliveryStatus }): Promise<Page<Delivery>>;
  /** Every delivery of an endpoint in `status` created at or after `since` (all pages). */
  listAllDeliveriesOfEndpoint(endpointId: string, status: DeliveryStatus, since?: number): Promise<Delivery[]>;
  /** Dead letters across endpoints, newest first. */
  listDeadDeliveries(query: PageRequest): Promise<Page<Delivery>>;
  /**
   * Non-final deliveries of one work-index shard whose next attempt was due before `dueBefore`, oldest first.
   * `cursor` continues an earlier page of the same shard.
   */
  listDue(shard: number, dueBefore: number, limit: number, cursor?: string): Promise<Page<Delivery>>;
  /**
   * Writes `next` over `current` if the stored delivery still has `current`'s status, attempt count and next
   * attempt time (optimistic concurrency against the worker). Keeps the index attributes consistent with
   * `next`. With `notLeasedAt`, also only if no worker holds a lease on it at that time (an attempt is not in
   * flight). Returns false when the delivery changed, is leased, or is gone.
   */
  transition(current: Delivery, next: Delivery, options?: TransitionOptions): Promise<boolean>;
}
