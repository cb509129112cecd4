/**
 * What the API use cases work with: the storage ports, the delivery queue, a clock and a random source
 * (passed in, so tests are exact).
 */
import { HeraldError, UnavailableError } from '../../core/errors';
import type { ApiKeyStore } from '../../ports/api-key-store';
import type { CircuitStore } from '../../ports/circuit-store';
import type { EndpointStore } from '../../ports/endpoint-store';
import type { EventStore } from '../../ports/event-store';
import type { Clock, DeliveryQueue, QueuedDelivery, SecretBox } from '../../ports';
import type { Metrics } from '../../ports/metrics';
import type { PortalSessionTokens } from '../../ports/portal-sessions';
import type { DeliveryHistory, QueueDepths } from '../../ports/operations';
import type { ContactStore, NoticeSubscriptions } from '../../ports/tenant-notices';
import type { Delivery } from '../../core/model';
import type { EventTypeCatalog } from './event-type-catalog';

export interface ApiUseCaseDeps {
  readonly endpoints: EndpointStore;
  readonly events: EventStore;
  readonly queue: DeliveryQueue;
  readonly clock: Clock;
  /** Cryptographically random bytes (ids, signing secrets). */
  readonly randomBytes: (size: number) => Uint8Array;
  /** Seals signing secrets and header values before they are stored (use-cases/endpoint-secrets.ts). */
  readonly secrets: SecretBox;
  /** Scoped API keys (hashes only). */
  readonly apiKeys: ApiKeyStore;
  /** The event-type catalog (publish checks data against it; the test route sends its examples). */
  readonly catalog: EventTypeCatalog;
  /** Deployment-level counters (flushed by the handler once per request). */
  readonly metrics: Metrics;
  /** Mints portal session tokens (POST /v1/tenants/{tenant}/portal-sessions); the same signer verifies them. */
  readonly portalTokens: PortalSessionTokens;
  /** The delivery lanes' depths for the overview; absent when the api is not given them (the overview says unknown). */
  readonly queueDepths?: QueueDepths;
  /** Deliveries per period by outcome for the overview's charts; absent when the deployment keeps none the api can read. */
  readonly history?: DeliveryHistory;
  /** The circuit breaker's store, for an endpoint's parked count (issue 11). */
  readonly circuits?: Pick<CircuitStore, 'countParked'>;
  /** Tenants' contacts (endpoint contacts live on the endpoint). */
  readonly contacts: ContactStore;
  /** E-mail contacts' subscriptions on the tenant-notices topic. */
  readonly subscriptions: NoticeSubscriptions;
}

/**
 * The queue message that asks for a delivery's next attempt from outside the worker (a manual retry, recover):
 * marked as a possible duplicate, so the worker takes a lease before it POSTs.
 */
export function nextAttemptMessage(delivery: Pick<Delivery, 'id' | 'endpointId' | 'attemptCount'>): QueuedDelivery {
  return { message: { deliveryId: delivery.id, attempt: delivery.attemptCount + 1, redelivery: true }, groupId: delivery.endpointId };
}

/**
 * Sends messages to the delivery queue; a failure becomes an UnavailableError (503) with `message`, keeping
 * the cause for the logs. The deliveries are already stored with a due time, so the sweep enqueues them if
 * the client does not retry.
 */
export async function enqueue(queue: DeliveryQueue, messages: readonly QueuedDelivery[], message: string): Promise<void> {
  if (messages.length === 0) return;
  try {
    await queue.send(messages);
  } catch (error) {
    if (error instanceof HeraldError) throw error;
    const unavailable = new UnavailableError(message);
    unavailable.cause = error;
    throw unavailable;
  }
}
