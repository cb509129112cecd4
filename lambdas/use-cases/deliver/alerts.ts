/**
 * Operator alerts of the deliver worker: dead letters (coalesced per endpoint) and disabled
 * endpoints. The texts go to e-mail, so they say what happened and what to do about it.
 */
import { describeOutcome } from '../../core/classify';
import { formatDuration } from '../../core/duration';
import { displayUrl } from '../../core/target';
import type { AlertWindow } from '../../ports/delivery-store';
import type { DeadLetterRecord } from '../../ports';
import type { OperationalEvent } from '../../ports/operational-events';
import { announce } from './announce';
import { errorText, type DeliverDeps } from './deps';

export interface AlertText {
  readonly subject: string;
  readonly message: string;
}

/** The URL as shown in alerts (e-mailed): without credentials or query string (core/target.ts). */
export { displayUrl };

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'unknown host';
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function unreportedText(previous: AlertWindow): string {
  return (
    `Also, ${previous.suppressed} earlier dead letter(s) of this endpoint between ${iso(previous.windowStart)} and ` +
    `${iso(previous.windowEnd)} were not reported yet. Examples: ${previous.sampleDeliveryIds.join(', ') || '(none kept)'}.`
  );
}

/** The alert for the first dead letter of an endpoint in a window. */
export function deadLetterAlert(record: DeadLetterRecord, windowSeconds: number, previous?: AlertWindow): AlertText {
  const lines = [
    'Herald gave up on a webhook delivery and put it on the dead-letter queue.',
    '',
    `Endpoint:     ${record.endpointId} ${displayUrl(record.endpointUrl)}`,
    `Delivery:     ${record.deliveryId}`,
    `Event:        ${record.eventId} (${record.eventType})`,
    ...(record.tenant === '' ? [] : [`Tenant:       ${record.tenant}`]),
    `Attempts:     ${record.attempts}`,
    `Last outcome: ${record.lastOutcome === undefined ? 'none' : describeOutcome(record.lastOutcome)}`,
    `Reason:       ${record.reason}`,
    `At:           ${record.deadAt}`,
    '',
    `Redeliver it with POST /v1/deliveries/${record.deliveryId}/retry, or every failed delivery of this endpoint ` +
      `with POST /v1/endpoints/${record.endpointId}/recover.`,
    `Further dead letters of this endpoint in the next ${formatDuration(windowSeconds)} are counted and reported ` +
      'in one summary, not one message each.',
    ...(previous === undefined ? [] : ['', unreportedText(previous)]),
  ];
  return { subject: `Herald: webhook delivery dead-lettered for ${hostOf(record.endpointUrl)}`, message: lines.join('\n') };
}

/** The summary of the dead letters an alert window held back. */
export function summaryAlert(window: AlertWindow): AlertText {
  const lines = [
    `${window.suppressed} more webhook deliveries to one endpoint were dead-lettered after the one already reported.`,
    '',
    `Endpoint: ${window.endpointId} ${displayUrl(window.endpointUrl)}`,
    `Window:   ${iso(window.windowStart)} to ${iso(window.windowEnd)}`,
    `Count:    ${window.suppressed}`,
    `Examples: ${window.sampleDeliveryIds.join(', ') || '(none kept)'}`,
    '',
    `Every one of them is on the dead-letter queue. Redeliver them with POST /v1/endpoints/${window.endpointId}/recover ` +
      'once the endpoint works again.',
  ];
  return {
    subject: `Herald: ${window.suppressed} more dead-lettered deliveries for ${hostOf(window.endpointUrl)}`,
    message: lines.join('\n'),
  };
}

/** The alert when Herald disables an endpoint. */
export function endpointDisabledAlert(endpoint: { id: string; url: string }, reason: string): AlertText {
  const lines = [
    'Herald disabled a webhook endpoint: no more deliveries are attempted until it is enabled again.',
    '',
    `Endpoint: ${endpoint.id} ${displayUrl(endpoint.url)}`,
    `Reason:   ${reason}`,
    '',
    `Deliveries already accepted wait (up to their policy's maximum age). Enable the endpoint with ` +
      `PATCH /v1/endpoints/${endpoint.id} {"disabled": false}, then redeliver failed deliveries with ` +
      `POST /v1/endpoints/${endpoint.id}/recover.`,
  ];
  return { subject: `Herald: endpoint disabled (${hostOf(endpoint.url)})`, message: lines.join('\n') };
}

/** The warning when an endpoint's receiver becomes degraded (slow, or answering too often with non-2xx). */
export function endpointDegradedAlert(endpoint: { id: string; url: string; timeoutMs: number }, reason: string): AlertText {
  const lines = [
    'A webhook endpoint is degraded: its receiver is close to timing out, or answers too often with an error.',
    'Herald still delivers to it; this is a warning, sent once until the endpoint recovers.',
    '',
    `Endpoint: ${endpoint.id} ${displayUrl(endpoint.url)}`,
    `Reason:   ${reason}`,
    '',
    `Look at GET /v1/endpoints/${endpoint.id}/stats (or the console's endpoint page). A receiver that keeps slowing ` +
      `down will time out (its timeout is ${endpoint.timeoutMs} ms); one that keeps failing is retried, then dead-lettered.`,
  ];
  return { subject: `Herald: endpoint degraded (${hostOf(endpoint.url)})`, message: lines.join('\n') };
}

