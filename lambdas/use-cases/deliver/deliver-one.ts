/**
 * One delivery attempt, from a message on the delivery queue to the recorded outcome and its
 * effects (the next retry, the dead letter, the alert, the endpoint's health tally).
 */
import { createHash } from 'node:crypto';
import { SQS_MAX_DELAY_SECONDS } from '../../../lib/spec';
import { describeOutcome } from '../../core/classify';
import { decide } from '../../core/decide';
import { failureClass } from '../../core/failure-class';
import type { Lane } from '../../core/lanes';
import type { Attempt, Decision, Delivery, DeliveryMessage, Endpoint, HeraldEvent, RetryPolicy } from '../../core/model';
import { isFinal } from '../../core/model';
import { headerMap } from '../../core/header-map';
import { displayUrl } from '../../core/target';
import type { DeadLetterRecord, QueuedDelivery, SendResult } from '../../ports';
import type { DeliveryTransition } from '../../ports/delivery-store';
import { COUNT_METRICS, LATENCY_METRICS } from '../../ports/metrics';
import { reportDeadLetter } from './alerts';
import { BatchScope } from './batch-scope';
import { rateWaitMessage } from './rate-gate';
import { parkEntry } from './park-log';
import { errorText, type DeliverDeps } from './deps';
import { checkDegraded } from './degraded';
import { disableEndpoint, flushHealth, tallyAttempt } from './health';
import { gateRecord, handOff, recordVerdict } from './park';

/** The product default when an endpoint has no usable timeout stored. */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** What one message refers to, as loaded for its batch. */
export interface WorkItem {
  readonly message: DeliveryMessage;
  /** The message may duplicate another (a redelivery, or SQS has delivered it before): the attempt takes a lease first. */
  readonly mayDuplicate?: boolean;
  /**
   * SQS delivered this very message before (its record failed, or its worker died): when its attempt was saved, its
   * retry may never have been sent, so it is sent again.
   */
  readonly returned?: boolean;
  /** The delivery: its stored item, or (not stored) as its event's fan-out entry describes it. */
  readonly delivery?: Delivery;
  /** Whether `delivery` has an item. */
  readonly stored?: boolean;
  readonly endpoint?: Endpoint;
  readonly event?: HeraldEvent;
  /**
   * Collects a retry message for the batch's one send, made before any record is acknowledged (processBatch); when
   * absent the message is sent at once.
   */
  readonly sendLater?: (message: QueuedDelivery) => void;
  /** The lane the record arrived on (lib/spec.ts LANE_SPEC). @default 'fast' */
  readonly lane?: Lane;
}

/**
 * `done`: the message may be deleted (handled, or nothing to do). `failed`: the record's own state
 * could not be saved, or its next attempt could not be sent; the message must come back.
 */
export type ItemResult = 'done' | 'failed';

/**
 * Name of the schedule that makes attempt `attempt` of a delivery: the same inputs always give the
 * same name, so creating it again after a crash is a harmless conflict. Names the Scheduler would
 * refuse (over 64 characters or other characters) are replaced by a hash of the delivery id.
 */
export function scheduleName(deliveryId: string, attempt: number): string {
  const name = `${deliveryId}-${attempt}`;
  if (/^[0-9a-zA-Z\-_.]{1,64}$/.test(name)) return name;
  return `h-${createHash('sha256').update(deliveryId).digest('hex').slice(0, 40)}-${attempt}`;
}

/** The endpoint's timeout, within the worker's bound. */
export function effectiveTimeoutMs(endpoint: Pick<Endpoint, 'timeoutMs'>, maxTimeoutMs: number): number {
  const t = endpoint.timeoutMs;
  return Math.min(Number.isFinite(t) && t > 0 ? t : DEFAULT_TIMEOUT_MS, maxTimeoutMs);
}

