/**
 * Endpoints: what a client sends to create or change one, and what the API answers.
 */
import * as z from 'zod';
import { isValidEventTypePattern } from '../../core/event-type';
import { ValidationError } from '../../core/errors';
import { PAYLOAD_FORMATS, type PayloadFormat, type RetryPolicyInput } from '../../core/model';
import { resolvePolicy } from '../../core/policy';
import { RETENTION_MARGIN_SECONDS } from '../../../lib/spec';
import { headerMap } from '../../core/header-map';
import { describe, isPlainObject, rule, ruleAbort, strictObject } from './zod-issues';
import { idSchema, optionalTimeSchema, tenantInputSchema, tenantSchema, timeSchema } from './fields';
import { retryPolicyInputSchema } from './retry-policy';
import { circuitBreakerInputSchema, circuitViewSchema, rateLimitSchema } from './breaker';
import { MAX_URL_LENGTH, targetUrlSchema } from './target-url';
import { contactsInputSchema, contactsSchema } from './contacts';


export const MAX_DESCRIPTION_LENGTH = 1024;
export { MAX_URL_LENGTH };
export const MAX_EVENT_TYPES = 100;
export const MAX_HEADERS = 20;
export const MAX_HEADER_NAME_LENGTH = 256;
export const MAX_HEADER_VALUE_LENGTH = 4096;
export const TIMEOUT_MS = { min: 1000, max: 30_000, default: 15_000 } as const;

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

const HEADER_VALUE_TEXT = `must be a string of at most ${MAX_HEADER_VALUE_LENGTH} characters without CR, LF or other control characters`;

/**
 * Names that are legal HTTP tokens but special to JavaScript objects: as a map key `__proto__` replaces the
 * prototype and `constructor` makes the DynamoDB marshaller reject the whole item, so every write of the endpoint
 * would fail. They are refused, and header maps are built without a prototype.
 */
const OBJECT_KEY_NAMES = new Set(['__proto__', 'constructor']);

/**
 * The headers are checked on the raw JSON object (not a copy, where a `__proto__` key would already be gone) and
 * become a null-prototype map; the JSON Schema is given by hand for the same reason.
 */
const headersSchema = z
  .unknown()
  .superRefine((value, ctx) => {
    if (!isPlainObject(value)) {
      ctx.addIssue({ code: 'custom', message: `must be an object of header names to string values (got ${describe(value)})` });
      return;
    }
    const names = Object.keys(value);
    if (names.length > MAX_HEADERS) ctx.addIssue({ code: 'custom', message: `must have at most ${MAX_HEADERS} headers (got ${names.length})` });
    const seen = new Set<string>();
    for (const name of names) {
      const lower = name.toLowerCase();
      if (!HEADER_NAME.test(name) || name.length > MAX_HEADER_NAME_LENGTH) {
        ctx.addIssue({ code: 'custom', path: [name], message: `is not a valid header name (letters, digits and !#$%&'*+-.^_\`|~, at most ${MAX_HEADER_NAME_LENGTH})` });
      } else if (OBJECT_KEY_NAMES.has(lower)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is not accepted as a header name' });
      } else if (RESERVED_HEADERS.has(lower) || lower.startsWith(RESERVED_HEADER_PREFIX)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is set by Herald and cannot be overridden' });
      } else if (seen.has(lower)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is given twice (header names are case-insensitive)' });
      }
      seen.add(lower);
      const v = value[name];
      // The value is not echoed: header values are often credentials.
      if (typeof v !== 'string' || v.length > MAX_HEADER_VALUE_LENGTH || !HEADER_VALUE.test(v)) ctx.addIssue({ code: 'custom', path: [name], message: HEADER_VALUE_TEXT });
    }
  })
  .transform((value) => headerMap(Object.entries(value as Record<string, string>)))
  .meta({
    type: 'object',
    maxProperties: MAX_HEADERS,
    additionalProperties: { type: 'string', maxLength: MAX_HEADER_VALUE_LENGTH },
    description: `Extra headers sent with every delivery (at most ${MAX_HEADERS}); Herald's own and hop-by-hop headers cannot be set. Values are shown only in the answer to the create; masked after.`,
    examples: [{ Authorization: 'Bearer receiver-token' }],
  });

