/**
 * Portal sessions (issue 14): what an operator sends to mint one, what the API answers, and who a credential is
 * (GET /v1/session, which the console reads to know whether it runs in portal mode).
 */
import * as z from 'zod';
import { SCOPES, type Scope } from '../../core/access';
import { tenantSchema, timeSchema } from './fields';
import { rule, strictObject } from './zod-issues';

/** Session lifetime in seconds: 1 h unless asked, at most 24 h, so a leaked link stops working within a day. */
export const PORTAL_SESSION_TTL = { default: 3600, min: 60, max: 86_400 } as const;
export const MAX_PORTAL_TITLE_LENGTH = 120;

const ttlText = `must be a whole number of seconds from ${PORTAL_SESSION_TTL.min} to ${PORTAL_SESSION_TTL.max} (24 h)`;
const titleText = `must be 1 to ${MAX_PORTAL_TITLE_LENGTH} characters without control characters`;

/** POST /v1/tenants/{tenant}/portal-sessions: `{ttlSeconds?, title?}`; an absent body is all defaults. */
export const portalSessionRequestSchema = strictObject(
  {
    ttlSeconds: z
      .number(rule(ttlText))
      .int(rule(ttlText))
      .min(PORTAL_SESSION_TTL.min, rule(ttlText))
      .max(PORTAL_SESSION_TTL.max, rule(ttlText))
      .default(PORTAL_SESSION_TTL.default)
      .meta({ description: `How long the session lasts, in seconds (default ${PORTAL_SESSION_TTL.default}, at most ${PORTAL_SESSION_TTL.max}).` }),
    title: z
      .string(rule(titleText))
      .transform((t) => t.trim())
      .pipe(
        z
          .string()
          .min(1, rule(titleText))
          .max(MAX_PORTAL_TITLE_LENGTH, rule(titleText))
          .regex(/^[^\u0000-\u001f\u007f]*$/, rule(titleText)),
      )
      .optional()
      .meta({ description: 'Shown at the top of the portal page (your product name, say).', examples: ['Acme webhooks'] }),
  },
  'the body must be a JSON object with optional ttlSeconds and title',
).meta({ id: 'PortalSessionCreate', title: 'PortalSessionCreate', examples: [{ ttlSeconds: 3600, title: 'Acme webhooks' }] });

export const portalSessionSchema = z
  .object({
    token: z.string().meta({ description: 'A bearer credential limited to the tenant (read and manage); signed, not stored.' }),
    url: z.string().meta({ description: 'Opens the console in portal mode; the token travels in the fragment, which browsers never send.' }),
    expiresAt: timeSchema,
  })
  .meta({ id: 'PortalSession', title: 'PortalSession' });

const grantViewSchema = z.object({ scope: z.enum(SCOPES as [Scope, ...Scope[]]), tenants: z.array(z.string()).nullable() });

/** GET /v1/session: the calling credential. */
export const sessionSchema = z
  .object({
    kind: z.enum(['deployment_key', 'api_key', 'portal_session']),
    id: z.string().meta({ description: '`deployment`, the key id, or the portal session id.' }),
    scopes: z.array(grantViewSchema),
    tenant: tenantSchema.meta({ description: "A portal session's tenant; null for keys." }),
    title: z.string().nullable().meta({ description: "A portal session's title; null when none." }),
    expiresAt: timeSchema.nullable().meta({ description: 'When a portal session ends; null for keys.' }),
  })
  .meta({
    id: 'Session',
    title: 'Session',
    examples: [
      {
        kind: 'portal_session',
        id: 'ps_Yx3v0cVb8d1Q2w3e4r5t6y7u',
        scopes: [
          { scope: 'read', tenants: ['org_42'] },
          { scope: 'manage', tenants: ['org_42'] },
        ],
        tenant: 'org_42',
        title: 'Acme webhooks',
        expiresAt: '2026-12-01T05:00:00.000Z',
      },
    ],
  });
