/**
 * Query strings, headers and the small bodies: list parameters, Idempotency-Key, recover, empty bodies.
 */
import * as z from 'zod';
import { DELIVERY_STATUSES, deliveryStatusSchema } from './delivery';
import { IDEMPOTENCY_KEY_PATTERN, LIST_LIMIT, TOKEN_PATTERN } from './fields';
import { rule, strictObject } from './zod-issues';

const limitText = `must be an integer from ${LIST_LIMIT.min} to ${LIST_LIMIT.max}`;

const listFields = {
  limit: z
    .string()
    .regex(/^\d{1,3}$/, rule(limitText))
    .transform(Number)
    .refine((n) => n >= LIST_LIMIT.min && n <= LIST_LIMIT.max, rule(limitText))
    .optional()
    .transform((n) => n ?? LIST_LIMIT.default)
    .meta({ description: `Items per page, ${LIST_LIMIT.min} to ${LIST_LIMIT.max} (default ${LIST_LIMIT.default}).`, examples: ['20'] }),
  cursor: z
    .string()
    .min(1, { error: 'is not a cursor of this list' })
    .max(4096, { error: 'is not a cursor of this list' })
    .optional()
    .meta({ description: 'The nextCursor of the previous page.' }),
};

const query = <S extends z.ZodRawShape>(shape: S) => strictObject({ ...listFields, ...shape }, 'the query must be an object', 'unknown query parameter');

const tenantField = z
  .string()
  .regex(/^$|^[A-Za-z0-9._:-]{1,128}$/, { error: 'must be empty or 1 to 128 letters, digits and . _ : -' })
  .optional();

/** GET /v1/events/{id}: a client's own event id is scoped by tenant, so `tenant` says whose it is (Herald ids need none). */
export const getEventQuerySchema = strictObject(
  { tenant: tenantField.meta({ description: "The event's tenant, when the id is one the client chose; empty or absent for none." }) },
  'the query must be an object',
  'unknown query parameter',
);

/** GET /v1/endpoints: `tenant` ('' selects endpoints without a tenant). */
export const listEndpointsQuerySchema = query({
  tenant: tenantField.meta({ description: "Only this tenant's endpoints; empty for those without a tenant." }),
});

/** GET /v1/endpoints/{id}/deliveries: `status`. */
export const listEndpointDeliveriesQuerySchema = query({
  status: z
    .enum(DELIVERY_STATUSES as [string, ...string[]], rule(`must be one of ${DELIVERY_STATUSES.join(', ')}`))
    .pipe(deliveryStatusSchema)
    .optional(),
});

/** GET /v1/deliveries: only dead letters are indexed across endpoints. */
export const listDeadLettersQuerySchema = query({
  status: z.literal('dead', {
    error: 'must be dead: only dead letters are listed across endpoints (use /v1/endpoints/{id}/deliveries?status= for one endpoint)',
  }),
});

/** GET /v1/keys: one page (limit and cursor are accepted, and the list is short enough to come whole). */
export const emptyQuerySchema = query({});

/** `Idempotency-Key`: 1 to 255 printable ASCII characters. */
export const idempotencyKeySchema = z
  .string()
  .regex(IDEMPOTENCY_KEY_PATTERN, { error: 'must be 1 to 255 printable ASCII characters' })
  .meta({
    description: 'Makes the publish safe to retry: the same key with the same body answers the first result; with another body, 409.',
    examples: ['order-7-paid'],
  });

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const sinceRule = rule('is required: an ISO-8601 time such as 2025-01-31T12:00:00Z');

/** POST /v1/endpoints/{id}/recover: `since`, an ISO-8601 time (read as epoch ms). */
export const recoverRequestSchema = strictObject(
  {
    since: z
      .string(sinceRule)
      .regex(ISO_TIME, sinceRule)
      .refine((s) => !Number.isNaN(Date.parse(s)), sinceRule)
      .transform((s) => Date.parse(s))
      .meta({ description: 'Redeliver what failed (dead) since this time.', examples: ['2026-12-01T00:00:00Z'] }),
  },
  'the body must be a JSON object',
).meta({ id: 'RecoverRequest', title: 'RecoverRequest', examples: [{ since: '2026-12-01T00:00:00Z' }] });

/** Routes that take no body accept none, or an empty JSON object. */
export const emptyBodySchema = strictObject({}, 'the body must be empty or {}').meta({ title: 'EmptyBody' });

export { TOKEN_PATTERN };
