/**
 * The storage the deliver worker needs: batched reads of what a batch of messages refers to, the
 * claim that makes one copy of a possibly duplicated message the only one allowed to POST, the
 * commit of an attempt, endpoint health and the per-endpoint alert windows. The DynamoDB adapter
 * implements it; unit tests use an in-memory fake.
 */
import type { Attempt, Delivery, DeliveryStatus, Endpoint, HeraldEvent } from '../core/model';

/** What one message's delivery refers to, as loaded for its batch. */
export interface LoadedDelivery {
  /**
   * The delivery: its item when it has one and it was read, else as its event's fan-out entry describes it
   * (pending, or skipped). Absent when the id names no delivery (no such event, or not one of its endpoints).
   */
  readonly delivery?: Delivery;
  /** Whether `delivery` is a stored item. */
  readonly stored: boolean;
  readonly event?: HeraldEvent;
  readonly endpoint?: Endpoint;
}

/** What one batch of delivery messages refers to, by delivery id. */
export type LoadedBatch = ReadonlyMap<string, LoadedDelivery>;

export interface LoadRequest {
  readonly deliveryId: string;
  /**
   * Whether the delivery item must be read. A fresh first-attempt message needs none: nothing can have happened to
   * its delivery yet, and its commit is a conditional put.
   */
  readonly readDelivery: boolean;
  /** The event, when the message carried it (core/inline-event.ts): it is not read. */
  readonly event?: HeraldEvent;
}

export interface ClaimRequest {
  /** The delivery as loaded (or as its fan-out entry describes it, when it has no item yet). */
  readonly delivery: Delivery;
  /** The attempt about to be made; the delivery must have made exactly `attempt - 1`. */
  readonly attempt: number;
  readonly now: number;
  /** Until when no other worker may claim this attempt (epoch ms). */
  readonly leaseUntil: number;
}

/** The delivery's state after an attempt (or after a decision made without one). */
export interface DeliveryTransition {
  /** The delivery as loaded; its id, endpoint and creation time place it in the table. */
  readonly delivery: Delivery;
  /** Whether it has an item (false: a pending delivery seen only in its event's fan-out). */
  readonly stored: boolean;
  readonly status: DeliveryStatus;
  readonly nextAttemptAt?: number;
  readonly finalReason?: string;
  /** The next attempt waits in the Scheduler or for a recheck: indexed for the sweep. */
  readonly longWait: boolean;
  readonly now: number;
}

export interface AttemptRecord extends DeliveryTransition {
  readonly attempt: Attempt;
  /** The lease the claim took, when it took one: the commit then holds only while this worker still has it. */
  readonly leaseUntil?: number;
}

/**
 * Result of a conditional write: `saved`, or `conflict` when the delivery was not in the expected
 * state (another worker moved it on, or the lease was lost). Any other failure throws.
 */
export type WriteResult = 'saved' | 'conflict';

/** One endpoint's alert window as stored: dead letters after the first are counted, not published. */
export interface AlertWindow {
  readonly endpointId: string;
  readonly endpointUrl: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  /** Dead letters in this window that were not published individually. */
  readonly suppressed: number;
  /** Up to {@link ALERT_SAMPLE_SIZE} of their delivery ids. */
  readonly sampleDeliveryIds: readonly string[];
}

/** How many delivery ids an alert window keeps as examples. */
export const ALERT_SAMPLE_SIZE = 10;

/**
 * What registering a dead letter did: `opened` a new window (the caller publishes an alert at once;
 * `previous` is the ended window it replaced when that window still had unreported dead letters, so
 * the caller reports them too), or `suppressed` it into the open window (counted for the summary).
 */
export type DeadLetterRegistration =
  | { readonly kind: 'opened'; readonly previous?: AlertWindow }
  | { readonly kind: 'suppressed' };

export interface DeliveryStore {
  /** Reads the events, endpoints and (where asked) delivery items of a batch, strongly consistent, in batches. */
  load(requests: readonly LoadRequest[]): Promise<LoadedBatch>;
  /**
   * Takes the lease for an attempt: succeeds only when the delivery is pending or retrying (or has no item yet),
   * has made exactly `attempt - 1` attempts and no other lease is running, so two copies of one message never
   * both POST.
   */
  claim(request: ClaimRequest): Promise<WriteResult>;
  /**
   * Records an attempt and the delivery's new state in one write: a conditional put for a first attempt without
   * an item, else an update appending the attempt, conditioned on the attempt count (and on the lease, if taken).
   * An excerpt too long to keep inline is written to its own item first.
   */
  recordAttempt(record: AttemptRecord): Promise<WriteResult>;
  /**
   * Changes a delivery's state without an attempt (endpoint deleted or disabled), provided it still has made
   * `delivery.attemptCount` attempts, is not final and is not leased (or, without an item, that none was made).
   */
  transition(transition: DeliveryTransition): Promise<WriteResult>;
  /** A 2xx from the endpoint: the failing streak ends. Missing endpoints are ignored. */
  recordEndpointSuccess(endpointId: string, now: number): Promise<void>;
  /** `count` failed attempts (one batch's): counts them and starts the failing streak if none is running. Returns the updated endpoint. */
  recordEndpointFailure(endpointId: string, now: number, count?: number): Promise<Endpoint | undefined>;
  /**
   * Disables an enabled endpoint. With `failingSince`, only while that streak is still running (no
   * success in between). Returns whether this call disabled it, so the caller alerts once.
   */
  disableEndpoint(request: { endpointId: string; reason: string; now: number; failingSince?: number }): Promise<boolean>;
  /**
   * Marks an endpoint degraded unless it already is (the receiver-health warning). Returns whether this call
   * marked it, so the warning is sent once however many workers see it at the same time.
   */
  markDegraded(request: { endpointId: string; reason: string; now: number }): Promise<boolean>;
  /** Clears the degraded mark; returns whether this call cleared it (the recovery is reported once). */
  clearDegraded(endpointId: string): Promise<boolean>;
}

/** The attempts an endpoint's receiver made recently: what its receiver-health warning is computed from. */
export interface RecentAttempts {
  /** Attempts that started at or after `since`, from the endpoint's most recently active deliveries (a bounded sample). */
  recentAttempts(endpointId: string, since: number): Promise<Attempt[]>;
}

export interface AlertWindowStore {
  /**
   * Registers one dead letter in the endpoint's alert window (opening a new window when none is open); `count`
   * registers that many at once (a bulk expiry, reported as one), `deliveryId` being the first of them.
   */
  registerDeadLetter(request: {
    endpointId: string;
    endpointUrl: string;
    deliveryId: string;
    count?: number;
    now: number;
    windowMs: number;
  }): Promise<DeadLetterRegistration>;
  /** Windows that ended before `now` and still have suppressed dead letters, oldest first. */
  endedAlertWindows(now: number, limit: number): Promise<AlertWindow[]>;
  /** Marks an ended window reported; false when someone else (a newer window, another flush) already took it. */
  closeAlertWindow(window: AlertWindow): Promise<boolean>;
}
