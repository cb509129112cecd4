/**
 * POST /v1/endpoints/{id}/test: send a test event to one endpoint.
 */
import { ConflictError, NotFoundError } from '../../core/errors';
import type { HeraldEvent } from '../../core/model';
import { acceptEvents, type AcceptedEvent } from './accept-event';
import type { ApiUseCaseDeps } from './deps';
import { eventIdentity, fingerprint } from './event-key';

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
  const example = (await deps.catalog.definition(type))?.example;
  const { id, key } = eventIdentity({ tenant: endpoint.tenant }, now, deps.randomBytes);
  const event: HeraldEvent = {
    id,
    key,
    type,
    tenant: endpoint.tenant,
    data: example === undefined ? { test: true, endpointId } : example,
    createdAt: now,
    fingerprint: fingerprint(id),
    fanOut: [{ endpointId }],
  };
  const [accepted] = await acceptEvents(deps, [{ event, keyed: false }]);
  return accepted as AcceptedEvent;
}