/** Whether a next attempt at `at` waits in the Scheduler (true) or as an SQS message timer (false). */
export function isLongWait(deps: Pick<DeliverDeps, 'settings'>, at: number, now: number): boolean {
  const short = Math.min(deps.settings.shortDelaySeconds, SQS_MAX_DELAY_SECONDS);
  return !(short > 0 && Math.max(0, Math.ceil((at - now) / 1000)) <= short);
}

/**
 * Handles one message.
 *
 * Nothing is sent when the delivery does not exist (its event is gone, or the id is not one of its fan-out), is
 * final, or has moved past the attempt the message asks for (a duplicate or stale copy: SQS delivers at least
 * once). A possible duplicate that finds its own attempt made and the retry saved sends that retry again without a
 * POST: the worker that made the attempt may have failed to send it. A deleted endpoint cancels the delivery.
 *
 * A disabled endpoint's delivery is parked, not ended: it stays pending/retrying with its next look
 * `disabledRecheckSeconds` ahead (indexed, so the sweep re-enqueues it then), so re-enabling the endpoint
 * resumes delivery without losing anything; it is dead-lettered (`expired`) once it is older than
 * its policy's maximum age, exactly as it would have been had the endpoint kept failing.
 *
 * Otherwise a possible duplicate claims the attempt first (a lease in the delivery item, so two copies never both
 * POST); a fresh message goes straight on. The signed envelope is POSTed, the outcome decided by the core, and the
 * attempt and new state saved in one conditional write. Effects follow: the retry (an SQS message timer within
 * `shortDelaySeconds`, else a Scheduler schedule), sent before the message is acknowledged, so a failure to send
 * it brings the message back; the dead letter and its alert; the endpoint's health tally.
 *
 * `scope` holds what the records of one batch share (each endpoint's policy, headers and signing keys, each
 * event's envelope, the health tally); `processBatch` passes one per batch and writes health after the batch.
 * Without it the record is handled on its own, as a batch of one.
 */
export async function deliverOne(deps: DeliverDeps, item: WorkItem, scope?: BatchScope): Promise<ItemResult> {
  if (scope !== undefined) return deliverInScope(deps, item, scope);
  const own = new BatchScope();
  const result = await deliverInScope(deps, item, own);
  own.parks.log(deps);
  await flushHealth(deps, own);
  await checkDegraded(deps, own.endpointPlans());
  return result;
}

