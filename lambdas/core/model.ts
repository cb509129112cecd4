/**
 * Herald's domain model: the shapes every layer agrees on.
 *
 * Pure types only (no I/O). Times are epoch milliseconds (`number`) inside the domain; the HTTP API
 * and the DynamoDB items render them as ISO-8601 strings.
 */
import type { Circuit, CircuitBreakerInput } from './circuit';
import type { StoredContacts } from './contacts';
import { deliveryId } from './ids';

/** How one delivery attempt ended. Exactly one kind per attempt; transport failures are data, not exceptions. */
export type Outcome =
  | {
      readonly kind: 'http';
      readonly status: number;
      /** Raw `Retry-After` header value, when the response had one. */
      readonly retryAfter?: string;
    }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'connect_refused' }
  | { readonly kind: 'connect_reset' }
  | { readonly kind: 'dns' }
  | { readonly kind: 'tls' }
  | { readonly kind: 'invalid_response' }
  /** The target resolved to an address the deployment's target rules forbid (SSRF guard at connect time). */
  | { readonly kind: 'blocked' };

export type OutcomeKind = Outcome['kind'];

export const OUTCOME_KINDS: readonly OutcomeKind[] = [
  'http',
  'timeout',
  'connect_refused',
  'connect_reset',
  'dns',
  'tls',
  'invalid_response',
  'blocked',
];

/**
 * What a policy does with one class of failed outcome.
 * - `retry`: try again on the schedule (the breaker counts it as a failure);
 * - `permanent`: dead-lettered at once, the same request would fail the same way;
 * - `cancel`: final, not dead-lettered (the receiver asked to stop, as with 410 Gone);
 * - `cancel_and_disable`: `cancel`, and the endpoint is disabled;
 * - `stop`: final at once, dead-lettered with the reason "no response: ...": for outcomes without an HTTP
 *   response, where a system such as Cryptr assumes the endpoint does not exist and sends nothing more.
 */
export type Verdict = 'retry' | 'permanent' | 'cancel' | 'cancel_and_disable' | 'stop';

export const VERDICTS: readonly Verdict[] = ['retry', 'permanent', 'cancel', 'cancel_and_disable', 'stop'];

/** The verdicts that only make sense when there was no HTTP response. */
export const NO_RESPONSE_VERDICTS: ReadonlySet<Verdict> = new Set(['stop']);

/**
 * Outcome classes a policy gives a verdict for. `connect` is a refused or reset connection; `redirect` is any
 * 3xx (not followed); `serverError` any 5xx; `clientError` any 4xx (and a final 1xx) without its own entry in
 * `statuses`.
 */
export type OutcomeClass =
  | 'timeout'
  | 'connect'
  | 'dns'
  | 'tls'
  | 'invalidResponse'
  | 'blocked'
  | 'redirect'
  | 'serverError'
  | 'clientError';

export const OUTCOME_CLASSES: readonly OutcomeClass[] = [
  'timeout',
  'connect',
  'dns',
  'tls',
  'invalidResponse',
  'blocked',
  'redirect',
  'serverError',
  'clientError',
];

/** The classes that have no HTTP response. */
export const NO_RESPONSE_CLASSES: ReadonlySet<OutcomeClass> = new Set(['timeout', 'connect', 'dns', 'tls', 'invalidResponse', 'blocked']);

/** A complete classification table: a verdict for every outcome class, and per-status overrides ("410"). */
export type Classification = { readonly [K in OutcomeClass]: Verdict } & {
  readonly statuses: Readonly<Record<string, Verdict>>;
};

/** The user-facing, partial form of a classification table. */
export type ClassificationInput = { readonly [K in OutcomeClass]?: Verdict } & {
  readonly statuses?: Readonly<Record<string, Verdict>>;
};

/** What the classifier makes of one outcome under a policy: delivered, or the verdict of its class. */
export type Classified = 'delivered' | Verdict;