/** The all-clear after {@link endpointDegradedAlert}. */
export function endpointRecoveredAlert(endpoint: { id: string; url: string }, degradedSince: number): AlertText {
  const lines = [
    'A webhook endpoint that was degraded has recovered: over the last hour its response times and its rate of ' +
      'non-2xx answers are within bounds again.',
    '',
    `Endpoint: ${endpoint.id} ${displayUrl(endpoint.url)}`,
    `Degraded: since ${iso(degradedSince)}`,
  ];
  return { subject: `Herald: endpoint recovered (${hostOf(endpoint.url)})`, message: lines.join('\n') };
}

/**
 * Reports one dead letter, coalesced per endpoint: the first dead letter of a window is published at
 * once; later ones in the window only count (the periodic flush publishes one summary per window),
 * so an outage of an endpoint with thousands of queued deliveries sends a handful of e-mails, not
 * thousands. A failure to publish is logged: the dead letter itself is on the queue and in the table.
 */
export async function reportDeadLetter(
  deps: Pick<DeliverDeps, 'store' | 'alerts' | 'operational' | 'notices' | 'log' | 'settings'>,
  record: DeadLetterRecord,
  now: number,
): Promise<void> {
  const windowSeconds = deps.settings.alertWindowSeconds;
  const ids = { deliveryId: record.deliveryId, endpointId: record.endpointId };
  let registration;
  try {
    registration = await deps.store.registerDeadLetter({
      endpointId: record.endpointId,
      endpointUrl: record.endpointUrl,
      deliveryId: record.deliveryId,
      now,
      windowMs: windowSeconds * 1000,
    });
  } catch (error) {
    deps.log.error('dead-letter alert failed', { ...ids, error: errorText(error) });
    return;
  }
  if (registration.kind === 'suppressed') return;
  await announce(deps, 'dead-letter', deadLetterAlert(record, windowSeconds, registration.previous), deadLetterEvent(record), ids);
}

/** The `delivery.dead` operational event of one dead letter. */
export function deadLetterEvent(record: DeadLetterRecord): OperationalEvent {
  return {
    type: 'delivery.dead',
    data: {
      endpointId: record.endpointId,
      url: displayUrl(record.endpointUrl),
      tenant: record.tenant,
      summary: false,
      deliveryId: record.deliveryId,
      eventId: record.eventId,
      eventType: record.eventType,
      attempts: record.attempts,
      reason: record.reason,
      ...(record.lastOutcome === undefined ? {} : { lastOutcome: describeOutcome(record.lastOutcome) }),
    },
  };
}

/** The `delivery.dead` summary of the dead letters an alert window held back. */
export function deadLetterSummaryEvent(window: AlertWindow): OperationalEvent {
  return {
    type: 'delivery.dead',
    data: {
      endpointId: window.endpointId,
      url: displayUrl(window.endpointUrl),
      summary: true,
      count: window.suppressed,
      windowStart: iso(window.windowStart),
      windowEnd: iso(window.windowEnd),
      sampleDeliveryIds: window.sampleDeliveryIds,
    },
  };
}

/** The e-mail when an endpoint's circuit opens (use-cases/deliver/circuit-notices.ts). */
export function circuitOpenedAlert(endpoint: { id: string; url: string; tenant: string }, reason: string, nextProbeAt: number): AlertText {
  const lines = [
    "Herald opened a webhook endpoint's circuit breaker: it failed too many attempts in a row.",
    '',
    `Endpoint:   ${endpoint.id} ${displayUrl(endpoint.url)}`,
    ...(endpoint.tenant === '' ? [] : [`Tenant:     ${endpoint.tenant}`]),
    `Reason:     ${reason}`,
    `Next probe: ${iso(nextProbeAt)}`,
    '',
    'Its deliveries are parked (kept, not attempted, using no attempts) and one of them is sent as a probe per ' +
      'interval. The first successful probe closes the circuit and the parked deliveries are released, oldest first. ' +
      'Deliveries still parked at their maximum age are dead-lettered.',
    `See the circuit with GET /v1/endpoints/${endpoint.id}.`,
  ];
  return { subject: `Herald: circuit opened for ${hostOf(endpoint.url)}`, message: lines.join('\n') };
}

/**
 * The one alert for the parked deliveries of an endpoint that reached their maximum age together
 * (use-cases/deliver/expire-parked.ts).
 */
export function parkedExpiredAlert(
  first: DeadLetterRecord,
  count: number,
  sampleDeliveryIds: readonly string[],
  windowSeconds: number,
  previous?: AlertWindow,
): AlertText {
  const lines = [
    `Herald gave up on ${count} webhook deliveries that waited behind an open circuit breaker until their maximum age, and put them on the dead-letter queue.`,
    '',
    `Endpoint: ${first.endpointId} ${displayUrl(first.endpointUrl)}`,
    `Count:    ${count}`,
    `Examples: ${sampleDeliveryIds.join(', ')}`,
    `Reason:   ${first.reason}`,
    `At:       ${first.deadAt}`,
    '',
    `Redeliver them with POST /v1/endpoints/${first.endpointId}/recover once the endpoint works again.`,
    `Further dead letters of this endpoint in the next ${formatDuration(windowSeconds)} are counted and reported ` +
      'in one summary, not one message each.',
    ...(previous === undefined ? [] : ['', unreportedText(previous)]),
  ];
  return { subject: `Herald: ${count} parked deliveries dead-lettered for ${hostOf(first.endpointUrl)}`, message: lines.join('\n') };
}
