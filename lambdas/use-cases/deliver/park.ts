/**
 * The breaker's word on one record before it is POSTed (issue 11): send it, send it as the probe, park it, or move
 * it to the slow lane; and parking itself. The state machine is core/circuit.ts; the lane rules core/lanes.ts.
 */
import { SQS_MAX_DELAY_SECONDS } from '../../../lib/spec';
import { circuitSettingsFor, type CircuitAction, type CircuitSettings } from '../../core/circuit';
import { classify, describeOutcome } from '../../core/classify';
import { laneTimeout, leavesFastLane, slowMarkAfter, type Lane } from '../../core/lanes';
import type { Delivery, DeliveryMessage, Endpoint, RetryPolicy } from '../../core/model';
import type { SendResult } from '../../ports';
import { COUNT_METRICS } from '../../ports/metrics';
import type { BatchScope } from './batch-scope';
import { releaseIfClosedMeanwhile } from './circuit-effects';
import { parkEntry } from './park-log';
import { errorText, type BreakerDeps, type DeliverDeps } from './deps';

/** What the gate decided for a record. */
export type Gate =
  /** POST it with this timeout; `handOff`: running into the timeout hands the record to the slow lane (no attempt). */
  | { readonly kind: 'send'; readonly timeoutMs: number; readonly handOff: boolean; readonly settings?: CircuitSettings }
  /** Nothing to POST now: the record was parked, moved to the slow lane, or left as it is. */
  | { readonly kind: 'done' }
  /** The record's own state could not be saved: it must come back. */
  | { readonly kind: 'failed' };

export interface GateInput {
  readonly message: DeliveryMessage;
  readonly delivery: Delivery;
  readonly stored: boolean;
  readonly endpoint: Endpoint;
  readonly policy: RetryPolicy;
  /** The endpoint's own HTTP timeout (within the worker's bound). */
  readonly timeoutMs: number;
  readonly lane: Lane;
}

/** The endpoint's breaker settings: its own over the deployment's; a probe may take its timeout plus the lease margin. */
export function breakerSettings(deps: DeliverDeps, breaker: BreakerDeps, endpoint: Endpoint, timeoutMs: number): CircuitSettings {
  return circuitSettingsFor(endpoint.circuitBreaker, breaker.settings.defaults, timeoutMs, deps.settings.leaseMarginMs);
}

/**
 * Decides what happens to a record whose delivery may be attempted now.
 *
 * - On the fast lane, an endpoint this container marked slow: the record moves to the slow lane untouched.
 * - The circuit says `send`: POST it (on the fast lane within the patience, handing it over past it).
 * - `park`: the delivery is parked (its write, and its share of the batch's log item), or dead-lettered as expired when
 *   it is past its policy's maximum age: parked time uses no attempts, but the maximum age still applies.
 * - `probe`: the open → half-open move is saved first (conditionally, so one worker probes); then the probe is
 *   POSTed, on the slow lane: a fast-lane record is moved there first.
 */
export async function gateRecord(deps: DeliverDeps, scope: BatchScope, input: GateInput, deadLetter: ExpireHandler): Promise<Gate> {
  const breaker = deps.breaker;
  const { endpoint, delivery, lane } = input;
  if (breaker === undefined) return { kind: 'send', timeoutMs: input.timeoutMs, handOff: false };
  const now = deps.clock.now();
  if (leavesFastLane(lane, breaker.slowMarks.get(endpoint.id, now), now)) {
    return toSlowLane(deps, breaker, input.message, endpoint.id, 'endpoint marked slow');
  }
  const settings = breakerSettings(deps, breaker, endpoint, input.timeoutMs);
  const action = scope.circuits.dispatch(endpoint, settings, delivery.id, now);
  switch (action.kind) {
    case 'park':
      return parkDelivery(deps, scope, input, action.reason, now, deadLetter);
    case 'probe': {
      const saved = await breaker.circuits.save({
        endpointId: endpoint.id,
        expected: scope.circuits.before(endpoint.id),
        next: scope.circuits.current(endpoint),
        attentionAt: now + settings.probePatienceMs,
      });
      if (saved === 'conflict') {
        // Another worker moved the circuit meanwhile: it probes; this record waits with the others.
        scope.circuits.discard(endpoint.id);
        return parkDelivery(deps, scope, input, 'circuit open: another worker is probing the endpoint', now, deadLetter);
      }
      scope.circuits.saved(endpoint.id);
      deps.log.info('probing an open circuit', { endpointId: endpoint.id, deliveryId: delivery.id });
      if (lane === 'fast') return toSlowLane(deps, breaker, input.message, endpoint.id, 'probe');
      return { kind: 'send', timeoutMs: input.timeoutMs, handOff: false, settings };
    }
    default: {
      const { timeoutMs, handOff } = laneTimeout(lane, input.timeoutMs, breaker.settings.lanes);
      return { kind: 'send', timeoutMs, handOff, settings };
    }
  }
}

/** What dead-letters a delivery that reached its maximum age while parked (deliver-one's dead-letter path). */
export type ExpireHandler = (delivery: Delivery, stored: boolean, reason: string, now: number) => Promise<void>;

/**
 * Parks a delivery: an entry in its endpoint's park log first (park-log.ts; the batch's parks share one log item),
 * then status `parked`: no message, no schedule, no attempt used. A delivery parked already (its message came back
 * while the circuit is open again) gets a new log entry only: the entry it was released from is gone. Past its
 * maximum age it is dead-lettered instead, through `expire`.
 */
