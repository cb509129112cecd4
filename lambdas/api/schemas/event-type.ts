/**
 * The event-type catalog: what PUT /v1/event-types/{type} takes, and what the catalog routes answer.
 */
import * as z from 'zod';
import { validateEventTypeInput, type EventTypeInput } from '../../core/event-catalog';
import { timeSchema } from './fields';

/**
 * `description`, `schema` (a JSON Schema that must compile) and `example` (which must match it), each optional.
 * Whether a schema compiles and an example matches can only be checked by compiling it (ajv, in
 * core/event-catalog.ts), so the rule is that check, run as this schema's refinement, with its paths and messages;
 * the JSON Schema of the body is declared beside it.
 */
export const eventTypeRequestSchema = z
  .unknown()
  .transform((body, ctx): EventTypeInput => {
    const checked = validateEventTypeInput(body);
    if (checked.ok) return checked.value;
    for (const detail of checked.error) ctx.addIssue({ code: 'custom', path: detail.path === '' ? [] : detail.path.split('.'), message: detail.message });
    return z.NEVER;
  })
  .meta({
    id: 'EventTypePut',
    title: 'EventTypePut',
    type: 'object',
    properties: {
      description: { type: 'string' },
      schema: { type: 'object', description: 'A JSON Schema (2020-12, or draft-07 by its $schema) for the data of this type.' },
      example: { description: 'Example data; must match the schema.' },
    },
    additionalProperties: false,
    examples: [{ description: 'An invoice was paid', schema: { type: 'object', required: ['invoiceId'], properties: { invoiceId: { type: 'string' } } }, example: { invoiceId: 'inv_1' } }],
  });

export const eventTypeSchema = z
  .object({
    type: z.string(),
    description: z.string(),
    schema: z.record(z.string(), z.unknown()).nullable(),
    example: z.unknown(),
    createdAt: timeSchema,
    updatedAt: timeSchema,
  })
  .meta({ id: 'EventType', title: 'EventType' });

export const deletedEventTypeSchema = z
  .object({ type: z.string(), deleted: z.literal(true) })
  .meta({ id: 'DeletedEventType', title: 'DeletedEventType', examples: [{ type: 'invoice.paid', deleted: true }] });
