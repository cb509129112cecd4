/**
 * Request schemas of the public API. Each validator checks a parsed JSON body (or the query string) completely,
 * reports every problem at once with the path of the field, and returns a clean value holding only known
 * fields. Unknown fields are errors: a misspelt field silently ignored would leave the client with something
 * it did not ask for.
 */
import { isValidEventType, isValidEventTypePattern } from '../core/event-type';
import { type ErrorDetail, ValidationError } from '../core/errors';
import { type DeliveryStatus, type Endpoint, PAYLOAD_FORMATS, type PayloadFormat, type RetryPolicyInput } from '../core/model';
import { resolvePolicy, validatePolicyInput } from '../core/policy';
import { err, ok, type Result } from '../core/result';
import { checkTargetUrl } from '../core/target';
import { headerMap } from '../core/header-map';
import { SCOPES, type Grant, type Scope } from '../core/access';
import type { NewApiKey } from '../use-cases/api/create-api-key';
import { RETENTION_MARGIN_SECONDS } from '../../lib/spec';

/** Tenants and client-chosen event ids: 1 to 128 letters, digits and `.`, `_`, `:`, `-`. */
export const TOKEN_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const MAX_DESCRIPTION_LENGTH = 1024;
export const MAX_URL_LENGTH = 2048;
export const MAX_EVENT_TYPES = 100;
export const MAX_HEADERS = 20;
export const MAX_HEADER_NAME_LENGTH = 256;
export const MAX_HEADER_VALUE_LENGTH = 4096;
export const TIMEOUT_MS = { min: 1000, max: 30_000, default: 15_000 } as const;
export const LIST_LIMIT = { min: 1, max: 100, default: 20 } as const;
/** Printable ASCII, 1 to 255 characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

/** RFC 9110 token: what a header field name may be. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What Node's HTTP client accepts in a header value: no CR, LF or other control characters. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/**
 * Headers an endpoint may not set: the ones Herald sets itself (body framing, signature) and hop-by-hop
 * headers that would break or smuggle the request.
 */
const RESERVED_HEADERS = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
  'expect',
]);
const RESERVED_HEADER_PREFIX = 'webhook-';
/**
 * Names that are legal HTTP tokens but special to JavaScript objects: as a map key `__proto__` replaces the
 * prototype and `constructor` makes the DynamoDB marshaller reject the whole item, so every write of the endpoint
 * would fail. They are refused, and header maps are built without a prototype.
 */
const OBJECT_KEY_NAMES = new Set(['__proto__', 'constructor']);

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'retrying', 'parked', 'delivered', 'dead', 'canceled', 'skipped'];

/** What the endpoint schemas need to know about the deployment. */
export interface EndpointRules {
  readonly allowPrivateTargets: boolean;
  readonly defaultRetryPolicy: RetryPolicyInput | undefined;
  /**
   * How long the store keeps a delivery's records: a policy may not keep retrying longer than that (less
   * RETENTION_MARGIN_SECONDS), or its delivery could expire while it still waits. @default no limit
   */
  readonly retentionDays?: number;
}

/** What a client may set on an endpoint (the rest is Herald's: id, secrets, health, times). */
export type EndpointInput = Pick<
  Endpoint,
  'url' | 'description' | 'eventTypes' | 'tenant' | 'retryPolicy' | 'timeoutMs' | 'headers' | 'disabled'
> & { readonly payloadFormat: PayloadFormat };

/** What PATCH may change: everything but the tenant, which is fixed at creation (a tenant boundary never moves). */
export type EndpointPatch = Partial<Omit<EndpointInput, 'tenant'>>;

export interface PublishInput {
  readonly type: string;
  readonly data: unknown;
  /** '' = no tenant. */
  readonly tenant: string;
  /** The client's own event id (then also the idempotency key when no header is sent). */
  readonly id?: string;
  /** Sent by the payload formats that carry them (`cryptr`). */
  readonly params?: Readonly<Record<string, unknown>>;
  readonly errors?: readonly unknown[];
}

