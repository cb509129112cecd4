/**
 * Events: the publish request, its 202 answer, and an event as read back.
 */
import * as z from 'zod';
import { deliverySchema } from './delivery';
import { eventTypeSchema, idSchema, tenantInputSchema, tenantSchema, timeSchema, tokenSchema } from './fields';
import { rule, strictObject } from './zod-issues';

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

const depthCheck = (value: unknown, ctx: z.RefinementCtx) => {
  if (jsonDepth(value, MAX_DATA_DEPTH) > MAX_DATA_DEPTH) ctx.addIssue({ code: 'custom', message: `nests deeper than ${MAX_DATA_DEPTH} levels of objects and arrays` });
};

/** Any JSON value, required, nested at most {@link MAX_DATA_DEPTH} levels. */
const dataSchema = z
  .unknown()
  .superRefine((data, ctx) => {
    if (data === undefined) ctx.addIssue({ code: 'custom', message: 'is required (any JSON value)' });
    else depthCheck(data, ctx);
  })
  .meta({ description: `The payload: any JSON value, nested at most ${MAX_DATA_DEPTH} levels.`, examples: [{ invoiceId: 'inv_1', amount: 4200 }] });

/** POST /v1/events: `type` and `data` required, `tenant` and `id` optional. */
export const publishRequestSchema = strictObject(
  {
    type: eventTypeSchema,
    data: dataSchema,
    tenant: tenantInputSchema.default(''),
    id: tokenSchema
      .optional()
      .meta({ description: 'Your own event id; also the idempotency key when no Idempotency-Key header is sent.', examples: ['order-7-paid'] }),
    params: z
      .record(z.string(), z.unknown(), rule('must be a JSON object'))
      .superRefine(depthCheck)
      .optional()
      .meta({ description: 'Sent by the payload formats that carry them (cryptr).' }),
    errors: z
      .array(z.unknown(), rule('must be a JSON list'))
      .superRefine(depthCheck)
      .optional()
      .meta({ description: 'Sent by the payload formats that carry them (cryptr).' }),
  },
  'the body must be a JSON object',
).meta({
  id: 'PublishRequest', title: 'PublishRequest',
  examples: [{ type: 'invoice.paid', data: { invoiceId: 'inv_1', amount: 4200 }, tenant: 'org_42' }],
});

export type PublishInput = z.output<typeof publishRequestSchema>;

/** Events per batch publish. */
export const BATCH_EVENTS = { min: 1, max: 100 } as const;

const batchSizeMessage = `must be an array of ${BATCH_EVENTS.min} to ${BATCH_EVENTS.max} events`;

/**
 * POST /v1/events/batch: `{"events": [...]}`, 1 to 100 events, each as POST /v1/events takes it. Every problem is
 * reported with its path (`events[3].type`), any problem refuses the whole batch, and two events of one tenant
 * may not carry the same id.
 */
export const publishBatchRequestSchema = strictObject(
  {
    events: z
      .array(publishRequestSchema, rule(batchSizeMessage))
      .min(BATCH_EVENTS.min, batchSizeMessage)
      .max(BATCH_EVENTS.max, batchSizeMessage)
      .superRefine((events, ctx) => {
        const ids = new Map<string, number>();
        events.forEach((e, i) => {
          if (e.id === undefined) return;
          const key = `${e.tenant}\u0000${e.id}`;
          const first = ids.get(key);
          if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `repeats the id of events[${first}] (same tenant)` });
          else ids.set(key, i);
        });
      }),
  },
  'the body must be a JSON object',
).meta({
  id: 'PublishBatchRequest', title: 'PublishBatchRequest',
  examples: [{ events: [{ type: 'invoice.paid', data: { invoiceId: 'inv_1', amount: 4200 }, tenant: 'org_42' }] }],
});

/** POST /v1/endpoints/{id}/test: an optional `type` (default `herald.test`); an empty body is fine. */
export const testEventRequestSchema = strictObject({ type: eventTypeSchema.default('herald.test') }, 'the body must be a JSON object').meta({
  title: 'TestEventRequest',
  examples: [{ type: 'herald.test' }],
});

const fanOutSchema = z.object({
  id: idSchema('delivery', 'dlv_2Qm1ZkR8s0b4t6yW3nVx'),
  endpointId: z.string(),
  status: z.enum(['pending', 'skipped']).meta({ description: 'pending: queued; skipped: the endpoint is disabled.' }),
});

/** The 202 of a publish (and of a test event): the same body for the first answer and every replay. */
export const acceptedEventSchema = z
  .object({
    id: idSchema('event', 'evt_2Qm1ZkR8s0b4t6yW3nVx'),
    type: z.string(),
    tenant: tenantSchema,
    createdAt: timeSchema,
    deliveries: z.array(fanOutSchema),
  })
  .meta({
    id: 'AcceptedEvent', title: 'AcceptedEvent',
    examples: [
      {
        id: 'evt_2Qm1ZkR8s0b4t6yW3nVx',
        type: 'invoice.paid',
        tenant: 'org_42',
        createdAt: '2026-12-01T04:00:00.000Z',
        deliveries: [{ id: 'dlv_2Qm1ZkR8s0b4t6yW3nVy', endpointId: 'ep_2Qm1ZkR8s0b4t6yW3nVx', status: 'pending' }],
      },
    ],
  });

export const eventSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    tenant: tenantSchema,
    data: z.unknown(),
    params: z.record(z.string(), z.unknown()).optional(),
    errors: z.array(z.unknown()).optional(),
    createdAt: timeSchema,
    deliveries: z.array(deliverySchema),
  })
  .meta({ id: 'Event', title: 'Event' });

/** The 202 of a batch publish: one accepted event per event of the request, in its order. */
export const acceptedBatchSchema = z
  .object({ events: z.array(acceptedEventSchema) })
  .meta({ id: 'AcceptedEventBatch', title: 'AcceptedEventBatch' });