async function deliverInScope(deps: DeliverDeps, item: WorkItem, scope: BatchScope): Promise<ItemResult> {
  const { message, delivery, endpoint, event } = item;
  const stored = item.stored ?? true;
  const ids = { deliveryId: message.deliveryId, attempt: message.attempt };
  if (delivery === undefined || event === undefined) {
    deps.log.warn('delivery not found; message dropped', ids);
    return 'done';
  }
  if (isFinal(delivery.status)) {
    deps.log.info('delivery already final; message dropped', { ...ids, status: delivery.status });
    return 'done';
  }
  if (item.returned === true && message.attempt === delivery.attemptCount && delivery.status === 'retrying' && delivery.nextAttemptAt !== undefined) {
    // Our attempt was saved; its retry may never have been sent (the sender failed or crashed). Send it again.
    deps.log.info('attempt already made; sending its retry again', ids);
    return sendNext(deps, item, delivery, message.attempt + 1, delivery.nextAttemptAt, deps.clock.now(), true);
  }
  if (message.attempt !== delivery.attemptCount + 1) {
    deps.log.info('stale message; dropped', { ...ids, attemptCount: delivery.attemptCount });
    return 'done';
  }
  if (endpoint === undefined) {
    if (await transitionWithoutAttempt(deps, { delivery, stored, status: 'canceled', finalReason: 'endpoint deleted', longWait: false, now: deps.clock.now() })) {
      deps.metrics.count(COUNT_METRICS.canceled);
    }
    return 'done';
  }
  if (endpoint.tenant !== delivery.tenant) {
    // A tenant boundary is never crossed, whatever the store holds: an endpoint's tenant cannot change through the
    // API, so this is an endpoint id reused or an item edited by hand. Nothing is sent.
    deps.log.error('endpoint belongs to another tenant; delivery canceled', { ...ids, endpointId: endpoint.id });
    await transitionWithoutAttempt(deps, {
      delivery,
      stored,
      status: 'canceled',
      finalReason: 'endpoint belongs to another tenant',
      longWait: false,
      now: deps.clock.now(),
    });
    return 'done';
  }
  const plan = scope.plan(deps, endpoint);
  const policy = plan.policy;
  if (endpoint.disabled) {
    await park(deps, delivery, stored, endpoint, policy);
    return 'done';
  }

  const timeoutMs = effectiveTimeoutMs(endpoint, deps.settings.maxTimeoutMs);
  const lane = item.lane ?? 'fast';
  // The circuit breaker and the lanes (park.ts): send, probe, park, or move to the slow lane.
  const gate = await gateRecord(deps, scope, { message, delivery, stored, endpoint, policy, timeoutMs, lane }, (d, s, reason, at) =>
    expire(deps, d, s, endpoint, reason, at),
  );
  if (gate.kind !== 'send') return gate.kind;
  if (endpoint.rateLimitPerSecond !== undefined && deps.rates !== undefined) {
    // The endpoint's rate limit (rate-gate.ts): over it, the record waits for its slot, with no attempt used.
    const slot = await scope.rates.take(deps.rates, endpoint.id, endpoint.rateLimitPerSecond, deps.clock.now());
    if (slot.kind === 'wait') return waitForRate(deps, item, message, endpoint.id, slot.at);
  }

  const startedAt = deps.clock.now();
  const body = scope.body(event, endpoint.id, plan.format, deps.settings.environment);
  // Object.assign rather than spreads: the same own properties, without V8's slower spread-with-extras path.
  const headers = Object.assign(headerMap(), plan.headers, plan.signer.headers(event.id, Math.floor(startedAt / 1000), body, startedAt));
  let leaseUntil: number | undefined;
  if (item.mayDuplicate === true) {
    leaseUntil = startedAt + timeoutMs + deps.settings.leaseMarginMs;
    const claimed = await deps.store.claim({ delivery, attempt: message.attempt, now: startedAt, leaseUntil });
    if (claimed === 'conflict') {
      // Another worker holds the attempt, or the delivery moved on since it was read. The holder may die before it
      // saves anything, and nothing else would send this attempt again: look again once any lease taken by now has
      // run out. The copy is dropped then if the attempt was made.
      deps.log.info('attempt claimed elsewhere or state moved on; looking again after the lease', ids);
      const wait = Math.min(Math.ceil((deps.settings.maxTimeoutMs + deps.settings.leaseMarginMs) / 1000) + 1, SQS_MAX_DELAY_SECONDS);
      return sendNext(deps, item, delivery, message.attempt, startedAt + wait * 1000, startedAt, true, true);
    }
  }

  const result = await deps.sender.send({ url: endpoint.url, headers, body, timeoutMs: gate.timeoutMs });
  if (gate.handOff && result.outcome.kind === 'timeout') return handOff(deps, message, endpoint.id, leaseUntil);
  const now = deps.clock.now();
  const decision = decide({
    outcome: result.outcome,
    attempt: message.attempt - delivery.roundFirstAttempt + 1,
    policy,
    startedAt: delivery.roundStartedAt,
    now,
    random: deps.random,
  });
  const circuit =
    gate.settings === undefined ? undefined : recordVerdict(deps, scope, { endpoint, deliveryId: delivery.id, settings: gate.settings, policy, lane }, result, now);
  // The circuit parks a failure it counted (verdict retry) instead of retrying it: no message, no schedule. A
  // delivery whose policy is done with it (attempts exhausted, maximum age) is dead as without the breaker.
  let parkedBy = decision.kind === 'retry' && (circuit?.kind === 'park_failed' || circuit?.kind === 'reopened') ? circuit : undefined;
  if (parkedBy !== undefined && deps.breaker !== undefined) {
    // In the park log before it is parked (park-log.ts), at the back. If the log cannot be written, the delivery
    // is retried as without the breaker; its next message is parked at the gate.
    try {
      await scope.parkLog.add(deps.breaker.circuits, endpoint.id, parkEntry(delivery, { attemptCount: message.attempt, now }), now);
    } catch (error) {
      deps.log.warn('the park log could not be written; the delivery is retried instead of parked', { ...ids, error: errorText(error) });
      parkedBy = undefined;
    }
  }
  const parked = parkedBy !== undefined;
  const state: Pick<DeliveryTransition, 'status' | 'nextAttemptAt' | 'finalReason'> =
    parkedBy !== undefined ? { status: 'parked', finalReason: parkedBy.reason } : stateAfter(decision);
  const attempt: Attempt = attemptOf(delivery.id, message.attempt, startedAt, result, decision);
  const longWait = !parked && decision.kind === 'retry' && isLongWait(deps, decision.at, now);
  let saved;
  try {
    saved = await deps.store.recordAttempt({
      delivery,
      stored: stored || leaseUntil !== undefined,
      attempt,
      now,
      longWait,
      ...state,
      ...(leaseUntil === undefined ? {} : { leaseUntil }),
    });
  } catch (error) {
    deps.log.error('attempt could not be saved; the message will be retried', { ...ids, error: errorText(error) });
    return 'failed';
  }
  if (saved === 'conflict') {
    deps.log.warn('the delivery moved on before the attempt was saved; another copy owns it', ids);
    return 'done';
  }
  // Written for every attempt, so it stays short; the endpoint id is there for the saved per-endpoint queries
  // (lib/constructs/operations-dashboard.ts), which Logs Insights cannot read out of the delivery id.
  const fields: Record<string, unknown> = {
    deliveryId: message.deliveryId,
    endpointId: endpoint.id,
    attempt: message.attempt,
    outcome: describeOutcome(result.outcome),
    latencyMs: result.latencyMs,
    next: parked ? 'parked' : decision.kind,
  };
  if (decision.kind === 'retry' && !parked) fields.nextAttemptAt = new Date(decision.at).toISOString();
  deps.log.info('attempt', fields);
  recordAttemptMetrics(deps, delivery, result, decision, now);

  tallyAttempt(plan.tally, decision.kind === 'delivered', now, result.latencyMs);
  if (parked) {
    // A failed probe was parked already: it goes to the back of the parked order, it is not parked again.
    if (delivery.status !== 'parked') deps.metrics.count(COUNT_METRICS.parked);
    return 'done';
  }
  if (decision.kind === 'retry') {
    return sendNext(deps, item, delivery, message.attempt + 1, decision.at, now, false);
  }
  if (decision.kind === 'dead') {
    await deadLetter(deps, delivery, endpoint, state.finalReason ?? decision.detail, now, message.attempt, result);
  }
  if (decision.kind === 'canceled' && decision.disableEndpoint) {
    await guarded(
      deps,
      delivery.id,
      'disabling the endpoint',
      disableEndpoint(deps, endpoint, `the retry policy disables the endpoint on this answer (${decision.detail})`, now),
    );
  }
  return 'done';
}