const ENDPOINT_FIELDS = [
  'url',
  'description',
  'eventTypes',
  'tenant',
  'retryPolicy',
  'timeoutMs',
  'headers',
  'disabled',
  'payloadFormat',
] as const;

/** `"all"` (Cryptr's `event_codes[]=all`) subscribes to every type, like `"*"`; it is stored as `"*"`. */
export const ALL_EVENT_TYPES_ALIAS = 'all';

/** POST /v1/endpoints: every field but `url` optional, defaults applied. */
export function validateCreateEndpoint(body: unknown, rules: EndpointRules): Result<EndpointInput, ErrorDetail[]> {
  const checked = validateEndpointFields(body, rules, false);
  if (!checked.ok) return checked;
  const v = checked.value;
  return ok({
    url: v.url as string,
    description: v.description ?? '',
    eventTypes: v.eventTypes ?? ['*'],
    tenant: v.tenant ?? '',
    retryPolicy: v.retryPolicy ?? {},
    timeoutMs: v.timeoutMs ?? TIMEOUT_MS.default,
    headers: v.headers ?? {},
    disabled: v.disabled ?? false,
    payloadFormat: v.payloadFormat ?? 'standard',
  });
}

const PATCH_FIELDS = ENDPOINT_FIELDS.filter((f) => f !== 'tenant');

/**
 * PATCH /v1/endpoints/{id}: the same fields but `tenant`, each optional, at least one present. The tenant cannot be
 * changed: deliveries already made for one tenant must never follow their endpoint into another.
 */
export function validateUpdateEndpoint(body: unknown, rules: EndpointRules): Result<EndpointPatch, ErrorDetail[]> {
  const checked = validateEndpointFields(body, rules, true);
  const tenantIssue: ErrorDetail[] =
    isPlainObject(body) && body.tenant !== undefined
      ? [{ path: 'tenant', message: "cannot be changed: an endpoint's tenant is fixed when it is created (create an endpoint for the other tenant)" }]
      : [];
  if (!checked.ok) return err([...checked.error, ...tenantIssue]);
  if (tenantIssue.length > 0) return err(tenantIssue);
  if (Object.keys(checked.value).length === 0) {
    return err([{ path: '', message: `must change at least one of: ${PATCH_FIELDS.join(', ')}` }]);
  }
  return checked;
}

