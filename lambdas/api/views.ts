/**
 * The JSON shapes of the public API, typed by the response schemas (./schemas). Times are ISO-8601
 * strings or null, absent values are null, and an endpoint's signing secret appears only where a caller
 * passes it (create and rotate-secret).
 */
import type { Principal } from '../core/access';
import type { EventTypeDefinition } from '../core/event-catalog';
import { CLOSED, nextProbeTime } from '../core/circuit';
import type { StoredContacts, TenantContacts } from '../core/contacts';
import type { Attempt, Decision, Delivery, Endpoint, HeraldEvent, Outcome } from '../core/model';
import type { StoredApiKey } from '../ports/api-key-store';
import type { AcceptedDelivery } from '../ports/event-store';
import type { AcceptedEvent } from '../use-cases/api/publish-event';
import type { Overview } from '../use-cases/api/overview';
import type { OutcomeCounts } from '../ports/operations';
import { HEADER_VALUE_MASK } from '../use-cases/endpoint-secrets';
import type { AcceptedEventBody, ApiKeyBody, OutcomeCountsBody, OverviewBody, SessionBody, AttemptBody, DeliveryBody, EndpointBody, EventBody, EventTypeBody, RetryPolicyInputBody, ContactsBody, TenantContactsBody } from './schemas/types';

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
/** For times that always exist. */
const isoAt = (ms: number): string => new Date(ms).toISOString();
const tenantOrNull = (tenant: string): string | null => (tenant === '' ? null : tenant);

/**
 * An endpoint's circuit breaker as the API shows it: `closed`, `open` or `half_open`, since when, why, when the next
 * probe is due (or, half-open, when the running probe counts as lost), consecutive failures while closed, and how
 * many deliveries are parked (on single reads only: it is a count over the parked index).
 */
export function circuitView(endpoint: Pick<Endpoint, 'circuit' | 'circuitBreaker'>, parked?: number): EndpointBody['circuit'] {
  const circuit = endpoint.circuit ?? CLOSED;
  return {
    enabled: endpoint.circuitBreaker !== false,
    state: circuit.state,
    since: circuit.state === 'closed' ? null : isoAt(circuit.since),
    reason: circuit.state === 'closed' ? null : circuit.reason,
    nextProbeAt: iso(nextProbeTime(circuit)),
    consecutiveFailures: circuit.state === 'closed' ? circuit.failures : null,
    ...(parked === undefined ? {} : { parked }),
  };
}

/**
 * An endpoint as the API shows it. Header values are receivers' credentials: they are shown only in the answer to
 * the request that set them at creation (`showHeaders`), and masked everywhere after (GET, list, PATCH, rotate, the
 * console).
 */
export function endpointView(
  endpoint: Endpoint,
  secret?: string,
  options: { readonly showHeaders?: boolean; readonly parked?: number | undefined; readonly contactSecret?: string | undefined } = {},
): EndpointBody {
  return {
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    eventTypes: [...endpoint.eventTypes],
    tenant: tenantOrNull(endpoint.tenant),
    retryPolicy: endpoint.retryPolicy as RetryPolicyInputBody,
    timeoutMs: endpoint.timeoutMs,
    headers: Object.fromEntries(Object.keys(endpoint.headers).map((name) => [name, options.showHeaders ? (endpoint.headers[name] as string) : HEADER_VALUE_MASK])),
    disabled: endpoint.disabled,
    disabledReason: endpoint.disabledReason ?? null,
    payloadFormat: endpoint.payloadFormat ?? 'standard',
    health: {
      consecutiveFailures: endpoint.health.consecutiveFailures,
      failingSince: iso(endpoint.health.failingSince),
      lastSuccessAt: iso(endpoint.health.lastSuccessAt),
      lastFailureAt: iso(endpoint.health.lastFailureAt),
    },
    circuitBreaker: endpoint.circuitBreaker ?? null,
    rateLimitPerSecond: endpoint.rateLimitPerSecond ?? null,
    circuit: circuitView(endpoint, options.parked),
    degraded: endpoint.degraded === undefined ? null : { since: isoAt(endpoint.degraded.since), reason: endpoint.degraded.reason },
    contacts: endpoint.contacts === undefined ? null : contactsView(endpoint.contacts, options.contactSecret),
    createdAt: isoAt(endpoint.createdAt),
    updatedAt: isoAt(endpoint.updatedAt),
    ...(secret === undefined ? {} : { secret }),
  };
}

