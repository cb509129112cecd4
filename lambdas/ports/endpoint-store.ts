/**
 * The storage port for endpoints, as the API use cases need it. The DynamoDB adapter
 * (lambdas/adapters/dynamo/endpoint-store.ts) implements it on the single table.
 */
import type { CircuitBreakerInput } from '../core/circuit';
import type { StoredContacts } from '../core/contacts';
import type { Endpoint, EndpointHealth, PayloadFormat, RetryPolicyInput, SigningSecret } from '../core/model';

/** What fan-out needs to know of one endpoint. */
export interface Subscription {
  readonly endpointId: string;
  readonly eventTypes: readonly string[];
  readonly disabled: boolean;
  readonly createdAt: number;
}

/** One page of a list. `nextCursor` is opaque to callers and absent on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor?: string;
}

export interface PageRequest {
  /** 1..100. */
  readonly limit: number;
  /** A `nextCursor` from an earlier page of the same list; a malformed or foreign one is a ValidationError. */
  readonly cursor?: string;
}

/**
 * A partial change of an endpoint (PATCH). Only the fields present are written, so the worker's concurrent
 * health updates are never overwritten by an API edit. `disabledReason: null` removes the reason. The tenant is not
 * among them: it is fixed at creation.
 */
export interface EndpointChanges {
  readonly url?: string;
  readonly description?: string;
  readonly eventTypes?: readonly string[];
  readonly retryPolicy?: RetryPolicyInput;
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly disabled?: boolean;
  readonly disabledReason?: string | null;
  readonly payloadFormat?: PayloadFormat;
  readonly health?: EndpointHealth;
  /** The endpoint's own breaker settings; `null` removes them (the deployment's apply). */
  readonly circuitBreaker?: CircuitBreakerInput | null;
  /** `null` removes the limit. */
  readonly rateLimitPerSecond?: number | null;
  /** The endpoint's contacts as stored (subscription, sealed secret); `null` removes them. */
  readonly contacts?: StoredContacts | null;
  readonly updatedAt: number;
}

export interface EndpointStore {
  /** Stores a new endpoint; its id must not exist yet. */
  create(endpoint: Endpoint): Promise<void>;
  /** Strongly consistent read. */
  get(id: string): Promise<Endpoint | undefined>;
  /** Newest first. With `tenant` ('' = endpoints without a tenant) only that tenant's endpoints, else all. */
  list(query: PageRequest & { readonly tenant?: string }): Promise<Page<Endpoint>>;
  /**
   * The fan-out set of a tenant: every endpoint's subscription (event types, disabled, created), oldest first, read
   * from copy `copy` of the tenant's subscription list with a strongly consistent Query (never an index, which
   * lags). Every copy is written before an endpoint change is answered, so any copy is up to date.
   */
  subscriptionsOf(tenant: string, copy: number): Promise<Subscription[]>;
  /** Applies `changes` to an existing endpoint and returns the result; undefined when it does not exist. */
  update(id: string, changes: EndpointChanges): Promise<Endpoint | undefined>;
  /**
   * Replaces the signing secrets if the newest stored secret is still `expectedNewest` (optimistic
   * concurrency: two concurrent rotations cannot both believe their secret was stored).
   */
  replaceSecrets(
    id: string,
    expectedNewest: string | undefined,
    secrets: readonly SigningSecret[],
    updatedAt: number,
  ): Promise<'replaced' | 'conflict' | 'missing'>;
  /** Stops fan-out to the endpoint (removes its subscription copies), then deletes it. A missing one counts as deleted. */
  delete(id: string): Promise<void>;
}