function validateEndpointFields(body: unknown, rules: EndpointRules, partial: boolean): Result<Partial<EndpointInput>, ErrorDetail[]> {
  if (!isPlainObject(body)) return err([{ path: '', message: `the body must be a JSON object (got ${describe(body)})` }]);
  const issues: ErrorDetail[] = [];
  rejectUnknown(body, ENDPOINT_FIELDS, issues);
  const out: { -readonly [K in keyof EndpointInput]?: EndpointInput[K] } = {};

  if (body.url === undefined) {
    if (!partial) issues.push({ path: 'url', message: 'is required' });
  } else if (typeof body.url !== 'string' || body.url.length === 0 || body.url.length > MAX_URL_LENGTH) {
    issues.push({ path: 'url', message: `must be a URL of at most ${MAX_URL_LENGTH} characters (got ${describe(body.url)})` });
  } else {
    const target = checkTargetUrl(body.url, { allowPrivate: rules.allowPrivateTargets });
    // Stored as parsed (WHATWG: CR, LF and TAB removed, host lower-cased): what is shown is where requests go.
    if (target.ok && target.value.href.length > MAX_URL_LENGTH) {
      issues.push({ path: 'url', message: `must be at most ${MAX_URL_LENGTH} characters once normalized (got ${target.value.href.length})` });
    } else if (target.ok) out.url = target.value.href;
    else issues.push({ path: 'url', message: target.error });
  }

  if (body.description !== undefined) {
    if (typeof body.description !== 'string' || body.description.length > MAX_DESCRIPTION_LENGTH) {
      issues.push({
        path: 'description',
        message: `must be a string of at most ${MAX_DESCRIPTION_LENGTH} characters (got ${describe(body.description)})`,
      });
    } else {
      out.description = body.description;
    }
  }

  if (body.eventTypes !== undefined) {
    const types = body.eventTypes;
    if (!Array.isArray(types) || types.length === 0 || types.length > MAX_EVENT_TYPES) {
      issues.push({
        path: 'eventTypes',
        message: `must be a list of 1 to ${MAX_EVENT_TYPES} patterns: "*" (or "all"), an event type, or "prefix.*" (got ${describe(types)})`,
      });
    } else {
      const bad = types.flatMap((t: unknown, i) =>
        typeof t === 'string' && isValidEventTypePattern(t)
          ? []
          : [{ path: `eventTypes[${i}]`, message: `must be "*" (or "all"), an event type ([A-Za-z0-9._:-], 1 to 128) or "prefix.*" (got ${describe(t)})` }],
      );
      if (bad.length > 0) issues.push(...bad);
      else out.eventTypes = [...new Set((types as string[]).map((t) => (t === ALL_EVENT_TYPES_ALIAS ? '*' : t)))];
    }
  }

  if (body.tenant !== undefined) {
    const tenant = tenantValue(body.tenant, 'tenant', issues);
    if (tenant !== undefined) out.tenant = tenant;
  }

  if (body.retryPolicy !== undefined) {
    const policy = validatePolicyInput(body.retryPolicy, 'retryPolicy');
    if (!policy.ok) {
      issues.push(...policy.error);
    } else {
      try {
        // Also reject what is only wrong once merged with the deployment's default (e.g. maxDelay < base).
        const resolved = resolvePolicy(policy.value, rules.defaultRetryPolicy);
        const longest = rules.retentionDays === undefined ? undefined : rules.retentionDays * 86_400 - RETENTION_MARGIN_SECONDS;
        if (longest !== undefined && resolved.maxAgeSeconds > longest) {
          issues.push({
            path: 'retryPolicy.maxAgeSeconds',
            message:
              `must be at most ${longest} s: this deployment keeps delivery records ${rules.retentionDays} days (retentionDays), ` +
              `and a delivery must be final a day before its records expire (got ${resolved.maxAgeSeconds} s)`,
          });
        } else {
          out.retryPolicy = policy.value;
        }
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        issues.push(...error.details);
      }
    }
  }

  if (body.timeoutMs !== undefined) {
    const t = body.timeoutMs;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < TIMEOUT_MS.min || t > TIMEOUT_MS.max) {
      issues.push({ path: 'timeoutMs', message: `must be an integer from ${TIMEOUT_MS.min} to ${TIMEOUT_MS.max} (got ${describe(t)})` });
    } else {
      out.timeoutMs = t;
    }
  }

  if (body.headers !== undefined) {
    const headers = headersValue(body.headers, issues);
    if (headers !== undefined) out.headers = headers;
  }

  if (body.disabled !== undefined) {
    if (typeof body.disabled !== 'boolean') issues.push({ path: 'disabled', message: `must be true or false (got ${describe(body.disabled)})` });
    else out.disabled = body.disabled;
  }

  if (body.payloadFormat !== undefined) {
    const format = body.payloadFormat;
    if (typeof format === 'string' && (PAYLOAD_FORMATS as readonly string[]).includes(format)) out.payloadFormat = format as PayloadFormat;
    else issues.push({ path: 'payloadFormat', message: `must be one of ${PAYLOAD_FORMATS.join(', ')} (got ${describe(format)})` });
  }

  return issues.length > 0 ? err(issues) : ok(out);
}