export type Jitter = 'full' | 'equal' | 'none';
/** Input sugar for `classification.statuses["410"]`. */
export type On410 = 'cancel' | 'cancel_and_disable' | 'permanent' | 'retry';

/**
 * A complete retry policy: every field resolved (presets and defaults already merged). The input's sugar
 * (`retryClientErrors`, `on410`) is folded into `classification`, which is the one source of truth.
 */
export interface RetryPolicy {
  /** Fixed delays in seconds between attempts; when present it replaces `backoff` and sets maxAttempts = delays.length + 1. */
  readonly delays?: readonly number[];
  readonly backoff: {
    readonly baseSeconds: number;
    readonly maxDelaySeconds: number;
    readonly jitter: Jitter;
  };
  /** Counts every attempt, the first included. */
  readonly maxAttempts: number;
  /** No retry is scheduled later than this many seconds after the event was accepted (or the manual redelivery started). */
  readonly maxAgeSeconds: number;
  readonly retryAfter: {
    readonly statuses: readonly number[];
    readonly minSeconds: number;
    readonly maxSeconds: number;
  };
  /** The verdict for every outcome class. */
  readonly classification: Classification;
  /** Whether an endpoint failing for the deployment's `disableAfterDays` with no success is disabled. */
  readonly autoDisable: boolean;
}

/** The user-facing, partial form of a policy (as sent in `retryPolicy` on an endpoint or in config). */
export interface RetryPolicyInput {
  readonly preset?: string;
  /** Durations: `"90s"`, `"5m"`, `"1h"`, `"1d"` or a number of seconds. */
  readonly delays?: readonly (string | number)[];
  readonly backoff?: Partial<RetryPolicy['backoff']>;
  readonly maxAttempts?: number;
  readonly maxAgeSeconds?: number;
  /** Sugar: `true` sets `classification.clientError` to `retry`, `false` to `permanent`. */
  readonly retryClientErrors?: boolean;
  readonly retryAfter?: Partial<RetryPolicy['retryAfter']>;
  /** Sugar: sets `classification.statuses["410"]`. */
  readonly on410?: On410;
  readonly classification?: ClassificationInput;
  readonly autoDisable?: boolean;
}

/** The retry decision after an attempt. */
export type Decision =
  | { readonly kind: 'delivered' }
  | {
      readonly kind: 'retry';
      /** Absolute time (epoch ms) of the next attempt. */
      readonly at: number;
      /** Why this time: backoff, fixed delay list, or the receiver's Retry-After. */
      readonly basis: 'backoff' | 'delays' | 'retry_after';
    }
  | {
      readonly kind: 'dead';
      /** `no_response`: the policy stops at once when the receiver did not answer (verdict `stop`). */
      readonly reason: 'permanent' | 'exhausted' | 'expired' | 'no_response';
      /** Human-readable detail, e.g. "HTTP 400 is not retried" or "8 of 8 attempts made". */
      readonly detail: string;
    }
  | { readonly kind: 'canceled'; readonly disableEndpoint: boolean; readonly detail: string };

/**
 * Delivery status.
 * - pending: waiting for its first attempt (or a manual redelivery).
 * - retrying: at least one failed attempt, the next one is scheduled.
 * - parked: waiting, without attempts, for its endpoint's circuit to close (issue 11).
 * - delivered, dead, canceled: final.
 * - skipped: final; the endpoint was disabled when the event was published, so nothing was queued.
 */
export type DeliveryStatus = 'pending' | 'retrying' | 'parked' | 'delivered' | 'dead' | 'canceled' | 'skipped';

export const FINAL_STATUSES: ReadonlySet<DeliveryStatus> = new Set(['delivered', 'dead', 'canceled', 'skipped']);

export function isFinal(status: DeliveryStatus): boolean {
  return FINAL_STATUSES.has(status);
}

export interface SigningSecret {
  /** `whsec_` + base64 of the key bytes. */
  readonly secret: string;
  readonly createdAt: number;
  /** Set on a rotated-out secret: it keeps signing until then (24 h after rotation). */
  readonly expiresAt?: number;
}

