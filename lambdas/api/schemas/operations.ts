/**
 * Every operation of the HTTP API, declared once: method, path, what it reads (query, headers, body) and what
 * it answers. The router takes its method and path from here (lambdas/api/router.ts), the OpenAPI document is
 * rendered from here (./openapi.ts), and the client is checked against that document.
 */
import * as z from 'zod';
import { deletedEndpointSchema, DOCUMENT_RULES, endpointRequestSchemas, endpointSchema, endpointStatsSchema } from './endpoint';
import { acceptedBatchSchema, acceptedEventSchema, eventSchema, publishBatchRequestSchema, publishRequestSchema, testEventRequestSchema } from './event';
import { apiKeySchema, createApiKeyRequestSchema, revokedApiKeySchema } from './api-key';
import { contactsInputSchema, deletedTenantContactsSchema, tenantContactsSchema } from './contacts';
import { deliverySchema, pageSchema, recoverResultSchema } from './delivery';
import { deletedEventTypeSchema, eventTypeRequestSchema, eventTypeSchema } from './event-type';
import { portalSessionRequestSchema, portalSessionSchema, sessionSchema } from './portal-session';
import { overviewSchema } from './overview';
import {
  emptyBodySchema,
  emptyQuerySchema,
  idempotencyKeySchema,
  listDeadLettersQuerySchema,
  listEndpointDeliveriesQuerySchema,
  listEndpointsQuerySchema,
  getEventQuerySchema,
  recoverRequestSchema,
} from './query';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ResponseSpec {
  readonly description: string;
  readonly schema: z.ZodType;
  /** Response headers worth documenting (name → description). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Operation {
  readonly operationId: string;
  readonly method: Method;
  /** `/v1/endpoints/{id}`: `{name}` is one path segment. */
  readonly path: string;
  readonly tag: 'system' | 'endpoints' | 'events' | 'event-types' | 'deliveries' | 'keys' | 'portal' | 'operations' | 'tenants';
  readonly summary: string;
  readonly description?: string;
  /** No API key needed. */
  readonly public?: boolean;
  readonly query?: z.ZodObject;
  /** Reads the `Idempotency-Key` header. */
  readonly idempotencyKey?: boolean;
  readonly body?: { readonly schema: z.ZodType; readonly required: boolean };
  /** The success answers. */
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** Error statuses specific to this operation (409); the rest follow from what it reads, see ./openapi.ts. */
  readonly conflicts?: string;
}

const endpointRequests = endpointRequestSchemas(DOCUMENT_RULES);
const endpointPage = pageSchema(endpointSchema, 'EndpointPage');
const deliveryPage = pageSchema(deliverySchema, 'DeliveryPage');
const apiKeyPage = pageSchema(apiKeySchema, 'ApiKeyPage');
const eventTypePage = pageSchema(eventTypeSchema, 'EventTypePage');
const ok = (description: string, schema: z.ZodType, headers?: Record<string, string>): ResponseSpec => ({ description, schema, ...(headers ? { headers } : {}) });

const healthSchema = z
  .object({ status: z.literal('ok'), environment: z.string().meta({ description: "The deployment's environment name." }) })
  .meta({ id: 'Health', title: 'Health', examples: [{ status: 'ok', environment: 'production' }] });
const openApiDocumentSchema = z.object({ openapi: z.string() }).loose().meta({ title: 'OpenAPIDocument', description: 'This document.' });

