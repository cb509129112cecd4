/**
 * Scoped API keys: what a client sends to create one, and what the API answers.
 */
import * as z from 'zod';
import { SCOPES, type Grant, type Scope } from '../../core/access';
import { TOKEN_PATTERN, timeSchema } from './fields';
import { rule, strictObject } from './zod-issues';

export const MAX_KEY_NAME_LENGTH = 128;
export const MAX_GRANT_TENANTS = 100;

const scopeSchema = z.enum(SCOPES as [Scope, ...Scope[]], rule(`must be one of ${SCOPES.join(', ')}`));
const tenantsRule = rule(`must be a list of 1 to ${MAX_GRANT_TENANTS} tenants (omit it for every tenant)`);
const tenantRule = rule('must be 1 to 128 letters, digits and . _ : -');

const grantObjectSchema = strictObject(
  {
    scope: scopeSchema,
    tenants: z
      .array(z.string(tenantRule).regex(TOKEN_PATTERN, tenantRule), tenantsRule)
      .min(1, tenantsRule)
      .max(MAX_GRANT_TENANTS, tenantsRule)
      .optional(),
  },
  'must be a scope name or {"scope": ..., "tenants": [...]}',
);

/** A scope name for every tenant, or `{scope, tenants}`; each form's problems reported at their own paths. */
const grantSchema = z
  .unknown()
  .transform((entry, ctx): Grant => {
    const checked = typeof entry === 'string' ? scopeSchema.safeParse(entry) : grantObjectSchema.safeParse(entry);
    if (!checked.success) {
      for (const issue of checked.error.issues) {
        if (issue.code === 'unrecognized_keys') for (const key of issue.keys) ctx.addIssue({ code: 'custom', path: [...issue.path, key], message: 'unknown field; allowed: scope, tenants' });
        else ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
      }
      return z.NEVER;
    }
    const value = checked.data;
    if (typeof value === 'string') return { scope: value };
    return value.tenants === undefined ? { scope: value.scope } : { scope: value.scope, tenants: [...new Set(value.tenants)] };
  })
  .meta({
    anyOf: [
      { type: 'string', enum: [...SCOPES] },
      {
        type: 'object',
        properties: { scope: { type: 'string', enum: [...SCOPES] }, tenants: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: MAX_GRANT_TENANTS } },
        required: ['scope'],
        additionalProperties: false,
      },
    ],
  });

const SCOPE_HELP = `"admin", "publish", "read", "manage", or {"scope": ..., "tenants": [...]}`;
const scopesRule = rule(`is required: a non-empty list of ${SCOPE_HELP}`);

/**
 * POST /v1/keys: `name` (optional) and `scopes`, a non-empty list of grants: a scope name (`"read"`) for every
 * tenant, or `{"scope": "publish", "tenants": ["acme"]}` limited to those tenants. Each scope at most once.
 */
export const createApiKeyRequestSchema = strictObject(
  {
    name: z
      .string(rule(`must be a string of at most ${MAX_KEY_NAME_LENGTH} characters`))
      .max(MAX_KEY_NAME_LENGTH, rule(`must be a string of at most ${MAX_KEY_NAME_LENGTH} characters`))
      .default(''),
    scopes: z
      .array(grantSchema, scopesRule)
      .min(1, scopesRule)
      .superRefine((grants, ctx) => {
        const seen = new Set<string>();
        grants.forEach((grant, i) => {
          if (seen.has(grant.scope)) ctx.addIssue({ code: 'custom', path: [i], message: `gives the ${grant.scope} scope twice` });
          seen.add(grant.scope);
        });
      })
      .meta({ description: `Grants: ${SCOPE_HELP}.` }),
  },
  'the body must be a JSON object',
).meta({ id: 'ApiKeyCreate', title: 'ApiKeyCreate', examples: [{ name: 'billing service', scopes: ['publish', { scope: 'read', tenants: ['acme'] }] }] });

export type NewApiKeyInput = z.output<typeof createApiKeyRequestSchema>;

export const apiKeySchema = z
  .object({
    id: z.string().meta({ examples: ['key_01M8QYJSYK91VRFETZA79TMDGP'] }),
    name: z.string(),
    scopes: z.array(z.object({ scope: z.enum(SCOPES as [Scope, ...Scope[]]), tenants: z.array(z.string()).nullable() })),
    createdAt: timeSchema,
    createdBy: z.string().meta({ description: 'The principal that created it.' }),
    key: z.string().optional().meta({ description: 'The key itself: only in the answer that created it (only its hash is stored).' }),
  })
  .meta({ id: 'ApiKey', title: 'ApiKey' });

export const revokedApiKeySchema = z
  .object({ id: z.string(), revoked: z.literal(true) })
  .meta({ id: 'RevokedApiKey', title: 'RevokedApiKey', examples: [{ id: 'key_01M8QYJSYK91VRFETZA79TMDGP', revoked: true }] });