export interface EndpointHealth {
  readonly consecutiveFailures: number;
  /** Start of the current failing streak (no success since). */
  readonly failingSince?: number;
  readonly lastSuccessAt?: number;
  readonly lastFailureAt?: number;
}

/**
 * The body an endpoint receives:
 * - `standard`: Herald's envelope `{id, type, timestamp, tenant?, data}`;
 * - `cryptr`: Cryptr's event object `{__domain__, __environment__, __type__: "Event", code, data, errors, params,
 *   issued_at, webhook_id}`, for receivers written against Cryptr;
 * - `data`: the event's data alone.
 */
export type PayloadFormat = 'standard' | 'cryptr' | 'data';

export const PAYLOAD_FORMATS: readonly PayloadFormat[] = ['standard', 'cryptr', 'data'];

export interface Endpoint {
  readonly id: string; // ep_...
  readonly url: string;
  readonly description: string;
  /** `["*"]`, exact types, or `prefix.*` wildcards. */
  readonly eventTypes: readonly string[];
  /** Empty string = no tenant. An event fans out only to endpoints of its own tenant. */
  readonly tenant: string;
  readonly retryPolicy: RetryPolicyInput;
  readonly timeoutMs: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly disabled: boolean;
  readonly disabledReason?: string;
  /** Absent on endpoints stored before formats existed: `standard`. */
  readonly payloadFormat?: PayloadFormat;
  /** Newest first. Expired entries are ignored when signing. */
  readonly secrets: readonly SigningSecret[];
  readonly health: EndpointHealth;
  /** The endpoint's own circuit breaker settings over the deployment's; `false`: no breaker. */
  readonly circuitBreaker?: CircuitBreakerInput;
  /** At most this many requests per second (plus 10 % over any 10 s), when set. */
  readonly rateLimitPerSecond?: number;
  /** The breaker's state, written by the worker (absent: closed, no failures). */
  readonly circuit?: Circuit;
  /**
   * Set while the receiver is degraded (p95 response time over 80 % of the timeout, or too many non-2xx answers in
   * the last hour; core/receiver-health.ts): written only when the state changes, so its warning is sent once.
   */
  readonly degraded?: { readonly since: number; readonly reason: string };
  /** Who hears about this endpoint's own troubles (core/contacts.ts), beside its tenant's contacts. */
  readonly contacts?: StoredContacts;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** One endpoint an event fans out to, decided once at intake from a strongly consistent subscription read. */
export interface FanOutEntry {
  readonly endpointId: string;
  /** True when the endpoint was disabled at publish time: recorded as a skipped delivery, never queued. */
  readonly skipped?: true;
}

export interface HeraldEvent {
  /** `evt_<ULID>`, `evt_<key>` for an Idempotency-Key, or the client's own id. */
  readonly id: string;
  /**
   * The storage key (26 Crockford base32 characters): the ULID of a generated id, else a digest of the tenant and
   * the Idempotency-Key or client id (use-cases/api/event-key.ts). Delivery ids start with it.
   */
  readonly key: string;
  readonly type: string;
  readonly tenant: string;
  readonly data: unknown;
  /** Optional JSON object sent as `params` by the formats that carry it (`cryptr`). */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Optional JSON list sent as `errors` by the formats that carry it (`cryptr`). */
  readonly errors?: readonly unknown[];
  readonly createdAt: number;
  readonly idempotencyKey?: string;
  /** Digest of what the client asked for: the same key with another request is a conflict. */
  readonly fingerprint: string;
  /** The endpoints it goes to, oldest endpoint first. */
  readonly fanOut: readonly FanOutEntry[];
}

export interface Delivery {
  readonly id: string; // dlv_...
  readonly eventId: string;
  readonly endpointId: string;
  readonly tenant: string;
  readonly eventType: string;
  readonly status: DeliveryStatus;
  /** Attempts made so far, over the delivery's whole life (manual redeliveries included). */
  readonly attemptCount: number;
  /**
   * A manual redelivery (retry route, recover) starts a new round: the retry policy's attempt count
   * and maximum age are measured from the round's start, so an old dead delivery gets a full schedule.
   */
  readonly roundStartedAt: number;
  readonly roundFirstAttempt: number;
  /** When the next attempt is due; absent on final deliveries. The sweep re-enqueues overdue ones. */
  readonly nextAttemptAt?: number;
  readonly lastOutcome?: Outcome;
  readonly finalReason?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Every attempt, oldest first, as stored with the delivery (excerpts as stored inline; see the store). */
  readonly attempts?: readonly Attempt[];
}

/**
 * A delivery before its first attempt: no attempt made, its first round starting when the event was accepted
 * (the policy's maximum age counts from there). A pending one has no stored item until its first attempt; a
 * skipped one (its endpoint was disabled) is final at once with `skippedReason`.
 */
export function newDelivery(input: {
  readonly id: string;
  readonly event: Pick<HeraldEvent, 'id' | 'tenant' | 'type' | 'createdAt'>;
  readonly endpointId: string;
  readonly now: number;
  /** Set for a delivery recorded as skipped; absent for a pending one. */
  readonly skippedReason?: string;
}): Delivery {
  const { id, event, endpointId, now, skippedReason } = input;
  return {
    id,
    eventId: event.id,
    endpointId,
    tenant: event.tenant,
    eventType: event.type,
    status: skippedReason === undefined ? 'pending' : 'skipped',
    attemptCount: 0,
    roundStartedAt: event.createdAt,
    roundFirstAttempt: 1,
    ...(skippedReason === undefined ? {} : { finalReason: skippedReason }),
    createdAt: event.createdAt,
    updatedAt: now,
  };
}

/** Why a delivery to a disabled endpoint was recorded but never queued. */
export const SKIPPED_REASON = 'endpoint disabled when the event was published';

/**
 * The delivery of an event to one fan-out entry's endpoint before it has a stored item (it gets one at its first
 * attempt): pending, or skipped when the endpoint was disabled at publish time.
 */
export function unattemptedDelivery(event: Pick<HeraldEvent, 'id' | 'key' | 'tenant' | 'type' | 'createdAt'>, entry: FanOutEntry): Delivery {
  return newDelivery({
    id: deliveryId(event.key, entry.endpointId),
    event,
    endpointId: entry.endpointId,
    now: event.createdAt,
    ...(entry.skipped ? { skippedReason: SKIPPED_REASON } : {}),
  });
}

export interface Attempt {
  readonly deliveryId: string;
  /** 1-based, over the delivery's whole life. */
  readonly number: number;
  readonly startedAt: number;
  readonly latencyMs: number;
  readonly outcome: Outcome;
  /** Error text for transport outcomes (never a secret). */
  readonly error?: string;
  /** First bytes of the response body (capped, 4 KiB by default). */
  readonly responseExcerpt?: string;
  readonly next: Decision;
}

/** The body of every message on the delivery queue (and of every Scheduler target input). */
export interface DeliveryMessage {
  readonly deliveryId: string;
  /** The attempt number this message asks for (attemptCount + 1 when it was sent). Stale numbers are dropped. */
  readonly attempt: number;
  /**
   * Set on a message that may duplicate another (sent by the sweep, a manual retry, recover, a replayed publish or
   * a resumed retry): the worker takes a lease before it POSTs. A fresh intake or retry message goes straight on.
   */
  readonly redelivery?: true;
  /**
   * The event itself, carried by a small keyed event's first-attempt intake message (use-cases/api/accept-event.ts),
   * its fan-out reduced to this message's endpoint: the worker then has no event to read. An event never changes
   * after its put, and a keyed one is never deleted when its intake fails (the client's retry under the same key
   * finds it), so the copy is the stored event. Absent, the worker reads the event.
   */
  readonly event?: HeraldEvent;
}
