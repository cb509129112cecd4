/**
 * The TypeScript types of the API's bodies, inferred from the schemas: what the views must produce and what
 * the client (client/) reads. Response types are the schemas' input side, so ISO times are plain strings.
 */
import type { z } from 'zod';
import type { apiKeySchema } from './api-key';
import type { contactsInputSchema, contactsSchema, deletedTenantContactsSchema, tenantContactsSchema } from './contacts';
import type { eventTypeSchema } from './event-type';
import type { attemptSchema, deliverySchema, recoverResultSchema } from './delivery';
import type { deletedEndpointSchema, endpointSchema, endpointStatsSchema } from './endpoint';
import type { ErrorBody } from './errors';
import type { acceptedBatchSchema, acceptedEventSchema, eventSchema, publishBatchRequestSchema, publishRequestSchema, testEventRequestSchema } from './event';
import type { retryPolicyInputSchema } from './retry-policy';
import type { portalSessionRequestSchema, portalSessionSchema, sessionSchema } from './portal-session';
import type { outcomeCountsSchema, overviewSchema } from './overview';

export type EndpointBody = z.input<typeof endpointSchema>;
export type ApiKeyBody = z.input<typeof apiKeySchema>;
export type EventTypeBody = z.input<typeof eventTypeSchema>;
export type DeletedEndpointBody = z.input<typeof deletedEndpointSchema>;
export type EndpointStatsBody = z.input<typeof endpointStatsSchema>;
export type AttemptBody = z.input<typeof attemptSchema>;
export type DeliveryBody = z.input<typeof deliverySchema>;
export type RecoverResultBody = z.input<typeof recoverResultSchema>;
export type AcceptedEventBody = z.input<typeof acceptedEventSchema>;
export type EventBody = z.input<typeof eventSchema>;
export type RetryPolicyInputBody = z.input<typeof retryPolicyInputSchema>;
/** What a client sends to publish (tenant and id optional). */
export type PublishRequestBody = z.input<typeof publishRequestSchema>;
/** POST /v1/events/batch: 1 to 100 events, and what it answers (each event as POST /v1/events answers, in order). */
export type PublishBatchRequestBody = z.input<typeof publishBatchRequestSchema>;
export type AcceptedBatchBody = z.input<typeof acceptedBatchSchema>;
export type PortalSessionRequestBody = z.input<typeof portalSessionRequestSchema>;
export type PortalSessionBody = z.input<typeof portalSessionSchema>;
export type SessionBody = z.input<typeof sessionSchema>;
export type OverviewBody = z.input<typeof overviewSchema>;
export type OutcomeCountsBody = z.input<typeof outcomeCountsSchema>;
export type TestEventRequestBody = z.input<typeof testEventRequestSchema>;
export type ContactsBody = z.input<typeof contactsSchema>;
/** What PUT /v1/tenants/{tenant}/contacts (and an endpoint's `contacts`) takes. */
export type ContactsInputBody = z.input<ReturnType<typeof contactsInputSchema>>;
export type TenantContactsBody = z.input<typeof tenantContactsSchema>;
export type DeletedTenantContactsBody = z.input<typeof deletedTenantContactsSchema>;
export interface Page<T> {
  readonly data: T[];
  readonly nextCursor: string | null;
}
export type { ErrorBody };
