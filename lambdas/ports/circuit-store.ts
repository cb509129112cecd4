/**
 * The storage of the circuit breaker: each endpoint's circuit (on its endpoint item), the endpoints that need the
 * sweep's attention (gsi3 `OPEN`), and each endpoint's parked deliveries (gsi2 `PARKED#<endpoint>#<shard>`, oldest
 * first). The DynamoDB adapter implements it; unit tests use an in-memory fake.
 */
import type { Circuit } from '../core/circuit';
import type { Endpoint } from '../core/model';

/** A parked delivery as the release and probe steps need it. */
export interface ParkedDelivery {
  readonly deliveryId: string;
  readonly attemptCount: number;
  /** Its position among the endpoint's parked deliveries (created time, then id): the release cursor. */
  readonly position: string;
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
  /** The oldest parked deliveries of an endpoint, after `after` (a position), at most `limit`. */
  parked(endpointId: string, limit: number, after?: string): Promise<ParkedDelivery[]>;
  /** How many deliveries of the endpoint are parked (an index count: may lag a moment behind). */
  countParked(endpointId: string): Promise<number>;
  /** Endpoints whose attention time has come, oldest first, at most `limit`. */
  needingAttention(now: number, limit: number): Promise<string[]>;
}
