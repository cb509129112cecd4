/**
 * POST /v1/endpoints/{id}/test: send a test event to one endpoint.
 */
import { ConflictError, NotFoundError } from '../../core/errors';
import { makeId } from '../../core/ids';
import { acceptEvent, fanOutEntry } from './accept-event';
import type { ApiUseCaseDeps } from './deps';
import type { AcceptedEvent } from './publish-event';

/**
 * Publishes a real event of `type` (default `herald.test`) with a single delivery, to this endpoint only: its
 * event types are not consulted and no other endpoint receives it. The data is the type's example when the
 * catalog has one (so the receiver sees what a real event of the type looks like), else `{test: true, endpointId}`.
 * Accepted with the same durable intake as a publish (no idempotency key: each call is a new test).
 *
 * @throws NotFoundError when the endpoint does not exist
 * @throws ConflictError when the endpoint is disabled: a test would only be recorded as skipped
 */
export async function sendTestEvent(deps: ApiUseCaseDeps, endpointId: string, type: string): Promise<AcceptedEvent> {
  const endpoint = await deps.endpoints.get(endpointId);
  if (endpoint === undefined) throw new NotFoundError('endpoint');
  if (endpoint.disabled) throw new ConflictError('the endpoint is disabled; enable it before sending a test event');
  const now = deps.clock.now();
  const id = makeId('evt', now, deps.randomBytes(10));
  const fanOut = [fanOutEntry(id, now, endpoint)];
  const example = (await deps.catalog.definition(type))?.example;
  const data = example === undefined ? { test: true, endpointId } : example;
  const event = { id, type, tenant: endpoint.tenant, data, createdAt: now };
  await acceptEvent(deps, event, fanOut);
  return { id, type, tenant: endpoint.tenant, createdAt: now, deliveries: fanOut, replayed: false };
}