const EVENT_TYPES_TEXT = `must be a list of 1 to ${MAX_EVENT_TYPES} patterns: "*" (or "all"), an event type, or "prefix.*"`;
const PATTERN_TEXT = 'must be "*" (or "all"), an event type ([A-Za-z0-9._:-], 1 to 128) or "prefix.*"';

/** `"all"` (Cryptr's `event_codes[]=all`) subscribes to every type, like `"*"`; it is stored as `"*"`. */
export const ALL_EVENT_TYPES_ALIAS = 'all';

const eventTypesSchema = z
  .array(z.string(rule(PATTERN_TEXT)).refine(isValidEventTypePattern, rule(PATTERN_TEXT)), rule(EVENT_TYPES_TEXT))
  .min(1, rule(EVENT_TYPES_TEXT))
  .max(MAX_EVENT_TYPES, rule(EVENT_TYPES_TEXT))
  .transform((types) => [...new Set(types.map((t) => (t === ALL_EVENT_TYPES_ALIAS ? '*' : t)))])
  .meta({ description: 'Which event types it receives: "*" (or "all"), exact types, or "prefix.*" wildcards.', examples: [['invoice.*', 'customer.created']] });

const timeoutRule = rule(`must be an integer from ${TIMEOUT_MS.min} to ${TIMEOUT_MS.max}`);

/** The fields a client may set on an endpoint; `rules` adds the deployment's target and policy checks. */
function endpointFields(rules: EndpointRules) {
  return {
    url: targetUrlSchema(rules.allowPrivateTargets, 'Where deliveries are POSTed: https, public (unless the deployment allows private targets).'),
    description: z
      .string(rule(`must be a string of at most ${MAX_DESCRIPTION_LENGTH} characters`))
      .max(MAX_DESCRIPTION_LENGTH, rule(`must be a string of at most ${MAX_DESCRIPTION_LENGTH} characters`)),
    eventTypes: eventTypesSchema,
    tenant: tenantInputSchema,
    retryPolicy: retryPolicyInputSchema.superRefine((policy, ctx) => {
      // Also reject what is only wrong once merged with the deployment's default (e.g. maxDelay < base).
      try {
        const resolved = resolvePolicy(policy as RetryPolicyInput, rules.defaultRetryPolicy);
        const longest = rules.retentionDays === undefined ? undefined : rules.retentionDays * 86_400 - RETENTION_MARGIN_SECONDS;
        if (longest !== undefined && resolved.maxAgeSeconds > longest) {
          ctx.addIssue({
            code: 'custom',
            path: ['maxAgeSeconds'],
            message:
              `must be at most ${longest} s: this deployment keeps delivery records ${rules.retentionDays} days (retentionDays), ` +
              `and a delivery must be final a day before its records expire (got ${resolved.maxAgeSeconds} s)`,
          });
        }
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        for (const detail of error.details) {
          ctx.addIssue({ code: 'custom', path: detail.path.split('.').slice(1), message: detail.message });
        }
      }
    }),
    timeoutMs: z.number(timeoutRule).int(timeoutRule).min(TIMEOUT_MS.min, timeoutRule).max(TIMEOUT_MS.max, timeoutRule).meta({ description: 'How long one attempt may take.' }),
    headers: headersSchema,
    disabled: z.boolean(rule('must be true or false')).meta({ description: 'A disabled endpoint receives nothing; its new deliveries are recorded as skipped.' }),
    payloadFormat: z
      .enum(PAYLOAD_FORMATS as [PayloadFormat, ...PayloadFormat[]], rule(`must be one of ${PAYLOAD_FORMATS.join(', ')}`))
      .meta({ description: 'The body deliveries carry: standard (Standard Webhooks envelope), cryptr, or data (the event data alone).' }),
    circuitBreaker: circuitBreakerInputSchema,
    rateLimitPerSecond: rateLimitSchema,
    contacts: contactsInputSchema(rules),
  };
}