/** Contacts as the API shows them: the addresses, and the URL's signing secret only in the answer that made it. */
export function contactsView(contacts: StoredContacts, urlSecret?: string): ContactsBody {
  return { email: contacts.email ?? null, url: contacts.url ?? null, ...(urlSecret === undefined ? {} : { urlSecret }) };
}

/** A tenant's contacts. */
export function tenantContactsView(record: TenantContacts, urlSecret?: string): TenantContactsBody {
  return { tenant: record.tenant, ...contactsView(record.contacts, urlSecret), createdAt: isoAt(record.createdAt), updatedAt: isoAt(record.updatedAt) };
}

/** `{kind, statusCode}`: statusCode is the HTTP status for `http` outcomes, else null. */
export function outcomeView(outcome: Outcome | undefined): { kind: string; statusCode: number | null } | null {
  if (outcome === undefined) return null;
  return { kind: outcome.kind, statusCode: outcome.kind === 'http' ? outcome.status : null };
}

export function decisionView(decision: Decision): AttemptBody['next'] {
  switch (decision.kind) {
    case 'delivered':
      return { kind: 'delivered' };
    case 'retry':
      return { kind: 'retry', at: iso(decision.at), basis: decision.basis };
    case 'dead':
      return { kind: 'dead', reason: decision.reason, detail: decision.detail };
    case 'canceled':
      // Attempts recorded before cancels carried a detail have none.
      return { kind: 'canceled', disableEndpoint: decision.disableEndpoint, detail: decision.detail ?? null };
  }
}

export function attemptView(attempt: Attempt): AttemptBody {
  return {
    number: attempt.number,
    startedAt: iso(attempt.startedAt),
    latencyMs: attempt.latencyMs,
    outcome: attempt.outcome.kind,
    statusCode: attempt.outcome.kind === 'http' ? attempt.outcome.status : null,
    error: attempt.error ?? null,
    responseExcerpt: attempt.responseExcerpt ?? null,
    next: decisionView(attempt.next),
  };
}

export function deliveryView(delivery: Delivery, attempts?: readonly Attempt[]): DeliveryBody {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    endpointId: delivery.endpointId,
    tenant: tenantOrNull(delivery.tenant),
    eventType: delivery.eventType,
    status: delivery.status,
    attemptCount: delivery.attemptCount,
    nextAttemptAt: iso(delivery.nextAttemptAt),
    lastOutcome: outcomeView(delivery.lastOutcome),
    finalReason: delivery.finalReason ?? null,
    createdAt: isoAt(delivery.createdAt),
    updatedAt: isoAt(delivery.updatedAt),
    ...(attempts === undefined ? {} : { attempts: attempts.map(attemptView) }),
  };
}

export function eventView(event: HeraldEvent, deliveries: readonly Delivery[]): EventBody {
  return {
    id: event.id,
    type: event.type,
    tenant: tenantOrNull(event.tenant),
    data: event.data,
    ...(event.params === undefined ? {} : { params: event.params }),
    ...(event.errors === undefined ? {} : { errors: [...event.errors] }),
    createdAt: isoAt(event.createdAt),
    deliveries: deliveries.map((d) => deliveryView(d)),
  };
}

function fanOutView(entry: AcceptedDelivery): AcceptedEventBody['deliveries'][number] {
  return { id: entry.deliveryId, endpointId: entry.endpointId, status: entry.status };
}

