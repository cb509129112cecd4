/**
 * Contacts (of a tenant, or on an endpoint): what a client sends, and what the API answers. The URL follows the
 * deployment's target rules, like an endpoint's.
 */
import * as z from 'zod';
import { isPlainObject, rule, strictObject } from './zod-issues';
import { timeSchema } from './fields';
import { targetUrlSchema } from './target-url';

export const MAX_EMAIL_LENGTH = 254;

/**
 * A mailbox SNS can deliver to: a local part without spaces, quotes or angle brackets, `@`, and a domain of at least
 * two labels. Stricter than RFC 5321, on purpose: the address goes to SNS as is.
 */
const EMAIL_PATTERN = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const EMAIL_TEXT = `must be an e-mail address (name@example.com) of at most ${MAX_EMAIL_LENGTH} characters`;

const emailSchema = z
  .string(rule(EMAIL_TEXT))
  .max(MAX_EMAIL_LENGTH, rule(EMAIL_TEXT))
  .regex(EMAIL_PATTERN, rule(EMAIL_TEXT))
  .meta({ description: 'Receives the notices by e-mail (AWS asks the address to confirm its subscription first).', examples: ['ops@customer.example'] });

/** `{email?, url?}`, at least one of them. */
export function contactsInputSchema(rules: { readonly allowPrivateTargets: boolean }) {
  return strictObject(
    {
      email: emailSchema.optional(),
      url: targetUrlSchema(rules.allowPrivateTargets, 'Receives the notices as Standard Webhooks POSTs, signed with the secret returned when the URL is set.').optional(),
    },
    'must be an object with an email and/or a url',
  )
    .check((ctx) => {
      if (isPlainObject(ctx.value) && ctx.issues.length === 0 && ctx.value.email === undefined && ctx.value.url === undefined) {
        ctx.issues.push({ code: 'custom', input: ctx.value, path: [], message: 'must have an email, a url, or both' });
      }
    })
    .meta({
      title: 'ContactsInput',
      description: "Where this tenant's (or endpoint's) own notices go: dead letters, endpoint disabled, circuit opened or closed, degraded.",
      examples: [{ email: 'ops@customer.example', url: 'https://customer.example/herald-notices' }],
    });
}

const urlSecretSchema = z
  .string()
  .optional()
  .meta({ description: 'The URL contact’s signing secret (whsec_...): only in the answer that set or changed the URL.', examples: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] });

export const contactsSchema = z
  .object({ email: z.string().nullable(), url: z.string().nullable(), urlSecret: urlSecretSchema })
  .meta({ id: 'Contacts', title: 'Contacts' });

export const tenantContactsSchema = z
  .object({
    tenant: z.string(),
    email: z.string().nullable(),
    url: z.string().nullable(),
    urlSecret: urlSecretSchema,
    createdAt: timeSchema,
    updatedAt: timeSchema,
  })
  .meta({ id: 'TenantContacts', title: 'TenantContacts' });

export const deletedTenantContactsSchema = z
  .object({ tenant: z.string(), deleted: z.literal(true) })
  .meta({ id: 'DeletedTenantContacts', title: 'DeletedTenantContacts', examples: [{ tenant: 'org_42', deleted: true }] });