export const ENDPOINT_FIELDS = [
  'url',
  'description',
  'eventTypes',
  'tenant',
  'retryPolicy',
  'timeoutMs',
  'headers',
  'disabled',
  'payloadFormat',
  'circuitBreaker',
  'rateLimitPerSecond',
  'contacts',
] as const;

/** What PATCH may change: everything but the tenant, which is fixed at creation (a tenant boundary never moves). */
const PATCH_FIELDS = ENDPOINT_FIELDS.filter((f) => f !== 'tenant');

/**
 * POST /v1/endpoints (every field but `url` optional, defaults applied) and PATCH /v1/endpoints/{id} (the same
 * fields but `tenant`, each optional, at least one present: deliveries already made for one tenant must never
 * follow their endpoint into another).
 */
export function endpointRequestSchemas(rules: EndpointRules) {
  const f = endpointFields(rules);
  const create = strictObject(
    {
      url: f.url,
      description: f.description.default(''),
      eventTypes: f.eventTypes.default(['*']),
      tenant: f.tenant.default(''),
      retryPolicy: f.retryPolicy.default({}),
      timeoutMs: f.timeoutMs.default(TIMEOUT_MS.default),
      headers: f.headers.default({}),
      disabled: f.disabled.default(false),
      payloadFormat: f.payloadFormat.default('standard'),
      circuitBreaker: f.circuitBreaker.optional(),
      rateLimitPerSecond: f.rateLimitPerSecond.optional(),
      contacts: f.contacts.optional(),
    },
    'the body must be a JSON object',
  ).meta({
    title: 'EndpointCreate',
    examples: [
      { url: 'https://example.com/webhooks', eventTypes: ['invoice.*'], tenant: 'org_42', retryPolicy: { preset: 'cryptr' } },
      { url: 'https://example.com/webhooks', circuitBreaker: { failureThreshold: 10, probeIntervalSeconds: 120 }, rateLimitPerSecond: 20 },
    ],
  });
  const update = strictObject(
    {
      url: f.url.optional(),
      description: f.description.optional(),
      eventTypes: f.eventTypes.optional(),
      tenant: z.unknown().optional().meta({ description: 'Not changeable: present only to say so (400).', not: {} }),
      retryPolicy: f.retryPolicy.optional(),
      timeoutMs: f.timeoutMs.optional(),
      headers: f.headers.optional(),
      disabled: f.disabled.optional(),
      payloadFormat: f.payloadFormat.optional(),
      circuitBreaker: f.circuitBreaker.nullable().optional().meta({ description: "null: back to the deployment's breaker settings." }),
      rateLimitPerSecond: f.rateLimitPerSecond.nullable().optional().meta({ description: 'null: no limit.' }),
      contacts: f.contacts.nullable().optional().meta({ description: 'Replaces the contacts; null removes them.' }),
    },
    'the body must be a JSON object',
  )
    .check((ctx) => {
      // Only for an otherwise valid body: `{"id": ...}` is an unknown field, not an empty change.
      if (isPlainObject(ctx.value) && ctx.value.tenant !== undefined) {
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          path: ['tenant'],
          message: "cannot be changed: an endpoint's tenant is fixed when it is created (create an endpoint for the other tenant)",
        });
      } else if (ctx.issues.length === 0 && Object.keys(ctx.value).length === 0) {
        ctx.issues.push({ code: 'custom', input: ctx.value, path: [], message: `must change at least one of: ${PATCH_FIELDS.join(', ')}` });
      }
    })
    .meta({ title: 'EndpointUpdate', description: 'Any subset of the endpoint fields, at least one.', examples: [{ disabled: true }, { description: 'billing', timeoutMs: 5000 }] });
  return { create, update };
}

export type EndpointInput = z.output<ReturnType<typeof endpointRequestSchemas>['create']>;
export type EndpointPatch = Omit<z.output<ReturnType<typeof endpointRequestSchemas>['update']>, 'tenant'>;