function headersValue(value: unknown, issues: ErrorDetail[]): Record<string, string> | undefined {
  if (!isPlainObject(value)) {
    issues.push({ path: 'headers', message: `must be an object of header names to string values (got ${describe(value)})` });
    return undefined;
  }
  const entries = Object.entries(value);
  const before = issues.length;
  if (entries.length > MAX_HEADERS) issues.push({ path: 'headers', message: `must have at most ${MAX_HEADERS} headers (got ${entries.length})` });
  const seen = new Set<string>();
  for (const [name, v] of entries) {
    const path = `headers.${name}`;
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name) || name.length > MAX_HEADER_NAME_LENGTH) {
      issues.push({ path, message: `is not a valid header name (letters, digits and !#$%&'*+-.^_\`|~, at most ${MAX_HEADER_NAME_LENGTH})` });
    } else if (OBJECT_KEY_NAMES.has(lower)) {
      issues.push({ path, message: 'is not accepted as a header name' });
    } else if (RESERVED_HEADERS.has(lower) || lower.startsWith(RESERVED_HEADER_PREFIX)) {
      issues.push({ path, message: 'is set by Herald and cannot be overridden' });
    } else if (seen.has(lower)) {
      issues.push({ path, message: 'is given twice (header names are case-insensitive)' });
    }
    seen.add(lower);
    if (typeof v !== 'string' || v.length > MAX_HEADER_VALUE_LENGTH || !HEADER_VALUE.test(v)) {
      issues.push({
        path,
        // The value is not echoed: header values are often credentials.
        message: `must be a string of at most ${MAX_HEADER_VALUE_LENGTH} characters without CR, LF or other control characters`,
      });
    }
  }
  return issues.length > before ? undefined : headerMap(entries as [string, string][]);
}

/** `null` means no tenant; otherwise a token. Returns '' for none. */
function tenantValue(value: unknown, path: string, issues: ErrorDetail[]): string | undefined {
  if (value === null) return '';
  if (typeof value === 'string' && TOKEN_PATTERN.test(value)) return value;
  issues.push({ path, message: `must be null or 1 to 128 letters, digits and . _ : - (got ${describe(value)})` });
  return undefined;
}

const PUBLISH_FIELDS = ['type', 'data', 'tenant', 'id', 'params', 'errors'] as const;

/**
 * How deeply event data may nest. Real payloads stay far below it; a deeper one would only serve to exhaust the
 * stack of every JSON routine that later walks it (hashing, storing, signing, the receiver's parser).
 */
export const MAX_DATA_DEPTH = 64;

/** The nesting depth of a JSON value (a scalar is 0), counted without recursion, stopping past `limit`. */
export function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    const inner = depth + 1;
    deepest = Math.max(deepest, inner);
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(current) ? current : Object.values(current)) stack.push([child, inner]);
  }
  return deepest;
}

/** POST /v1/events: `type` and `data` required; `tenant`, `id`, `params` (an object) and `errors` (a list) optional. */
export function validatePublish(body: unknown): Result<PublishInput, ErrorDetail[]> {
  if (!isPlainObject(body)) return err([{ path: '', message: `the body must be a JSON object (got ${describe(body)})` }]);
  const issues: ErrorDetail[] = [];
  rejectUnknown(body, PUBLISH_FIELDS, issues);
  const type = eventTypeValue(body.type, true, issues);
  if (body.data === undefined) issues.push({ path: 'data', message: 'is required (any JSON value)' });
  else checkDepth(body.data, 'data', issues);
  const tenant = body.tenant === undefined ? '' : tenantValue(body.tenant, 'tenant', issues);
  let id: string | undefined;
  if (body.id !== undefined) {
    if (typeof body.id === 'string' && TOKEN_PATTERN.test(body.id)) id = body.id;
    else issues.push({ path: 'id', message: `must be 1 to 128 letters, digits and . _ : - (got ${describe(body.id)})` });
  }
  if (body.params !== undefined) {
    if (!isPlainObject(body.params)) issues.push({ path: 'params', message: `must be a JSON object (got ${describe(body.params)})` });
    else checkDepth(body.params, 'params', issues);
  }
  if (body.errors !== undefined) {
    if (!Array.isArray(body.errors)) issues.push({ path: 'errors', message: `must be a JSON list (got ${describe(body.errors)})` });
    else checkDepth(body.errors, 'errors', issues);
  }
  if (issues.length > 0 || type === undefined || tenant === undefined) return err(issues);
  return ok({
    type,
    data: body.data,
    tenant,
    ...(id === undefined ? {} : { id }),
    ...(body.params === undefined ? {} : { params: body.params as Record<string, unknown> }),
    ...(body.errors === undefined ? {} : { errors: body.errors as unknown[] }),
  });
}