/**
 * The metrics of one saved attempt: its latency, its failure class when it failed, and how the delivery ended
 * when it did (delivered with its publish-to-delivery latency, or canceled; dead is counted where every dead
 * letter goes, {@link deadLetter}).
 */
function recordAttemptMetrics(deps: DeliverDeps, delivery: Delivery, result: SendResult, decision: Decision, now: number): void {
  const { metrics } = deps;
  metrics.latency(LATENCY_METRICS.attempt, result.latencyMs);
  const failed = failureClass(result.outcome);
  if (failed !== undefined) metrics.failed(failed);
  if (decision.kind === 'delivered') {
    metrics.count(COUNT_METRICS.delivered);
    metrics.latency(LATENCY_METRICS.delivery, now - delivery.createdAt);
  } else if (decision.kind === 'canceled') {
    metrics.count(COUNT_METRICS.canceled);
  }
}

/** Sends the record's message again for its rate slot (with the batch's send when there is one); nothing is written. */
async function waitForRate(deps: DeliverDeps, item: WorkItem, message: DeliveryMessage, endpointId: string, at: number): Promise<ItemResult> {
  const queued = rateWaitMessage(message, endpointId, at, deps.clock.now());
  deps.log.info('over the endpoint\'s rate limit; the delivery waits', { deliveryId: message.deliveryId, attempt: message.attempt, delaySeconds: queued.delaySeconds });
  if (item.sendLater !== undefined) {
    item.sendLater(queued);
    return 'done';
  }
  try {
    await deps.queue.send([queued]);
    return 'done';
  } catch (error) {
    deps.log.error('the delivery could not be put back to wait for its rate slot; it will come back', { deliveryId: message.deliveryId, error: errorText(error) });
    return 'failed';
  }
}

