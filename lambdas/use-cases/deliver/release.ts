/**
 * A `release` control message (core/control.ts): the endpoint's circuit closed (or the endpoint is gone), so its
 * parked deliveries go back on the delivery queue, oldest first, a second's worth at a time: at most
 * `releasePerSecond` (or the endpoint's rate limit, if lower) per step, the next step one second later, so a
 * receiver that just recovered is not hit by the whole backlog at once. Each released delivery is a possible
 * duplicate (it takes the lease), and is attempted with no attempt used up by its parked time.
 *
 * Each step takes the oldest entries of the endpoint's park log (park-log.ts) and removes them once their messages
 * are sent. A crash between steps loses nothing: the endpoint keeps its attention key (gsi3 `OPEN`) until a step
 * finds nothing more to release, so the sweep starts the loop again.
 */
import { CLOSED } from '../../core/circuit';
import type { QueuedDelivery } from '../../ports';
import { releaseMessage } from './circuit-effects';
import { dropEntries, entriesOf } from './park-log';
import type { ItemResult } from './deliver-one';
import type { DeliverDeps } from './deps';

export async function handleRelease(deps: DeliverDeps, endpointId: string): Promise<ItemResult> {
  const breaker = deps.breaker;
  if (breaker === undefined) return 'done';
  const endpoint = await breaker.circuits.endpoint(endpointId);
  const circuit = endpoint?.circuit ?? CLOSED;
  if (endpoint !== undefined && circuit.state !== 'closed' && endpoint.circuitBreaker !== false && !endpoint.disabled) {
    deps.log.info('circuit open again; release stops until it closes', { endpointId });
    return 'done';
  }
  const perStep = Math.max(1, Math.min(breaker.settings.releasePerSecond, endpoint?.rateLimitPerSecond ?? Number.POSITIVE_INFINITY));
  // The oldest entries of the park log: a message each (the worker drops one whose delivery moved on), then the
  // entries leave the log. A crash in between sends them again with the next step: the lease stops a double POST.
  const batch = entriesOf(await breaker.circuits.parkLog(endpointId, perStep)).slice(0, perStep);
  const messages: QueuedDelivery[] = batch.map(({ entry }) => ({
    message: { deliveryId: entry.deliveryId, attempt: entry.attemptCount + 1, redelivery: true },
    groupId: endpointId,
  }));
  if (batch.length === perStep) messages.push(releaseMessage(endpointId, undefined, 1));
  if (messages.length > 0) await deps.queue.send(messages);
  await dropEntries(deps, breaker.circuits, batch);
  if (batch.length > 0) deps.log.info('parked deliveries released', { endpointId, count: batch.length, more: batch.length === perStep });
  if (batch.length < perStep && endpoint !== undefined && circuit.state === 'closed') {
    // Nothing left to release now. A batch that loaded the endpoint before the circuit closed may still park a
    // delivery after this step, and nothing would release it: the sweep looks once more, one probe interval later
    // (its probe finds the circuit closed, and releases what is parked, or clears the attention key).
    const interval = endpoint.circuitBreaker === false ? undefined : endpoint.circuitBreaker?.probeIntervalSeconds;
    const lookAgainAt = deps.clock.now() + (interval ?? breaker.settings.defaults.probeIntervalSeconds) * 1000;
    await breaker.circuits.save({ endpointId, expected: circuit, next: circuit, attentionAt: lookAgainAt });
  }
  return 'done';
}