function checkDepth(value: unknown, path: string, issues: ErrorDetail[]): void {
  if (jsonDepth(value, MAX_DATA_DEPTH) > MAX_DATA_DEPTH) {
    issues.push({ path, message: `nests deeper than ${MAX_DATA_DEPTH} levels of objects and arrays` });
  }
}

export const MAX_KEY_NAME_LENGTH = 128;
export const MAX_GRANT_TENANTS = 100;

/**
 * POST /v1/keys: `name` (optional) and `scopes`, a non-empty list of grants: a scope name (`"read"`) for every
 * tenant, or `{"scope": "publish", "tenants": ["acme"]}` limited to those tenants. Each scope at most once.
 */
export function validateCreateApiKey(body: unknown): Result<NewApiKey, ErrorDetail[]> {
  if (!isPlainObject(body)) return err([{ path: '', message: `the body must be a JSON object (got ${describe(body)})` }]);
  const issues: ErrorDetail[] = [];
  rejectUnknown(body, ['name', 'scopes'], issues);
  let name = '';
  if (body.name !== undefined) {
    if (typeof body.name === 'string' && body.name.length <= MAX_KEY_NAME_LENGTH) name = body.name;
    else issues.push({ path: 'name', message: `must be a string of at most ${MAX_KEY_NAME_LENGTH} characters (got ${describe(body.name)})` });
  }
  const grants: Grant[] = [];
  const scopeHelp = `"admin", "publish", "read", or {"scope": ..., "tenants": [...]}`;
  if (!Array.isArray(body.scopes) || body.scopes.length === 0) {
    issues.push({ path: 'scopes', message: `is required: a non-empty list of ${scopeHelp} (got ${describe(body.scopes)})` });
  } else {
    body.scopes.forEach((entry: unknown, i: number) => {
      const path = `scopes[${i}]`;
      const grant = grantValue(entry, path, issues);
      if (grant === undefined) return;
      if (grants.some((g) => g.scope === grant.scope)) issues.push({ path, message: `gives the ${grant.scope} scope twice` });
      else grants.push(grant);
    });
  }
  return issues.length > 0 ? err(issues) : ok({ name, grants });
}

function grantValue(entry: unknown, path: string, issues: ErrorDetail[]): Grant | undefined {
  const scopeOf = (value: unknown, at: string): Scope | undefined => {
    if (typeof value === 'string' && (SCOPES as readonly string[]).includes(value)) return value as Scope;
    issues.push({ path: at, message: `must be one of ${SCOPES.join(', ')} (got ${describe(value)})` });
    return undefined;
  };
  if (typeof entry === 'string') {
    const scope = scopeOf(entry, path);
    return scope === undefined ? undefined : { scope };
  }
  if (!isPlainObject(entry)) {
    issues.push({ path, message: `must be a scope name or {"scope": ..., "tenants": [...]} (got ${describe(entry)})` });
    return undefined;
  }
  for (const key of Object.keys(entry)) {
    if (key !== 'scope' && key !== 'tenants') issues.push({ path: `${path}.${key}`, message: 'unknown field; allowed: scope, tenants' });
  }
  const scope = scopeOf(entry.scope, `${path}.scope`);
  if (entry.tenants === undefined) return scope === undefined ? undefined : { scope };
  const tenants = entry.tenants;
  if (!Array.isArray(tenants) || tenants.length === 0 || tenants.length > MAX_GRANT_TENANTS) {
    issues.push({ path: `${path}.tenants`, message: `must be a list of 1 to ${MAX_GRANT_TENANTS} tenants (omit it for every tenant) (got ${describe(tenants)})` });
    return undefined;
  }
  const bad = tenants.findIndex((t: unknown) => typeof t !== 'string' || !TOKEN_PATTERN.test(t));
  if (bad >= 0) {
    issues.push({ path: `${path}.tenants[${bad}]`, message: `must be 1 to 128 letters, digits and . _ : - (got ${describe(tenants[bad])})` });
    return undefined;
  }
  return scope === undefined ? undefined : { scope, tenants: [...new Set(tenants as string[])] };
}

