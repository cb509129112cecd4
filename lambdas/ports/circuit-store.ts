/**
 * The storage of the circuit breaker: each endpoint's circuit (on its endpoint item), the endpoints that need the
 * sweep's attention (gsi3 `OPEN`), and each endpoint's park log: the deliveries it parked, written once per batch
 * as one log item listing them (not one index entry per delivery), oldest position first. The DynamoDB adapter
 * implements it; unit tests use an in-memory fake.
 *
 * The log's rule (lambdas/use-cases/deliver/park-log.ts): a delivery is parked only after an entry naming it (with
 * its attempt count) is in the log, and an entry leaves the log only once a message for it was sent, or once its
 * delivery can no longer be parked with that attempt count (final, or a later attempt made). So every parked
 * delivery has an entry or a message on its way, and nothing parked is stranded.
 */
import type { Circuit } from '../core/circuit';
import type { Endpoint } from '../core/model';

/** One parked delivery as the log lists it. */
export interface ParkEntry {
  readonly deliveryId: string;
  /** Attempts it had made when it was parked: its released message is attempt `attemptCount + 1`. */
  readonly attemptCount: number;
  /**
   * Its place in the endpoint's parked order (epoch ms): its creation time, or, parked after an attempt (a failed
   * probe), the time it was parked again, so that one is not the next probe again. Expiry reads oldest first by it.
   */
  readonly position: number;
}

/** One item of an endpoint's park log, as read: what a rewrite is conditioned on. */
export interface ParkLogItem {
  readonly endpointId: string;
  /** Opaque address of the item in the store. */
  readonly ref: string;
  /** Changes with every rewrite: a rewrite holds only on the version read. */
  readonly version: number;
  /** The lowest position of its entries when it was written (the log's order). */
  readonly position: number;
  readonly entries: readonly ParkEntry[];
}

export interface CircuitSave {
  readonly endpointId: string;
  /** The circuit as loaded: the write holds only if it is still stored (a missing circuit counts as closed). */
  readonly expected: Circuit;
  readonly next: Circuit;
  /**
   * When the sweep should look at the endpoint next (its next probe, or now while parked deliveries wait to be
   * released); `null`: it needs no attention any more; undefined: leave it as it is.
   */
  readonly attentionAt?: number | null;
}

export interface CircuitStore {
  /** The endpoint (strongly consistent), undefined when it does not exist. */
  endpoint(endpointId: string): Promise<Endpoint | undefined>;
  /** Saves a circuit if the stored one is still `expected`: `conflict` when another worker changed it (or the endpoint is gone). */
  save(save: CircuitSave): Promise<'saved' | 'conflict'>;
  /** Adds one log item listing these parked deliveries of the endpoint (one write for a batch's parks). */
  logParked(endpointId: string, entries: readonly ParkEntry[], now: number): Promise<void>;
  /**
   * The endpoint's oldest log items (by position), whole, until they hold at least `entries` entries or the log
   * ends; with `before`, only items whose position is earlier.
   */
  parkLog(endpointId: string, entries: number, before?: number): Promise<ParkLogItem[]>;
  /**
   * Replaces a log item's entries with `remaining` (deletes it when none remain), if its version is still the one
   * read: `conflict` when someone rewrote or deleted it meanwhile.
   */
  rewriteParkLog(item: ParkLogItem, remaining: readonly ParkEntry[]): Promise<'saved' | 'conflict'>;
  /** How many entries the endpoint's park log holds: its parked deliveries (a delivery probed or parked twice may count twice for a while). */
  countParked(endpointId: string): Promise<number>;
  /** Endpoints whose attention time has come, oldest first, at most `limit`. */
  needingAttention(now: number, limit: number): Promise<string[]>;
}
