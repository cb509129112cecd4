/**
 * A typed client of the Herald HTTP API.
 *
 * Every call goes through one table of operations, the same one the server routes with and the OpenAPI
 * document is rendered from (lambdas/api/schemas/operations.ts); test/unit/client checks each method against
 * the checked-in openapi.json. Body types are inferred from the same schemas (lambdas/api/schemas/types.ts).
 *
 * Retries: a 503 means Herald stored nothing half-way and asks for a retry, so the client retries it (after
 * Retry-After when the answer has one, else 0.5 s, 1 s, 2 s, ...). A publish always carries an Idempotency-Key
 * (the caller's, or a random one made once per call) and every retry repeats the same key, so a publish whose
 * first answer was lost is never accepted twice. Network errors are retried the same way for reads and
 * publishes, which are safe to repeat; never for other writes.
 */
import { randomUUID } from 'node:crypto';
import { OPERATIONS, type Operation } from '../lambdas/api/schemas/operations';
import type {
  AcceptedBatchBody,
  AcceptedEventBody,
  ApiKeyBody,
  ContactsInputBody,
  DeletedTenantContactsBody,
  DeletedEndpointBody,
  DeliveryBody,
  EndpointBody,
  EndpointStatsBody,
  ErrorBody,
  EventBody,
  EventTypeBody,
  OverviewBody,
  Page,
  PortalSessionBody,
  PortalSessionRequestBody,
  PublishBatchRequestBody,
  PublishRequestBody,
  RecoverResultBody,
  RetryPolicyInputBody,
  SessionBody,
  TenantContactsBody,
} from '../lambdas/api/schemas/types';

export type * from '../lambdas/api/schemas/types';

/** A failed call: the API's status, code, message and field details (status 0 for a network error). */
export class HeraldApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly { readonly path: string; readonly message: string }[] = [],
  ) {
    super(message);
    this.name = 'HeraldApiError';
  }
}

export interface HeraldClientOptions {
  /** The API's base URL, e.g. http://localhost:3000 or the stack's ApiUrl output. */
  readonly url: string;
  readonly apiKey?: string;
  /** Retries of a 503 (or a network error where safe). @default 3 */
  readonly maxRetries?: number;
  /** Longest wait before a retry, whatever Retry-After says. @default 30000 */
  readonly maxRetryDelayMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Idempotency keys of publishes that do not bring one. @default crypto.randomUUID */
  readonly newIdempotencyKey?: () => string;
}

export interface EndpointCreate {
  url: string;
  description?: string;
  eventTypes?: string[];
  tenant?: string | null;
  retryPolicy?: RetryPolicyInputBody;
  timeoutMs?: number;
  headers?: Record<string, string>;
  disabled?: boolean;
  /** The endpoint's own contacts; on update, null removes them. */
  contacts?: ContactsInputBody | null;
  [field: string]: unknown;
}
export type EndpointUpdate = Partial<EndpointCreate>;

export interface CallOptions {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  readonly idempotencyKey?: string;
}

