/**
 * Parked deliveries past their maximum age are dead-lettered in bulk (issue 11): parked time uses no attempts, but
 * a delivery's `maxAgeSeconds` still ends it. Runs with every probe of an open circuit (the probe message comes
 * once per probe interval, and the sweep sends one to every endpoint whose attention time passed), so expiry is at
 * most a probe interval late.
 *
 * The endpoint's park log is read oldest first (park-log.ts); each delivery whose round started more than `maxAgeSeconds`
 * ago becomes `dead` (one conditional write, so a delivery released or probed meanwhile is left alone) and goes on
 * the dead-letter queue. The operator hears of them once: one alert for the whole run (or, when the endpoint's
 * alert window is already open, they are counted in it and reported in its one summary), not one per delivery.
 */
import type { DeadLetterRecord } from '../../ports';
import type { Endpoint } from '../../core/model';
import { displayUrl } from '../../core/target';
import { COUNT_METRICS } from '../../ports/metrics';
import { ALERT_SAMPLE_SIZE } from '../../ports/delivery-store';
import { parkedExpiredAlert } from './alerts';
import { policyOf } from './batch-scope';
import { errorText, type DeliverDeps } from './deps';
import { dropEntries, entriesOf, parkedAsLogged, settled } from './park-log';

/** Parked deliveries read per page, and dead-lettered per probe at most (the next probe goes on). */
const PAGE = 100;
const MAX_PER_RUN = 1000;

const iso = (ms: number) => new Date(ms).toISOString();

/** Dead-letters the endpoint's parked deliveries past their maximum age; returns how many. */
export async function expireParked(deps: DeliverDeps, endpoint: Endpoint, now: number): Promise<number> {
  const breaker = deps.breaker;
  if (breaker === undefined) return 0;
  const policy = policyOf(deps, endpoint);
  const maxAgeMs = policy.maxAgeSeconds * 1000;
  // The log's order is the round's start (or, after a failed probe, the time it was parked again, which is
  // later): only entries placed before the cutoff can be past their maximum age, and they come first.
  const cutoff = now - maxAgeMs;
  const reason = `expired: parked while the endpoint's circuit was open, and the delivery reached its maximum age (${policy.maxAgeSeconds} s)`;
  const records: DeadLetterRecord[] = [];
  const due = entriesOf(await breaker.circuits.parkLog(endpoint.id, MAX_PER_RUN, cutoff)).filter(({ entry }) => entry.position < cutoff).slice(0, MAX_PER_RUN);
  const gone: typeof due = [];
  for (let i = 0; i < due.length; i += PAGE) {
    const page = due.slice(i, i + PAGE);
    const loaded = await deps.store.load(page.map(({ entry }) => ({ deliveryId: entry.deliveryId, readDelivery: true })));
    for (const logged of page) {
      const { delivery, stored } = loaded.get(logged.entry.deliveryId) ?? { stored: false };
      if (settled(logged.entry, delivery, stored)) {
        gone.push(logged);
        continue;
      }
      if (delivery === undefined || !parkedAsLogged(logged.entry, delivery, stored) || delivery.roundStartedAt + maxAgeMs > now) continue;
      const saved = await deps.store.transition({ delivery, stored, status: 'dead', finalReason: reason, longWait: false, now });
      if (saved !== 'saved') continue;
      gone.push(logged);
      records.push({
        kind: 'delivery_dead',
        deliveryId: delivery.id,
        eventId: delivery.eventId,
        eventType: delivery.eventType,
        tenant: delivery.tenant,
        endpointId: endpoint.id,
        endpointUrl: displayUrl(endpoint.url),
        attempts: delivery.attemptCount,
        ...(delivery.lastOutcome === undefined ? {} : { lastOutcome: delivery.lastOutcome }),
        reason,
        deadAt: iso(now),
      });
    }
  }
  // Dead letters (and entries settled meanwhile) leave the log: the next run does not read them again.
  if (gone.length > 0) await dropEntries(deps, breaker.circuits, gone);
  if (records.length === 0) return 0;
  deps.metrics.count(COUNT_METRICS.dead, records.length);
  for (const record of records) {
    try {
      await deps.deadLetters.put(record);
    } catch (error) {
      deps.log.error('dead-letter queue put failed', { record, error: errorText(error) });
    }
  }
  deps.log.warn('parked deliveries dead-lettered at their maximum age', { endpointId: endpoint.id, count: records.length });
  await reportExpired(deps, endpoint, records, now);
  return records.length;
}

/** One alert for the run, coalesced with the endpoint's alert window like every dead letter. */
async function reportExpired(deps: DeliverDeps, endpoint: Endpoint, records: readonly DeadLetterRecord[], now: number): Promise<void> {
  const first = records[0]!;
  let registration;
  try {
    registration = await deps.store.registerDeadLetter({
      endpointId: endpoint.id,
      endpointUrl: first.endpointUrl,
      deliveryId: first.deliveryId,
      count: records.length,
      now,
      windowMs: deps.settings.alertWindowSeconds * 1000,
    });
  } catch (error) {
    deps.log.error('dead-letter alert failed', { endpointId: endpoint.id, error: errorText(error) });
    return;
  }
  if (registration.kind === 'suppressed') return;
  const samples = records.slice(0, ALERT_SAMPLE_SIZE).map((r) => r.deliveryId);
  const alert = parkedExpiredAlert(first, records.length, samples, deps.settings.alertWindowSeconds, registration.previous);
  const fail = (what: string) => (error: unknown) => deps.log.error(`${what} failed`, { endpointId: endpoint.id, error: errorText(error) });
  const event = {
    type: 'delivery.dead',
    data: { endpointId: endpoint.id, url: first.endpointUrl, summary: true, count: records.length, windowStart: iso(now), windowEnd: iso(now), sampleDeliveryIds: samples },
  } as const;
  await Promise.all([
    deps.alerts.publish(alert.subject, alert.message).catch(fail('dead-letter alert')),
    deps.operational.emit(event).catch(fail('operational webhook (delivery.dead)')),
    // The tenant's own notice (its contacts and the endpoint's), coalesced by the same window.
    deps.notices.notify({ endpointId: endpoint.id, event, subject: alert.subject, message: alert.message }).catch(fail('tenant notice (delivery.dead)')),
  ]);
}