/** Events per batch publish. */
export const BATCH_EVENTS = { min: 1, max: 100 } as const;

/**
 * POST /v1/events/batch: `{"events": [...]}`, 1 to 100 events, each as POST /v1/events takes it. Every problem is
 * reported with its path (`events[3].type`), and any problem refuses the whole batch.
 */
export function validatePublishBatch(body: unknown): Result<PublishInput[], ErrorDetail[]> {
  if (!isPlainObject(body)) return err([{ path: '', message: `the body must be a JSON object (got ${describe(body)})` }]);
  const issues: ErrorDetail[] = [];
  rejectUnknown(body, ['events'], issues);
  const events = body.events;
  if (!Array.isArray(events) || events.length < BATCH_EVENTS.min || events.length > BATCH_EVENTS.max) {
    issues.push({ path: 'events', message: `must be an array of ${BATCH_EVENTS.min} to ${BATCH_EVENTS.max} events (got ${describe(events)})` });
    return err(issues);
  }
  const out: PublishInput[] = [];
  events.forEach((event: unknown, i) => {
    const checked = validatePublish(event);
    if (checked.ok) out.push(checked.value);
    else issues.push(...checked.error.map((d) => ({ ...d, path: d.path === '' ? `events[${i}]` : `events[${i}].${d.path}` })));
  });
  const ids = new Map<string, number>();
  out.forEach((e, i) => {
    if (e.id === undefined) return;
    const key = `${e.tenant}\u0000${e.id}`;
    const first = ids.get(key);
    if (first !== undefined) issues.push({ path: `events[${i}].id`, message: `repeats the id of events[${first}] (same tenant)` });
    else ids.set(key, i);
  });
  return issues.length > 0 ? err(issues) : ok(out);
}

/** POST /v1/endpoints/{id}/test: an optional `type` (default `herald.test`); an empty body is fine. */
export function validateTestEvent(body: unknown): Result<{ type: string }, ErrorDetail[]> {
  if (body === undefined) return ok({ type: 'herald.test' });
  if (!isPlainObject(body)) return err([{ path: '', message: `the body must be a JSON object (got ${describe(body)})` }]);
  const issues: ErrorDetail[] = [];
  rejectUnknown(body, ['type'], issues);
  const type = body.type === undefined ? 'herald.test' : eventTypeValue(body.type, true, issues);
  return issues.length > 0 || type === undefined ? err(issues) : ok({ type });
}

/** POST /v1/endpoints/{id}/recover: `since`, an ISO-8601 time. */
export function validateRecover(body: unknown): Result<{ since: number }, ErrorDetail[]> {
  if (!isPlainObject(body)) return err([{ path: '', message: `the body must be a JSON object (got ${describe(body)})` }]);
  const issues: ErrorDetail[] = [];
  rejectUnknown(body, ['since'], issues);
  const since = isoTime(body.since);
  if (since === undefined) issues.push({ path: 'since', message: `is required: an ISO-8601 time such as 2025-01-31T12:00:00Z (got ${describe(body.since)})` });
  return issues.length > 0 || since === undefined ? err(issues) : ok({ since });
}

/** Routes that take no body accept none, or an empty JSON object. */
export function validateEmptyBody(body: unknown): Result<Record<string, never>, ErrorDetail[]> {
  if (body === undefined || (isPlainObject(body) && Object.keys(body).length === 0)) return ok({});
  if (!isPlainObject(body)) return err([{ path: '', message: `the body must be empty or {} (got ${describe(body)})` }]);
  const issues: ErrorDetail[] = [];
  rejectUnknown(body, [], issues);
  return err(issues);
}