/** The 202 of a publish (and of a test event): the same body for the first answer and every replay. */
export function acceptedView(accepted: AcceptedEvent): AcceptedEventBody {
  return {
    id: accepted.id,
    type: accepted.type,
    tenant: tenantOrNull(accepted.tenant),
    createdAt: isoAt(accepted.createdAt),
    deliveries: accepted.deliveries.map(fanOutView),
  };
}

/** An event type of the catalog; `schema` and `example` are null when it has none. */
export function eventTypeView(definition: EventTypeDefinition): EventTypeBody {
  return {
    type: definition.type,
    description: definition.description,
    schema: definition.schema ?? null,
    example: definition.example === undefined ? null : definition.example,
    createdAt: isoAt(definition.createdAt),
    updatedAt: isoAt(definition.updatedAt),
  };
}

export function listView<T, V>(items: readonly T[], nextCursor: string | undefined, view: (item: T) => V): { data: V[]; nextCursor: string | null } {
  return { data: items.map(view), nextCursor: nextCursor ?? null };
}

/** A principal's grants as the API shows them: `tenants` null for every tenant. */
function grantsView(principal: Pick<Principal, 'grants'>): ApiKeyBody['scopes'] {
  return principal.grants.map((g) => ({ scope: g.scope, tenants: g.tenants === undefined ? null : [...g.tenants] }));
}

/** GET /v1/session: who the credential is, so the console knows whether it runs in portal mode, for whom, until when. */
export function sessionView(principal: Principal): SessionBody {
  const session = principal.session;
  return {
    kind: principal.kind,
    id: principal.id,
    scopes: grantsView(principal),
    tenant: session === undefined ? null : session.tenant,
    title: session?.title ?? null,
    expiresAt: session === undefined ? null : isoAt(session.expiresAt),
  };
}

/** A scoped API key as the API shows it; `key` only in the answer that created it (only its hash is stored). */
export function apiKeyView(apiKey: StoredApiKey, key?: string): ApiKeyBody {
  return {
    id: apiKey.id,
    name: apiKey.name,
    scopes: grantsView(apiKey),
    createdAt: isoAt(apiKey.createdAt),
    createdBy: apiKey.createdBy,
    ...(key === undefined ? {} : { key }),
  };
}

function outcomeCountsView(c: OutcomeCounts): OutcomeCountsBody {
  return { start: isoAt(c.start), delivered: c.delivered, failed: c.failed, dead: c.dead, canceled: c.canceled };
}

/** GET /v1/overview: times as ISO-8601 and tenants as null for none, like every other view. */
export function overviewView(o: Overview): OverviewBody {
  return {
    generatedAt: isoAt(o.generatedAt),
    endpoints: {
      examined: o.endpoints.examined,
      truncated: o.endpoints.truncated,
      failingCount: o.endpoints.failingCount,
      disabledCount: o.endpoints.disabledCount,
      openCircuitCount: o.endpoints.openCircuitCount,
      failing: o.endpoints.failing.map((ep) => ({
        id: ep.id,
        url: ep.url,
        tenant: tenantOrNull(ep.tenant),
        disabled: ep.disabled,
        disabledReason: ep.disabledReason ?? null,
        health: {
          consecutiveFailures: ep.health.consecutiveFailures,
          failingSince: iso(ep.health.failingSince),
          lastSuccessAt: iso(ep.health.lastSuccessAt),
          lastFailureAt: iso(ep.health.lastFailureAt),
        },
        circuit: circuitView(ep),
      })),
    },
    deadLetters: { count: o.deadLetters.count, atLeast: o.deadLetters.atLeast },
    queue: o.queue === null ? null : { visible: o.queue.visible, delayed: o.queue.delayed, inFlight: o.queue.inFlight, lagMs: o.queue.lagMs },
    history:
      o.history === null
        ? null
        : { source: o.history.source, lastHour: o.history.lastHour.map(outcomeCountsView), lastDay: o.history.lastDay.map(outcomeCountsView) },
  };
}
