/**
 * One delivery attempt, from a message on the delivery queue to the recorded outcome and its
 * effects (the next retry, the dead letter, the alert, the endpoint's health).
 */
import { createHash } from 'node:crypto';
import { SQS_MAX_DELAY_SECONDS } from '../../../lib/spec';
import { describeOutcome } from '../../core/classify';
import { decide } from '../../core/decide';
import { failureClass } from '../../core/failure-class';
import type { Attempt, Decision, Delivery, DeliveryMessage, Endpoint, HeraldEvent, RetryPolicy } from '../../core/model';
import { isFinal } from '../../core/model';
import { headerMap } from '../../core/header-map';
import { displayUrl } from '../../core/target';
import type { DeadLetterRecord, SendResult } from '../../ports';
import type { DeliveryTransition } from '../../ports/delivery-store';
import { COUNT_METRICS, LATENCY_METRICS } from '../../ports/metrics';
import { endpointDisabledAlert, reportDeadLetter } from './alerts';
import { BatchScope, type EndpointPlan } from './batch-scope';
import { errorText, type DeliverDeps } from './deps';

/** The product default when an endpoint has no usable timeout stored. */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** A success is written to the endpoint at most this often while nothing else about its health changes. */
const HEALTH_SUCCESS_REFRESH_MS = 60_000;

/** What one message refers to, as loaded for its batch. */
export interface WorkItem {
  readonly message: DeliveryMessage;
  readonly delivery?: Delivery;
  readonly endpoint?: Endpoint;
  readonly event?: HeraldEvent;
}

/**
 * `done`: the message may be deleted (handled, or nothing to do). `failed`: the record's own state
 * could not be saved; the message must come back.
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

/**
 * Handles one message.
 *
 * Nothing is sent when the delivery does not exist, is final, or has moved past the attempt the
 * message asks for (a duplicate or stale copy: SQS delivers at least once). A deleted endpoint
 * cancels the delivery. A missing event dead-letters it (nothing could ever be sent).
 *
 * A disabled endpoint's delivery is parked, not ended: it stays pending/retrying with its next look
 * `disabledRecheckSeconds` ahead (the sweep re-enqueues it then), so re-enabling the endpoint
 * resumes delivery without losing anything; it is dead-lettered (`expired`) once it is older than
 * its policy's maximum age, exactly as it would have been had the endpoint kept failing.
 *
 * Otherwise the attempt is claimed (a lease in the delivery item, so two copies of one message never
 * both POST), the signed envelope POSTed, the outcome decided by the core, and attempt and new
 * state saved under the lease. Effects follow: the retry (an SQS message timer within
 * `shortDelaySeconds`, else a Scheduler schedule), the dead letter and its alert, endpoint health.
 * An effect that fails after the state was saved is logged and the message acknowledged: the
 * delivery's `nextAttemptAt` is saved, so the sweep re-enqueues a retry whose message or schedule was
 * lost.
 *
 * `scope` holds what the records of one batch share (each endpoint's policy, headers and signing
 * keys, each event's envelope, the endpoint health writes made so far); `processBatch` passes one
 * per batch. Without it the record is handled on its own, as a batch of one.
 */