/** The rules the OpenAPI document is rendered with (they only add refinements, which JSON Schema does not carry). */
export const DOCUMENT_RULES: EndpointRules = { allowPrivateTargets: false, defaultRetryPolicy: undefined };

export const endpointSchema = z
  .object({
    id: idSchema('endpoint', 'ep_2Qm1ZkR8s0b4t6yW3nVx'),
    url: z.string(),
    description: z.string(),
    eventTypes: z.array(z.string()),
    tenant: tenantSchema,
    retryPolicy: retryPolicyInputSchema,
    timeoutMs: z.number().int(),
    headers: z.record(z.string(), z.string()),
    disabled: z.boolean(),
    payloadFormat: z.enum(PAYLOAD_FORMATS as [PayloadFormat, ...PayloadFormat[]]),
    disabledReason: z.string().nullable().meta({ description: 'Why Herald disabled it (e.g. a 410 Gone); null when enabled or disabled by hand.' }),
    health: z.object({
      consecutiveFailures: z.number().int().min(0),
      failingSince: optionalTimeSchema,
      lastSuccessAt: optionalTimeSchema,
      lastFailureAt: optionalTimeSchema,
    }),
    circuitBreaker: circuitBreakerInputSchema.nullable().meta({ description: "The endpoint's own breaker settings; null: the deployment's; false: none." }),
    rateLimitPerSecond: z.number().int().nullable().meta({ description: 'Requests per second at most; null: no limit.' }),
    circuit: circuitViewSchema,
    contacts: contactsSchema.nullable().meta({ description: "This endpoint's own contacts (beside its tenant's); null for none." }),
    degraded: z
      .object({ since: timeSchema, reason: z.string() })
      .nullable()
      .meta({
        description:
          'Set while the receiver is degraded: p95 response time over the last hour above 80 % of the timeout, or its non-2xx rate above 5 %. An endpoint.degraded warning was sent when it was set; null otherwise.',
      }),
    createdAt: timeSchema,
    updatedAt: timeSchema,
    secret: z
      .string()
      .optional()
      .meta({ description: 'The signing secret (whsec_...): only in the answers of create and rotate-secret.', examples: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] }),
  })
  .meta({ id: 'Endpoint', title: 'Endpoint' });


export const deletedEndpointSchema = z
  .object({ id: z.string(), deleted: z.literal(true), canceledDeliveries: z.number().int().min(0) })
  .meta({ id: 'DeletedEndpoint', title: 'DeletedEndpoint', examples: [{ id: 'ep_2Qm1ZkR8s0b4t6yW3nVx', deleted: true, canceledDeliveries: 2 }] });

export const endpointStatsSchema = z
  .object({
    endpointId: z.string(),
    windowStart: timeSchema,
    windowEnd: timeSchema,
    attempts: z.number().int().min(0),
    succeeded: z.number().int().min(0),
    successRate: z.number().min(0).max(1).nullable(),
    p95LatencyMs: z.number().min(0).nullable(),
    deliveriesExamined: z.number().int().min(0),
    truncated: z.boolean(),
    lastHour: z
      .object({
        attempts: z.number().int().min(0),
        p95LatencyMs: z.number().min(0).nullable(),
        non2xxRate: z.number().min(0).max(1).nullable(),
        warnings: z.array(
          z.discriminatedUnion('kind', [
            z.object({ kind: z.literal('slow'), p95LatencyMs: z.number(), thresholdMs: z.number(), message: z.string() }),
            z.object({ kind: z.literal('non_2xx_rate'), rate: z.number(), baseline: z.number(), message: z.string() }),
          ]),
        ),
      })
      .meta({ description: "The receiver's last hour: p95 against 80 % of the timeout, non-2xx rate against 5 %." }),
    buckets: z
      .array(z.object({ start: timeSchema, attempts: z.number().int().min(0), succeeded: z.number().int().min(0) }))
      .meta({ description: 'The window in 24 hourly slices, oldest first: attempts and 2xx answers in each (the success sparkline).' }),
  })
  .meta({ id: 'EndpointStats', title: 'EndpointStats', description: "An endpoint's delivery health over the last 24 hours." });