/**
 * Sends the message of attempt `attempt` for `at`: with the batch's send when the worker runs a batch, else now.
 * A failure to send (or schedule) fails the record, so its message comes back and the retry is sent again.
 */
async function sendNext(
  deps: DeliverDeps,
  item: WorkItem,
  delivery: Delivery,
  attempt: number,
  at: number,
  now: number,
  redelivery: boolean,
  /** Always through the queue (a look again after a lease), never the Scheduler. */
  queueOnly = false,
): Promise<ItemResult> {
  try {
    await scheduleRetry(deps, delivery, attempt, at, now, redelivery, item.sendLater, queueOnly);
    return 'done';
  } catch (error) {
    deps.log.error('the next attempt could not be sent; the message will come back to send it again', {
      deliveryId: delivery.id,
      attempt,
      error: errorText(error),
    });
    return 'failed';
  }
}

/** The attempt as recorded: optional fields only when there is something to record. */
function attemptOf(deliveryId: string, number: number, startedAt: number, result: SendResult, next: Decision): Attempt {
  const { outcome, latencyMs, error, responseExcerpt } = result;
  if (error === undefined) {
    return responseExcerpt === undefined
      ? { deliveryId, number, startedAt, latencyMs, outcome, next }
      : { deliveryId, number, startedAt, latencyMs, outcome, responseExcerpt, next };
  }
  return responseExcerpt === undefined
    ? { deliveryId, number, startedAt, latencyMs, outcome, error, next }
    : { deliveryId, number, startedAt, latencyMs, outcome, error, responseExcerpt, next };
}

/** The delivery's status, next attempt time and final reason after a decision. */
export function stateAfter(decision: Decision): Pick<DeliveryTransition, 'status' | 'nextAttemptAt' | 'finalReason'> {
  switch (decision.kind) {
    case 'delivered':
      return { status: 'delivered' };
    case 'retry':
      return { status: 'retrying', nextAttemptAt: decision.at };
    case 'dead':
      return { status: 'dead', finalReason: `${decision.reason === 'no_response' ? 'no response' : decision.reason}: ${decision.detail}` };
    case 'canceled':
      return { status: 'canceled', finalReason: decision.detail };
  }
}

/** Saves a state change made without an attempt; false when the delivery had moved on meanwhile. */
async function transitionWithoutAttempt(deps: DeliverDeps, transition: DeliveryTransition): Promise<boolean> {
  const result = await deps.store.transition(transition);
  const fields = { deliveryId: transition.delivery.id, status: transition.status, reason: transition.finalReason };
  if (result === 'conflict') {
    deps.log.info('delivery moved on meanwhile; nothing changed', fields);
    return false;
  }
  deps.log.info('delivery changed without an attempt', fields);
  return true;
}