export const OPERATIONS = {
  health: {
    operationId: 'health',
    method: 'GET',
    path: '/health',
    tag: 'system',
    summary: 'Liveness check',
    public: true,
    responses: { 200: ok('The API answers.', healthSchema) },
  },
  openApi: {
    operationId: 'getOpenApiDocument',
    method: 'GET',
    path: '/v1/openapi.json',
    tag: 'system',
    summary: 'This OpenAPI 3.1 document',
    public: true,
    responses: { 200: ok('The OpenAPI document of this API.', openApiDocumentSchema) },
  },
  createEndpoint: {
    operationId: 'createEndpoint',
    method: 'POST',
    path: '/v1/endpoints',
    tag: 'endpoints',
    summary: 'Create an endpoint',
    description: 'The answer carries the signing secret; it is shown again only by rotate-secret.',
    body: { schema: endpointRequests.create, required: true },
    responses: { 201: ok('Created, with its signing secret.', endpointSchema) },
  },
  listEndpoints: {
    operationId: 'listEndpoints',
    method: 'GET',
    path: '/v1/endpoints',
    tag: 'endpoints',
    summary: 'List endpoints',
    query: listEndpointsQuerySchema,
    responses: { 200: ok('A page of endpoints.', endpointPage) },
  },
  getEndpoint: {
    operationId: 'getEndpoint',
    method: 'GET',
    path: '/v1/endpoints/{id}',
    tag: 'endpoints',
    summary: 'Read an endpoint',
    responses: { 200: ok('The endpoint (without its secret).', endpointSchema) },
  },
  updateEndpoint: {
    operationId: 'updateEndpoint',
    method: 'PATCH',
    path: '/v1/endpoints/{id}',
    tag: 'endpoints',
    summary: 'Change an endpoint',
    body: { schema: endpointRequests.update, required: true },
    responses: { 200: ok('The changed endpoint.', endpointSchema) },
  },
  deleteEndpoint: {
    operationId: 'deleteEndpoint',
    method: 'DELETE',
    path: '/v1/endpoints/{id}',
    tag: 'endpoints',
    summary: 'Delete an endpoint and cancel its pending deliveries',
    responses: { 200: ok('Deleted.', deletedEndpointSchema) },
    conflicts: 'A delivery kept changing while the endpoint was being deleted; retry.',
  },
  rotateSecret: {
    operationId: 'rotateEndpointSecret',
    method: 'POST',
    path: '/v1/endpoints/{id}/rotate-secret',
    tag: 'endpoints',
    summary: 'Rotate the signing secret',
    description: 'The old secret keeps signing (as a second signature) for 24 hours.',
    body: { schema: emptyBodySchema, required: false },
    responses: { 200: ok('The endpoint with its new secret.', endpointSchema) },
    conflicts: 'The secret is being rotated concurrently; retry.',
  },
  testEndpoint: {
    operationId: 'sendTestEvent',
    method: 'POST',
    path: '/v1/endpoints/{id}/test',
    tag: 'endpoints',
    summary: 'Send a test event to this endpoint only',
    body: { schema: testEventRequestSchema, required: false },
    responses: { 202: ok('Accepted.', acceptedEventSchema) },
    conflicts: 'The endpoint is disabled.',
  },
  recoverEndpoint: {
    operationId: 'recoverEndpoint',
    method: 'POST',
    path: '/v1/endpoints/{id}/recover',
    tag: 'endpoints',
    summary: 'Redeliver every dead delivery of the endpoint since a time',
    body: { schema: recoverRequestSchema, required: true },
    responses: { 202: ok('The redeliveries started.', recoverResultSchema) },
  },
  endpointStats: {
    operationId: 'getEndpointStats',
    method: 'GET',
    path: '/v1/endpoints/{id}/stats',
    tag: 'endpoints',
    summary: 'Success rate and p95 latency over the last day',
    responses: { 200: ok('The stats.', endpointStatsSchema) },
  },
  listEndpointDeliveries: {
    operationId: 'listEndpointDeliveries',
    method: 'GET',
    path: '/v1/endpoints/{id}/deliveries',
    tag: 'deliveries',
    summary: "List an endpoint's deliveries, newest first",
    query: listEndpointDeliveriesQuerySchema,
    responses: { 200: ok('A page of deliveries.', deliveryPage) },
  },
  publish: {
    operationId: 'publishEvent',
    method: 'POST',
    path: '/v1/events',
    tag: 'events',
    summary: 'Publish an event',
    description: 'Fans out to every enabled endpoint of the tenant whose eventTypes match; each delivery is signed (Standard Webhooks).',
    idempotencyKey: true,
    body: { schema: publishRequestSchema, required: true },
    responses: {
      202: ok('Accepted: stored and queued. A replay of the same Idempotency-Key answers the same body.', acceptedEventSchema, {
        'Idempotent-Replayed': 'true when this is the stored answer of an earlier request with the same key.',
      }),
    },
    conflicts: 'The Idempotency-Key (or event id) was already used with a different request.',
  },
  publishBatch: {
    operationId: 'publishEventBatch',
    method: 'POST',
    path: '/v1/events/batch',
    tag: 'events',
    summary: 'Publish 1 to 100 events at once',
    description:
      'Each event as POST /v1/events takes it, answered in request order; any invalid event refuses the whole batch. With an Idempotency-Key each event is keyed by the header and its index, so a retried batch creates nothing twice.',
    idempotencyKey: true,
    body: { schema: publishBatchRequestSchema, required: true },
    responses: {
      202: ok('Accepted: every event stored and queued.', acceptedBatchSchema),
    },
    conflicts: 'An Idempotency-Key (or event id) was already used with a different request.',
  },
  getEvent: {
    operationId: 'getEvent',
    method: 'GET',
    path: '/v1/events/{id}',
    tag: 'events',
    summary: 'Read an event and its deliveries',
    query: getEventQuerySchema,
    responses: { 200: ok('The event.', eventSchema) },
  },
  listDeadLetters: {
    operationId: 'listDeadLetters',
    method: 'GET',
    path: '/v1/deliveries',
    tag: 'deliveries',
    summary: 'List dead letters across endpoints',
    query: listDeadLettersQuerySchema,
    responses: { 200: ok('A page of dead deliveries.', deliveryPage) },
  },
  getDelivery: {
    operationId: 'getDelivery',
    method: 'GET',
    path: '/v1/deliveries/{id}',
    tag: 'deliveries',
    summary: 'Read a delivery with its attempts',
    responses: { 200: ok('The delivery and every attempt.', deliverySchema) },
  },
  retryDelivery: {
    operationId: 'retryDelivery',
    method: 'POST',
    path: '/v1/deliveries/{id}/retry',
    tag: 'deliveries',
    summary: 'Redeliver one delivery now',
    body: { schema: emptyBodySchema, required: false },
    responses: { 202: ok('A new round of attempts started.', deliverySchema) },
    conflicts: 'The endpoint was deleted, or an attempt is in progress.',
  },
  createApiKey: {
    operationId: 'createApiKey',
    method: 'POST',
    path: '/v1/keys',
    tag: 'keys',
    summary: 'Create a scoped API key (admin)',
    description: 'The answer carries the key; only its hash is stored.',
    body: { schema: createApiKeyRequestSchema, required: true },
    responses: { 201: ok('Created, with the key.', apiKeySchema) },
  },
  listApiKeys: {
    operationId: 'listApiKeys',
    method: 'GET',
    path: '/v1/keys',
    tag: 'keys',
    summary: 'List the scoped API keys (admin)',
    query: emptyQuerySchema,
    responses: { 200: ok('Every scoped key (without the keys themselves).', apiKeyPage) },
  },
  revokeApiKey: {
    operationId: 'revokeApiKey',
    method: 'DELETE',
    path: '/v1/keys/{id}',
    tag: 'keys',
    summary: 'Revoke a scoped API key (admin)',
    responses: { 200: ok('Revoked.', revokedApiKeySchema) },
  },
  putEventType: {
    operationId: 'putEventType',
    method: 'PUT',
    path: '/v1/event-types/{type}',
    tag: 'event-types',
    summary: 'Register or replace an event type (its data schema and example)',
    body: { schema: eventTypeRequestSchema, required: true },
    responses: { 200: ok('Replaced.', eventTypeSchema), 201: ok('Registered.', eventTypeSchema) },
  },
  getEventType: {
    operationId: 'getEventType',
    method: 'GET',
    path: '/v1/event-types/{type}',
    tag: 'event-types',
    summary: 'Read an event type',
    responses: { 200: ok('The event type.', eventTypeSchema) },
  },
  deleteEventType: {
    operationId: 'deleteEventType',
    method: 'DELETE',
    path: '/v1/event-types/{type}',
    tag: 'event-types',
    summary: 'Remove an event type from the catalog',
    responses: { 200: ok('Deleted.', deletedEventTypeSchema) },
  },
  listEventTypes: {
    operationId: 'listEventTypes',
    method: 'GET',
    path: '/v1/event-types',
    tag: 'event-types',
    summary: 'List the event-type catalog',
    query: emptyQuerySchema,
    responses: { 200: ok('A page of event types.', eventTypePage) },
  },
  createPortalSession: {
    operationId: 'createPortalSession',
    method: 'POST',
    path: '/v1/tenants/{tenant}/portal-sessions',
    tag: 'portal',
    summary: "Mint a portal session for a tenant's customers (admin)",
    description:
      "The token is a bearer credential with read and manage of this tenant only: it lists, creates, changes and deletes the tenant's endpoints, sees their deliveries and attempts, redelivers, recovers, rotates secrets and sends test events; it never publishes, manages keys or event types, or mints sessions. It is signed, not stored: it ends at expiresAt, or for every session when the portal session secret is rotated. The url opens the console in portal mode.",
    body: { schema: portalSessionRequestSchema, required: false },
    responses: { 201: ok('The session: its token and console link.', portalSessionSchema) },
  },
  getSession: {
    operationId: 'getSession',
    method: 'GET',
    path: '/v1/session',
    tag: 'portal',
    summary: 'Who the calling credential is: its kind, scopes and (for a portal session) tenant, title and expiry',
    responses: { 200: ok('The calling credential.', sessionSchema) },
  },
  getOverview: {
    operationId: 'getOverview',
    method: 'GET',
    path: '/v1/overview',
    tag: 'operations',
    summary: "The deployment at a glance (read across tenants): failing endpoints, dead letters, the queues, deliveries per minute",
    description:
      'Failing endpoints first (then disabled ones), the dead-letter count, the delivery queues’ backlog and lag, and deliveries by outcome per minute over the last hour and per quarter-hour over the last day (from CloudWatch in AWS, from the process in local mode). Needs a read scope over every tenant.',
    responses: { 200: ok('The overview.', overviewSchema) },
  },
  putTenantContacts: {
    operationId: 'putTenantContacts',
    method: 'PUT',
    path: '/v1/tenants/{tenant}/contacts',
    tag: 'tenants',
    summary: "Set a tenant's contacts (its own notices: dead letters, disabled, circuit, degraded)",
    description:
      "Replaces the contacts. An e-mail address is subscribed to the tenant's notices only (SNS asks it to confirm first); a URL receives them as Standard Webhooks POSTs signed with the secret in this answer, shown only when the URL is set or changed. An admin key, or an admin key limited to this tenant.",
    body: { schema: contactsInputSchema(DOCUMENT_RULES), required: true },
    responses: { 200: ok('Replaced.', tenantContactsSchema), 201: ok('Set.', tenantContactsSchema) },
    conflicts: "The tenant's contacts changed at the same time, or the e-mail address already receives another tenant's or endpoint's notices.",
  },
  getTenantContacts: {
    operationId: 'getTenantContacts',
    method: 'GET',
    path: '/v1/tenants/{tenant}/contacts',
    tag: 'tenants',
    summary: "Read a tenant's contacts",
    responses: { 200: ok('The contacts (without the URL secret).', tenantContactsSchema) },
  },
  deleteTenantContacts: {
    operationId: 'deleteTenantContacts',
    method: 'DELETE',
    path: '/v1/tenants/{tenant}/contacts',
    tag: 'tenants',
    summary: "Remove a tenant's contacts",
    responses: { 200: ok('Removed; the e-mail subscription is deleted.', deletedTenantContactsSchema) },
  },
} as const satisfies Record<string, Operation>;

export type OperationName = keyof typeof OPERATIONS;

/** Path ids of an operation, e.g. `['id']` for `/v1/endpoints/{id}`. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
}
