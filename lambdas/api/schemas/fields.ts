/**
 * Field schemas shared by several requests and responses: tokens, tenants, event types, times, limits.
 */
import * as z from 'zod';
import { EVENT_TYPE_PATTERN } from '../../core/event-type';
import { rule } from './zod-issues';

/** Tenants and client-chosen event ids: 1 to 128 letters, digits and `.`, `_`, `:`, `-`. */
export const TOKEN_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/** Printable ASCII, 1 to 255 characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;
export const LIST_LIMIT = { min: 1, max: 100, default: 20 } as const;

const TOKEN_TEXT = 'must be 1 to 128 letters, digits and . _ : -';

/** A tenant or an event id as a client writes it. */
export const tokenSchema = z.string(rule(TOKEN_TEXT)).regex(TOKEN_PATTERN, rule(TOKEN_TEXT));

/** `null` (or absent, where the field is optional) means no tenant; stored as ''. */
export const tenantInputSchema = z
  .union([z.null(), z.string().regex(TOKEN_PATTERN)], rule(`must be null or 1 to 128 letters, digits and . _ : -`))
  .transform((value) => value ?? '')
  .meta({ description: 'The tenant (customer) this belongs to; null for none.', examples: ['org_42'] });

export const eventTypeSchema = z
  .string(rule(TOKEN_TEXT))
  .regex(EVENT_TYPE_PATTERN, rule(TOKEN_TEXT))
  .meta({ description: 'An event type: 1 to 128 letters, digits and . _ : -', examples: ['invoice.paid'] });

/** An ISO-8601 time as the API renders it; null where there is none. */
export const timeSchema = z.iso.datetime({ offset: true }).meta({ examples: ['2026-12-01T04:00:00.000Z'] });
export const optionalTimeSchema = timeSchema.nullable();

/** Tenants in responses: null for none. */
export const tenantSchema = z.string().regex(TOKEN_PATTERN).nullable();

/** Herald ids: a prefix, `_`, and a sortable random part (client-chosen event ids are tokens too). */
export const idSchema = (prefix: string, example: string) =>
  z.string().regex(TOKEN_PATTERN).meta({ description: `The ${prefix} id.`, examples: [example] });