async function park(deps: DeliverDeps, delivery: Delivery, stored: boolean, endpoint: Endpoint, policy: RetryPolicy): Promise<void> {
  const now = deps.clock.now();
  const deadline = delivery.roundStartedAt + policy.maxAgeSeconds * 1000;
  if (now >= deadline) {
    const reason = `expired: the endpoint is disabled (${endpoint.disabledReason ?? 'no reason given'}) and the delivery reached its maximum age`;
    await expire(deps, delivery, stored, endpoint, reason, now);
    return;
  }
  const nextAttemptAt = Math.min(now + deps.settings.disabledRecheckSeconds * 1000, deadline);
  await transitionWithoutAttempt(deps, {
    delivery,
    stored,
    // A delivery parked by the circuit breaker waits for the recheck like any other (indexed as a long wait).
    status: delivery.status === 'parked' ? (delivery.attemptCount > 0 ? 'retrying' : 'pending') : delivery.status,
    nextAttemptAt,
    // No message waits for the recheck: the sweep finds it in the index when it is due.
    longWait: true,
    ...(delivery.finalReason === undefined ? {} : { finalReason: delivery.finalReason }),
    now,
  });
}

/** Dead-letters a parked delivery that reached its maximum age (parked time uses no attempts, but age still counts). */
async function expire(deps: DeliverDeps, delivery: Delivery, stored: boolean, endpoint: Endpoint, reason: string, now: number): Promise<void> {
  if (await transitionWithoutAttempt(deps, { delivery, stored, status: 'dead', finalReason: reason, longWait: false, now })) {
    await deadLetter(deps, delivery, endpoint, reason, now);
  }
}

/** Waits for an effect that runs after the attempt was saved; its failure is logged, not thrown. */
async function guarded(deps: DeliverDeps, deliveryId: string, what: string, effect: Promise<void>): Promise<void> {
  try {
    await effect;
  } catch (error) {
    deps.log.error(`${what} failed after the attempt was saved`, { deliveryId, error: errorText(error) });
  }
}

/**
 * Sends attempt `attempt` back to the queue with a message timer when due soon enough (through `sendLater` when
 * the batch collects its sends), else schedules it under its deterministic name.
 */
async function scheduleRetry(
  deps: DeliverDeps,
  delivery: Delivery,
  attempt: number,
  at: number,
  now: number,
  redelivery: boolean,
  sendLater?: (message: QueuedDelivery) => void,
  queueOnly = false,
): Promise<void> {
  const message: DeliveryMessage = redelivery ? { deliveryId: delivery.id, attempt, redelivery: true } : { deliveryId: delivery.id, attempt };
  if (queueOnly || !isLongWait(deps, at, now)) {
    const queued: QueuedDelivery = { message, groupId: delivery.endpointId, delaySeconds: Math.max(0, Math.ceil((at - now) / 1000)) };
    if (sendLater !== undefined) sendLater(queued);
    else await deps.queue.send([queued]);
  } else {
    await deps.scheduler.scheduleAt(scheduleName(delivery.id, attempt), at, message);
  }
}

/** Puts the dead letter on the queue and reports it (coalesced). */
async function deadLetter(
  deps: DeliverDeps,
  delivery: Delivery,
  endpoint: Endpoint,
  reason: string,
  now: number,
  attempts: number = delivery.attemptCount,
  result?: SendResult,
): Promise<void> {
  const lastOutcome = result?.outcome ?? delivery.lastOutcome;
  const record: DeadLetterRecord = {
    kind: 'delivery_dead',
    deliveryId: delivery.id,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    tenant: delivery.tenant,
    endpointId: endpoint.id,
    // The record leaves the endpoint's protection (queue consumers, redrive tools): no credentials, no query.
    endpointUrl: displayUrl(endpoint.url),
    attempts,
    ...(lastOutcome === undefined ? {} : { lastOutcome }),
    reason,
    deadAt: new Date(now).toISOString(),
  };
  deps.metrics.count(COUNT_METRICS.dead);
  try {
    await deps.deadLetters.put(record);
  } catch (error) {
    // The delivery is dead in the table (and listed in its dead-letter index); keep the record in the logs.
    deps.log.error('dead-letter queue put failed', { record, error: errorText(error) });
  }
  await reportDeadLetter(deps, record, now);
}