export async function parkDelivery(deps: DeliverDeps, scope: BatchScope, input: GateInput, reason: string, now: number, expire: ExpireHandler): Promise<Gate> {
  const { delivery, stored, policy } = input;
  const deadline = delivery.roundStartedAt + policy.maxAgeSeconds * 1000;
  if (now >= deadline) {
    await expire(delivery, stored, `expired: parked while the endpoint's circuit was open (${reason}) and the delivery reached its maximum age`, now);
    return { kind: 'done' };
  }
  const breaker = deps.breaker;
  if (breaker === undefined) return { kind: 'failed' };
  try {
    await scope.parkLog.add(breaker.circuits, delivery.endpointId, parkEntry(delivery), now);
    if (delivery.status === 'parked') {
      scope.parks.note(delivery.endpointId, reason, true);
      return { kind: 'done' };
    }
    const saved = await deps.store.transition({ delivery, stored, status: 'parked', longWait: false, now, finalReason: reason });
    if (saved === 'saved') {
      scope.parks.note(delivery.endpointId, reason, false);
      deps.metrics.count(COUNT_METRICS.parked);
      await releaseIfClosedMeanwhile(deps, delivery.endpointId);
    } else {
      deps.log.info('delivery moved on meanwhile; not parked', { deliveryId: delivery.id, reason });
    }
    return { kind: 'done' };
  } catch (error) {
    deps.log.error('the delivery could not be parked; the message will come back', { deliveryId: delivery.id, error: errorText(error) });
    return { kind: 'failed' };
  }
}

/** Sends a copy of the message to the slow lane (as a possible duplicate: it takes the lease there). */
export async function toSlowLane(deps: DeliverDeps, breaker: BreakerDeps, message: DeliveryMessage, endpointId: string, why: string): Promise<Gate> {
  try {
    await breaker.slowQueue.send([{ message: { deliveryId: message.deliveryId, attempt: message.attempt, redelivery: true }, groupId: endpointId }]);
    deps.log.info('record moved to the slow lane', { deliveryId: message.deliveryId, attempt: message.attempt, why });
    return { kind: 'done' };
  } catch (error) {
    deps.log.error('the record could not be moved to the slow lane; it will come back', { deliveryId: message.deliveryId, error: errorText(error) });
    return { kind: 'failed' };
  }
}

/**
 * The fast lane's patience ran out on a POST: no attempt is recorded; the endpoint is marked slow in this container
 * and the record handed to the slow lane. A lease this record took still holds for a while; the copy is delayed
 * past it, so the slow lane's claim finds it free.
 */
export async function handOff(deps: DeliverDeps, message: DeliveryMessage, endpointId: string, leaseUntil: number | undefined): Promise<'done' | 'failed'> {
  const breaker = deps.breaker;
  if (breaker === undefined) return 'failed';
  const now = deps.clock.now();
  const mark = slowMarkAfter({ lane: 'fast', handedOff: true, timedOut: true, latencyMs: breaker.settings.lanes.patienceMs, now }, breaker.settings.lanes);
  if (mark.kind === 'mark') breaker.slowMarks.mark(endpointId, mark.until);
  const delaySeconds = leaseUntil === undefined ? 0 : Math.min(SQS_MAX_DELAY_SECONDS, Math.max(0, Math.ceil((leaseUntil - now) / 1000)) + 1);
  try {
    await breaker.slowQueue.send([
      { message: { deliveryId: message.deliveryId, attempt: message.attempt, redelivery: true }, groupId: endpointId, ...(delaySeconds > 0 ? { delaySeconds } : {}) },
    ]);
    deps.log.info('the fast lane’s patience ran out; record handed to the slow lane', { deliveryId: message.deliveryId, attempt: message.attempt, endpointId });
    return 'done';
  } catch (error) {
    deps.log.error('the record could not be handed to the slow lane; it will come back', { deliveryId: message.deliveryId, error: errorText(error) });
    return 'failed';
  }
}

/**
 * Feeds an attempt's verdict to the endpoint's circuit and its slow mark. The breaker counts a failure when the
 * policy retries the outcome (timeouts and refused connections included), a success on 2xx, and nothing else.
 * Returns the circuit's action: `park_failed` or `reopened` mean the delivery is parked instead of retried.
 */
export function recordVerdict(
  deps: DeliverDeps,
  scope: BatchScope,
  input: { readonly endpoint: Endpoint; readonly deliveryId: string; readonly settings: CircuitSettings; readonly policy: RetryPolicy; readonly lane: Lane },
  result: SendResult,
  now: number,
): CircuitAction {
  const breaker = deps.breaker;
  const classification = classify(result.outcome, input.policy);
  const verdict = classification === 'delivered' ? 'success' : classification === 'retry' ? 'failure' : 'neutral';
  if (breaker !== undefined) {
    const mark = slowMarkAfter(
      { lane: input.lane, handedOff: false, timedOut: result.outcome.kind === 'timeout', latencyMs: result.latencyMs, now },
      breaker.settings.lanes,
    );
    if (mark.kind === 'clear') breaker.slowMarks.clear(input.endpoint.id);
  }
  return scope.circuits.attempt(input.endpoint, input.settings, input.deliveryId, verdict, describeOutcome(result.outcome), now);
}