export async function deliverOne(deps: DeliverDeps, item: WorkItem, scope: BatchScope = new BatchScope()): Promise<ItemResult> {
  const { message, delivery, endpoint, event } = item;
  const ids = { deliveryId: message.deliveryId, attempt: message.attempt };
  if (delivery === undefined) {
    deps.log.warn('delivery not found; message dropped', ids);
    return 'done';
  }
  if (isFinal(delivery.status)) {
    deps.log.info('delivery already final; message dropped', { ...ids, status: delivery.status });
    return 'done';
  }
  if (message.attempt !== delivery.attemptCount + 1) {
    deps.log.info('stale message; dropped', { ...ids, attemptCount: delivery.attemptCount });
    return 'done';
  }
  if (endpoint === undefined) {
    if (await transitionWithoutAttempt(deps, { delivery, status: 'canceled', finalReason: 'endpoint deleted', now: deps.clock.now() })) {
      deps.metrics.count(COUNT_METRICS.canceled);
    }
    return 'done';
  }
  if (endpoint.tenant !== delivery.tenant) {
    // A tenant boundary is never crossed, whatever the store holds: an endpoint's tenant cannot change through the
    // API, so this is an endpoint id reused or an item edited by hand. Nothing is sent.
    deps.log.error('endpoint belongs to another tenant; delivery canceled', { ...ids, endpointId: endpoint.id });
    await transitionWithoutAttempt(deps, { delivery, status: 'canceled', finalReason: 'endpoint belongs to another tenant', now: deps.clock.now() });
    return 'done';
  }
  if (event === undefined) {
    const now = deps.clock.now();
    const reason = `event ${delivery.eventId} not found`;
    if (await transitionWithoutAttempt(deps, { delivery, status: 'dead', finalReason: reason, now })) {
      await deadLetter(deps, delivery, endpoint, reason, now);
    }
    return 'done';
  }
  const plan = scope.plan(deps, endpoint);
  const policy = plan.policy;
  if (endpoint.disabled) {
    await park(deps, delivery, endpoint, policy);
    return 'done';
  }

  const startedAt = deps.clock.now();
  const body = scope.body(event, endpoint.id, plan.format, deps.settings.environment);
  // Object.assign rather than spreads: the same own properties, without V8's slower spread-with-extras path.
  const headers = Object.assign(headerMap(), plan.headers, plan.signer.headers(event.id, Math.floor(startedAt / 1000), body, startedAt));
  const timeoutMs = effectiveTimeoutMs(endpoint, deps.settings.maxTimeoutMs);
  const leaseUntil = startedAt + timeoutMs + deps.settings.leaseMarginMs;
  const claimed = await deps.store.claim({ deliveryId: delivery.id, attempt: message.attempt, now: startedAt, leaseUntil });
  if (claimed === 'conflict') {
    deps.log.info('attempt claimed elsewhere or state moved on; message dropped', ids);
    return 'done';
  }

  const result = await deps.sender.send({ url: endpoint.url, headers, body, timeoutMs });
  const now = deps.clock.now();
  const decision = decide({
    outcome: result.outcome,
    attempt: message.attempt - delivery.roundFirstAttempt + 1,
    policy,
    startedAt: delivery.roundStartedAt,
    now,
    random: deps.random,
  });
  const attempt: Attempt = attemptOf(delivery.id, message.attempt, startedAt, result, decision);
  const state = stateAfter(decision);
  let saved;
  try {
    saved = await deps.store.recordAttempt({ delivery, attempt, leaseUntil, now, ...state });
  } catch (error) {
    deps.log.error('attempt could not be saved; the message will be retried', { ...ids, error: errorText(error) });
    return 'failed';
  }
  if (saved === 'conflict') {
    deps.log.warn('lease lost before the attempt was saved; the newer claim owns the delivery', ids);
    return 'done';
  }
  const fields: Record<string, unknown> = {
    deliveryId: message.deliveryId,
    attempt: message.attempt,
    endpointId: endpoint.id,
    outcome: describeOutcome(result.outcome),
    latencyMs: result.latencyMs,
    next: decision.kind,
  };
  if (decision.kind === 'retry') fields.nextAttemptAt = new Date(decision.at).toISOString();
  deps.log.info('attempt', fields);
  recordAttemptMetrics(deps, delivery, result, decision, now);

  const pending = effects(deps, { delivery, endpoint, plan, result, decision, attemptNumber: message.attempt, finalReason: state.finalReason, now });
  if (pending !== undefined) await pending;
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

async function park(deps: DeliverDeps, delivery: Delivery, endpoint: Endpoint, policy: RetryPolicy): Promise<void> {
  const now = deps.clock.now();
  const deadline = delivery.roundStartedAt + policy.maxAgeSeconds * 1000;
  if (now >= deadline) {
    const reason = `expired: the endpoint is disabled (${endpoint.disabledReason ?? 'no reason given'}) and the delivery reached its maximum age`;
    if (await transitionWithoutAttempt(deps, { delivery, status: 'dead', finalReason: reason, now })) {
      await deadLetter(deps, delivery, endpoint, reason, now);
    }
    return;
  }
  const nextAttemptAt = Math.min(now + deps.settings.disabledRecheckSeconds * 1000, deadline);
  await transitionWithoutAttempt(deps, {
    delivery,
    status: delivery.status,
    nextAttemptAt,
    ...(delivery.finalReason === undefined ? {} : { finalReason: delivery.finalReason }),
    now,
  });
}

interface EffectInput {
  readonly delivery: Delivery;
  readonly endpoint: Endpoint;
  readonly plan: EndpointPlan;
  readonly result: SendResult;
  readonly decision: Decision;
  readonly attemptNumber: number;
  readonly finalReason: string | undefined;
  readonly now: number;
}

/**
 * The effects of a saved attempt, or `undefined` when there are none: a delivered attempt to an
 * endpoint whose health needs no write, the common case, costs no promise.
 */
function effects(deps: DeliverDeps, input: EffectInput): Promise<void> | undefined {
  if (input.decision.kind === 'delivered' && !successWriteNeeded(input.endpoint, input.plan, input.now)) return undefined;
  return allEffects(deps, input);
}

async function allEffects(deps: DeliverDeps, input: EffectInput): Promise<void> {
  const { delivery, endpoint, plan, decision, attemptNumber, now } = input;
  if (decision.kind === 'retry') {
    await guarded(deps, delivery.id, 'scheduling the retry', scheduleRetry(deps, delivery, attemptNumber + 1, decision.at, now));
  }
  if (decision.kind === 'dead') {
    await deadLetter(deps, delivery, endpoint, input.finalReason ?? decision.detail, now, attemptNumber, input.result);
  }
  await guarded(deps, delivery.id, 'updating endpoint health', updateHealth(deps, endpoint, plan, decision, now));
  if (decision.kind === 'canceled' && decision.disableEndpoint) {
    await guarded(
      deps,
      delivery.id,
      'disabling the endpoint',
      disable(deps, endpoint, `the retry policy disables the endpoint on this answer (${decision.detail})`, now),
    );
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

/** Sends attempt `attempt` back to the queue with a message timer when due soon enough, else schedules it. */
async function scheduleRetry(deps: DeliverDeps, delivery: Delivery, attempt: number, at: number, now: number): Promise<void> {
  const message: DeliveryMessage = { deliveryId: delivery.id, attempt };
  const delaySeconds = Math.max(0, Math.ceil((at - now) / 1000));
  const short = Math.min(deps.settings.shortDelaySeconds, SQS_MAX_DELAY_SECONDS);
  if (short > 0 && delaySeconds <= short) {
    await deps.queue.send([{ message, groupId: delivery.endpointId, delaySeconds }]);
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

/**
 * Endpoint health. A success ends the failing streak (written only when there was one, or to
 * refresh `lastSuccessAt` at most once a minute, so a busy healthy endpoint is not a write hot spot).
 * A failure extends the streak, and an endpoint whose streak is older than `disableAfterSeconds` is
 * disabled, as Svix does: a receiver that has been failing for days is gone or broken, and
 * retrying its traffic forever only grows the dead-letter queue. A policy with `autoDisable: false`
 * (Virtuous's: "leave the subscription active ... and recover automatically") keeps it enabled. The disable is conditioned on the
 * streak, so a success in between wins, and it alerts once.
 *
 * The endpoint is the one loaded for the batch, so within a batch the decision also looks at the
 * batch's own writes: once a success was written, further successes of the batch write nothing
 * (the streak is ended and `lastSuccessAt` fresh) until a failure of the batch starts a new streak.
 * Without that, every record of a batch that loaded a stale endpoint would write the same refresh.
 */
async function updateHealth(deps: DeliverDeps, endpoint: Endpoint, plan: EndpointPlan, decision: Decision, now: number): Promise<void> {
  if (decision.kind === 'delivered') {
    const previous = plan.lastHealthWrite;
    if (successWriteNeeded(endpoint, plan, now)) {
      plan.lastHealthWrite = 'success';
      try {
        await deps.store.recordEndpointSuccess(endpoint.id, now);
      } catch (error) {
        // Not written: a later success of the batch tries again.
        if (plan.lastHealthWrite === 'success') plan.lastHealthWrite = previous;
        throw error;
      }
    }
    return;
  }
  plan.lastHealthWrite = 'failure';
  const updated = await deps.store.recordEndpointFailure(endpoint.id, now);
  const since = updated?.health.failingSince;
  if (updated === undefined || updated.disabled || since === undefined || !plan.policy.autoDisable) return;
  const limitMs = deps.settings.disableAfterSeconds * 1000;
  if (now - since < limitMs) return;
  const reason =
    `failing since ${new Date(since).toISOString()} with no successful delivery ` +
    `(${updated.health.consecutiveFailures} failed attempts in a row; the limit is ${Math.round(deps.settings.disableAfterSeconds / 3600)} h)`;
  await disable(deps, updated, reason, now, since);
}

/** Whether a success must be written: see {@link updateHealth}. */
function successWriteNeeded(endpoint: Endpoint, plan: EndpointPlan, now: number): boolean {
  const previous = plan.lastHealthWrite;
  if (previous !== undefined) return previous === 'failure';
  const h = endpoint.health;
  const stale = h.lastSuccessAt === undefined || now - h.lastSuccessAt >= HEALTH_SUCCESS_REFRESH_MS;
  return h.consecutiveFailures > 0 || h.failingSince !== undefined || stale;
}

async function disable(deps: DeliverDeps, endpoint: Endpoint, reason: string, now: number, failingSince?: number): Promise<void> {
  const changed = await deps.store.disableEndpoint({
    endpointId: endpoint.id,
    reason,
    now,
    ...(failingSince === undefined ? {} : { failingSince }),
  });
  if (!changed) return;
  deps.log.warn('endpoint disabled', { endpointId: endpoint.id, reason });
  const alert = endpointDisabledAlert(endpoint, reason);
  await Promise.all([
    deps.alerts
      .publish(alert.subject, alert.message)
      .catch((error: unknown) => deps.log.error('endpoint-disabled alert failed', { endpointId: endpoint.id, error: errorText(error) })),
    deps.operational
      .emit({ type: 'endpoint.disabled', data: { endpointId: endpoint.id, url: displayUrl(endpoint.url), tenant: endpoint.tenant, reason } })
      .catch((error: unknown) =>
        deps.log.error('operational webhook failed', { endpointId: endpoint.id, type: 'endpoint.disabled', error: errorText(error) }),
      ),
  ]);
}