/** `Idempotency-Key` header, when sent. */
export function validateIdempotencyKey(header: string | undefined): Result<string | undefined, ErrorDetail[]> {
  if (header === undefined) return ok(undefined);
  return IDEMPOTENCY_KEY_PATTERN.test(header)
    ? ok(header)
    : err([{ path: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' }]);
}

export type Query = Readonly<Record<string, string | undefined>>;

export interface ListQuery {
  readonly limit: number;
  readonly cursor?: string;
}

/**
 * The query string of a list route: `limit` (1..100, default 20), `cursor`, plus the route's own parameters.
 * Unknown parameters are rejected like unknown body fields.
 */
export function validateListQuery<K extends string>(
  query: Query | undefined,
  extra: readonly K[],
): Result<ListQuery & { readonly params: Partial<Record<K, string>> }, ErrorDetail[]> {
  const q = query ?? {};
  const issues: ErrorDetail[] = [];
  for (const name of Object.keys(q)) {
    if (name !== 'limit' && name !== 'cursor' && !(extra as readonly string[]).includes(name)) {
      issues.push({ path: name, message: `unknown query parameter; allowed: ${['limit', 'cursor', ...extra].join(', ')}` });
    }
  }
  let limit: number = LIST_LIMIT.default;
  if (q.limit !== undefined) {
    const n = /^\d{1,3}$/.test(q.limit) ? Number(q.limit) : Number.NaN;
    if (!(n >= LIST_LIMIT.min && n <= LIST_LIMIT.max)) {
      issues.push({ path: 'limit', message: `must be an integer from ${LIST_LIMIT.min} to ${LIST_LIMIT.max} (got "${q.limit}")` });
    } else {
      limit = n;
    }
  }
  if (q.cursor !== undefined && (q.cursor === '' || q.cursor.length > 4096)) {
    issues.push({ path: 'cursor', message: 'is not a cursor of this list' });
  }
  if (issues.length > 0) return err(issues);
  const params: Partial<Record<K, string>> = {};
  for (const name of extra) {
    const value = q[name];
    if (value !== undefined) params[name] = value;
  }
  return ok({ limit, ...(q.cursor === undefined ? {} : { cursor: q.cursor }), params });
}

/** The `tenant` query parameter: '' selects endpoints without a tenant. */
export function validateTenantParam(value: string | undefined): Result<string | undefined, ErrorDetail[]> {
  if (value === undefined || value === '') return ok(value);
  return TOKEN_PATTERN.test(value)
    ? ok(value)
    : err([{ path: 'tenant', message: 'must be empty or 1 to 128 letters, digits and . _ : -' }]);
}

/** The `status` query parameter of delivery lists. */
export function validateStatusParam(value: string | undefined, allowed: readonly DeliveryStatus[] = DELIVERY_STATUSES): Result<DeliveryStatus | undefined, ErrorDetail[]> {
  if (value === undefined) return ok(undefined);
  return (allowed as readonly string[]).includes(value)
    ? ok(value as DeliveryStatus)
    : err([{ path: 'status', message: `must be one of ${allowed.join(', ')} (got "${value}")` }]);
}

/** Throws the ValidationError (400) for a failed check, or returns the value. */
export function orThrow<T>(result: Result<T, ErrorDetail[]>, message = 'the request is invalid'): T {
  if (!result.ok) throw new ValidationError(message, result.error);
  return result.value;
}

function eventTypeValue(value: unknown, required: boolean, issues: ErrorDetail[]): string | undefined {
  if (value === undefined) {
    if (required) issues.push({ path: 'type', message: 'is required' });
    return undefined;
  }
  if (typeof value === 'string' && isValidEventType(value)) return value;
  issues.push({ path: 'type', message: `must be 1 to 128 letters, digits and . _ : - (got ${describe(value)})` });
  return undefined;
}

function isoTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function rejectUnknown(body: Record<string, unknown>, allowed: readonly string[], issues: ErrorDetail[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      issues.push({ path: key, message: allowed.length > 0 ? `unknown field; allowed: ${allowed.join(', ')}` : 'unknown field' });
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short, safe rendering of a bad value for an error message. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return value.length > 40 ? `"${value.slice(0, 40)}..."` : JSON.stringify(value);
  return String(value);
}
