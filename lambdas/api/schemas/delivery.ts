/**
 * Deliveries and their attempts as the API renders them.
 */
import * as z from 'zod';
import { OUTCOME_KINDS, type DeliveryStatus } from '../../core/model';
import { idSchema, optionalTimeSchema, tenantSchema, timeSchema } from './fields';

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'retrying', 'parked', 'delivered', 'dead', 'canceled', 'skipped'];

export const deliveryStatusSchema = z
  .enum(DELIVERY_STATUSES as [DeliveryStatus, ...DeliveryStatus[]])
  .meta({ description: 'pending, retrying; final: delivered, dead, canceled, skipped.' });

const outcomeKindSchema = z.enum(OUTCOME_KINDS as [string, ...string[]]);

const decisionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('delivered') }),
  z.object({ kind: z.literal('retry'), at: optionalTimeSchema, basis: z.enum(['backoff', 'delays', 'retry_after']) }),
  z.object({ kind: z.literal('dead'), reason: z.enum(['permanent', 'exhausted', 'expired', 'no_response']), detail: z.string() }),
  z.object({ kind: z.literal('canceled'), disableEndpoint: z.boolean(), detail: z.string().nullable() }),
]);

export const attemptSchema = z
  .object({
    number: z.number().int().min(1),
    startedAt: optionalTimeSchema,
    latencyMs: z.number().min(0),
    outcome: outcomeKindSchema,
    statusCode: z.number().int().nullable(),
    error: z.string().nullable(),
    responseExcerpt: z.string().nullable(),
    next: decisionSchema.meta({ description: 'What Herald decided after this attempt.' }),
  })
  .meta({ id: 'Attempt', title: 'Attempt' });

export const deliverySchema = z
  .object({
    id: idSchema('delivery', 'dlv_2Qm1ZkR8s0b4t6yW3nVx'),
    eventId: z.string(),
    endpointId: z.string(),
    tenant: tenantSchema,
    eventType: z.string(),
    status: deliveryStatusSchema,
    attemptCount: z.number().int().min(0),
    nextAttemptAt: optionalTimeSchema,
    lastOutcome: z.object({ kind: outcomeKindSchema, statusCode: z.number().int().nullable() }).nullable(),
    finalReason: z.string().nullable(),
    createdAt: timeSchema,
    updatedAt: timeSchema,
    attempts: z.array(attemptSchema).optional().meta({ description: 'Only when one delivery is read.' }),
  })
  .meta({ id: 'Delivery', title: 'Delivery' });

export const recoverResultSchema = z
  .object({
    count: z.number().int().min(0),
    deliveryIds: z.array(z.string()),
    more: z.boolean().meta({ description: 'True when more failed deliveries remain: call again.' }),
  })
  .meta({ id: 'RecoverResult', title: 'RecoverResult', examples: [{ count: 1, deliveryIds: ['dlv_2Qm1ZkR8s0b4t6yW3nVx'], more: false }] });

/** A page of a list: the items and the cursor of the next page (null on the last). */
export function pageSchema<T extends z.ZodType>(item: T, title: string) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() }).meta({ id: title, title });
}