export interface CallResult<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** The wait a 503's Retry-After asks for, in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export class HeraldClient {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxRetries: number;
  private readonly maxRetryDelayMs: number;
  private readonly newKey: () => string;

  constructor(private readonly options: HeraldClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.maxRetries = options.maxRetries ?? 3;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.newKey = options.newIdempotencyKey ?? randomUUID;
  }

  /**
   * Calls one operation: fills the path ids, adds the query, the bearer key and the JSON body, retries a 503.
   *
   * @throws HeraldApiError on any answer outside 2xx (after the retries), or a network error (status 0)
   */
  async call<T>(operation: Operation, options: CallOptions = {}): Promise<CallResult<T>> {
    let path = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const value = options.params?.[name];
      if (value === undefined || value === '') throw new HeraldApiError(0, 'usage', `${name} is required`);
      return encodeURIComponent(value);
    });
    const query = Object.entries(options.query ?? {}).filter((entry): entry is [string, string | number] => entry[1] !== undefined);
    if (query.length > 0) path += `?${new URLSearchParams(query.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (!operation.public && this.options.apiKey !== undefined) headers.authorization = `Bearer ${this.options.apiKey}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const idempotent = operation.method === 'GET' || operation.idempotencyKey === true;
    if (operation.idempotencyKey === true) headers['idempotency-key'] = options.idempotencyKey ?? this.newKey();

    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetchFn(`${this.base}${path}`, {
          method: operation.method,
          headers,
          ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        });
      } catch (error) {
        if (idempotent && attempt < this.maxRetries) {
          await this.sleep(this.backoff(attempt));
          continue;
        }
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        throw new HeraldApiError(0, 'network_error', `could not reach ${this.base}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
      }
      if (response.status === 503 && attempt < this.maxRetries) {
        await response.arrayBuffer().catch(() => undefined);
        const wait = retryAfterMs(response.headers.get('retry-after'), Date.now()) ?? this.backoff(attempt);
        await this.sleep(Math.min(wait, this.maxRetryDelayMs));
        continue;
      }
      const text = await response.text();
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      if (response.ok) return { status: response.status, body: body as T, headers: response.headers };
      const error = (body as Partial<ErrorBody> | undefined)?.error;
      throw new HeraldApiError(
        response.status,
        error?.code ?? 'http_error',
        error?.message ?? `HTTP ${response.status}${typeof body === 'string' && body !== '' ? `: ${body.slice(0, 200)}` : ''}`,
        error?.details ?? [],
      );
    }
  }

  private backoff(attempt: number): number {
    return Math.min(500 * 2 ** attempt, this.maxRetryDelayMs);
  }

  private async body<T>(operation: Operation, options?: CallOptions): Promise<T> {
    return (await this.call<T>(operation, options)).body;
  }

  health(): Promise<{ status: 'ok' }> {
    return this.body(OPERATIONS.health);
  }
  openApiDocument(): Promise<Record<string, unknown>> {
    return this.body(OPERATIONS.openApi);
  }

  createEndpoint(input: EndpointCreate): Promise<EndpointBody> {
    return this.body(OPERATIONS.createEndpoint, { body: input });
  }
  listEndpoints(query: { tenant?: string; limit?: number; cursor?: string } = {}): Promise<Page<EndpointBody>> {
    return this.body(OPERATIONS.listEndpoints, { query });
  }
  getEndpoint(id: string): Promise<EndpointBody> {
    return this.body(OPERATIONS.getEndpoint, { params: { id } });
  }
  updateEndpoint(id: string, patch: EndpointUpdate): Promise<EndpointBody> {
    return this.body(OPERATIONS.updateEndpoint, { params: { id }, body: patch });
  }
  deleteEndpoint(id: string): Promise<DeletedEndpointBody> {
    return this.body(OPERATIONS.deleteEndpoint, { params: { id } });
  }
  rotateSecret(id: string): Promise<EndpointBody> {
    return this.body(OPERATIONS.rotateSecret, { params: { id } });
  }
  sendTestEvent(id: string, type?: string): Promise<AcceptedEventBody> {
    return this.body(OPERATIONS.testEndpoint, { params: { id }, ...(type === undefined ? {} : { body: { type } }) });
  }
  recover(id: string, since: string): Promise<RecoverResultBody> {
    return this.body(OPERATIONS.recoverEndpoint, { params: { id }, body: { since } });
  }
  endpointStats(id: string): Promise<EndpointStatsBody> {
    return this.body(OPERATIONS.endpointStats, { params: { id } });
  }
  listEndpointDeliveries(id: string, query: { status?: string; limit?: number; cursor?: string } = {}): Promise<Page<DeliveryBody>> {
    return this.body(OPERATIONS.listEndpointDeliveries, { params: { id }, query });
  }

  /** Publishes an event; retried on 503 with the same Idempotency-Key (`idempotencyKey`, or one made for this call). */
  async publish(event: PublishRequestBody, options: { idempotencyKey?: string } = {}): Promise<AcceptedEventBody & { replayed: boolean }> {
    const result = await this.call<AcceptedEventBody>(OPERATIONS.publish, {
      body: event,
      ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
    });
    return { ...result.body, replayed: result.headers.get('idempotent-replayed') === 'true' };
  }
  /**
   * Publishes 1 to 100 events in one request; retried whole on 503 with the same Idempotency-Key, which (with each
   * event's index, or its own `id`) keeps every event from being stored twice.
   */
  async publishBatch(batch: PublishBatchRequestBody, options: { idempotencyKey?: string } = {}): Promise<AcceptedBatchBody> {
    const result = await this.call<AcceptedBatchBody>(OPERATIONS.publishBatch, {
      body: batch,
      ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
    });
    return result.body;
  }
  /** Reads an event; an id the client chose is scoped by tenant, so pass the tenant it was published with. */
  getEvent(id: string, options: { tenant?: string } = {}): Promise<EventBody> {
    return this.body(OPERATIONS.getEvent, { params: { id }, ...(options.tenant === undefined ? {} : { query: { tenant: options.tenant } }) });
  }

  listDeadLetters(query: { limit?: number; cursor?: string } = {}): Promise<Page<DeliveryBody>> {
    return this.body(OPERATIONS.listDeadLetters, { query: { status: 'dead', ...query } });
  }
  getDelivery(id: string): Promise<DeliveryBody> {
    return this.body(OPERATIONS.getDelivery, { params: { id } });
  }
  retryDelivery(id: string): Promise<DeliveryBody> {
    return this.body(OPERATIONS.retryDelivery, { params: { id } });
  }

  putEventType(type: string, input: { description?: string; schema?: Record<string, unknown>; example?: unknown }): Promise<EventTypeBody> {
    return this.body(OPERATIONS.putEventType, { params: { type }, body: input });
  }
  getEventType(type: string): Promise<EventTypeBody> {
    return this.body(OPERATIONS.getEventType, { params: { type } });
  }
  deleteEventType(type: string): Promise<{ type: string; deleted: true }> {
    return this.body(OPERATIONS.deleteEventType, { params: { type } });
  }
  listEventTypes(query: { limit?: number; cursor?: string } = {}): Promise<Page<EventTypeBody>> {
    return this.body(OPERATIONS.listEventTypes, { query });
  }

  /**
   * Sets (replaces) a tenant's contacts: an e-mail address (asked by AWS to confirm) and/or a URL, which receive that
   * tenant's own notices. The answer carries the URL's signing secret when the URL is new.
   */
  putTenantContacts(tenant: string, contacts: ContactsInputBody): Promise<TenantContactsBody> {
    return this.body(OPERATIONS.putTenantContacts, { params: { tenant }, body: contacts });
  }
  getTenantContacts(tenant: string): Promise<TenantContactsBody> {
    return this.body(OPERATIONS.getTenantContacts, { params: { tenant } });
  }
  deleteTenantContacts(tenant: string): Promise<DeletedTenantContactsBody> {
    return this.body(OPERATIONS.deleteTenantContacts, { params: { tenant } });
  }

  /** Creates a scoped key: scopes are "admin", "publish", "read", "manage" or {scope, tenants}; the answer carries the key once. */
  createApiKey(input: { name?: string; scopes: (string | { scope: string; tenants?: string[] })[] }): Promise<ApiKeyBody> {
    return this.body(OPERATIONS.createApiKey, { body: input });
  }
  listApiKeys(): Promise<Page<ApiKeyBody>> {
    return this.body(OPERATIONS.listApiKeys);
  }
  revokeApiKey(id: string): Promise<{ id: string; revoked: true }> {
    return this.body(OPERATIONS.revokeApiKey, { params: { id } });
  }

  /**
   * Mints a portal session for one tenant (admin): a token with read and manage of that tenant only, and the
   * console link that opens its portal page. `ttlSeconds` 60 to 86400 (default 3600).
   */
  createPortalSession(tenant: string, input: PortalSessionRequestBody = {}): Promise<PortalSessionBody> {
    return this.body(OPERATIONS.createPortalSession, { params: { tenant }, body: input });
  }
  /** The deployment at a glance (read over every tenant): failing endpoints, dead letters, the queues, deliveries per period. */
  overview(): Promise<OverviewBody> {
    return this.body(OPERATIONS.getOverview);
  }
  /** Who this client's credential is: kind, scopes and, for a portal session, its tenant, title and expiry. */
  session(): Promise<SessionBody> {
    return this.body(OPERATIONS.getSession);
  }
}
