/**
 * A `probe` control message (core/control.ts): the endpoint's circuit is open and its probe may be due. Parked
 * deliveries past their maximum age are dead-lettered first (expire-parked.ts). The oldest
 * parked delivery becomes the probe: the open → half-open move is saved conditionally (one worker probes), and the
 * delivery goes to the slow lane as a possible duplicate (it takes the lease there). The probe's outcome closes the
 * circuit or opens it again (batch-circuits.ts, circuit-effects.ts).
 */
import { CLOSED, stepCircuit } from '../../core/circuit';
import type { ItemResult } from './deliver-one';
import { effectiveTimeoutMs } from './deliver-one';
import { probeMessage, releaseMessage } from './circuit-effects';
import { errorText, type DeliverDeps } from './deps';
import { expireParked } from './expire-parked';
import { announceCircuit } from './circuit-notices';
import { breakerSettings } from './park';
import { dropEntries, entriesOf, parkedAsLogged, settled } from './park-log';
import type { ParkEntry } from '../../ports/circuit-store';

/** Log entries looked at by each read when choosing the probe: a few, then more if none of those is parked. */
const CANDIDATE_PAGES = [10, 40, 100] as const;

/**
 * The oldest parked delivery, by the park log: the first entry whose delivery is parked with the entry's attempt
 * count. Entries passed on the way whose delivery is settled (final, or a later attempt made, as a failed probe's
 * old entry is) leave the log, so the next probe does not read them again.
 */
async function probeCandidate(deps: DeliverDeps, endpointId: string): Promise<ParkEntry | undefined> {
  const breaker = deps.breaker!;
  for (const size of CANDIDATE_PAGES) {
    const page = entriesOf(await breaker.circuits.parkLog(endpointId, size)).slice(0, size);
    if (page.length === 0) return undefined;
    const loaded = await deps.store.load(page.map(({ entry }) => ({ deliveryId: entry.deliveryId, readDelivery: true })));
    const stateOf = (entry: ParkEntry) => loaded.get(entry.deliveryId) ?? { stored: false };
    const candidate = page.find(({ entry }) => parkedAsLogged(entry, stateOf(entry).delivery, stateOf(entry).stored));
    const gone = page.filter(({ entry }) => settled(entry, stateOf(entry).delivery, stateOf(entry).stored));
    if (gone.length > 0) await dropEntries(deps, breaker.circuits, gone);
    if (candidate !== undefined) return candidate.entry;
    // The whole log read, and none of it parked: its deliveries are being parked right now, or moving on.
    if (page.length < size && gone.length === 0) return undefined;
  }
  return undefined;
}

export async function handleProbe(deps: DeliverDeps, endpointId: string): Promise<ItemResult> {
  const breaker = deps.breaker;
  if (breaker === undefined) return 'done';
  const endpoint = await breaker.circuits.endpoint(endpointId);
  const now = deps.clock.now();
  if (endpoint === undefined) {
    // Deleted while deliveries were parked: release them, each is then canceled ("endpoint deleted").
    await deps.queue.send([releaseMessage(endpointId)]);
    return 'done';
  }
  try {
    // Parked deliveries past their maximum age are dead-lettered in bulk, one alert (expire-parked.ts).
    await expireParked(deps, endpoint, now);
  } catch (error) {
    deps.log.error('parked deliveries could not be expired; the next probe tries again', { endpointId, error: errorText(error) });
  }
  const circuit = endpoint.circuit ?? CLOSED;
  const settings = breakerSettings(deps, breaker, endpoint, effectiveTimeoutMs(endpoint, deps.settings.maxTimeoutMs));
  if (circuit.state === 'closed' || !settings.enabled || endpoint.disabled) {
    // Closed (or the breaker turned off): whatever is still parked is released. Disabled: its deliveries wait
    // for the recheck instead (deliver-one.ts), and the release hands them over to it.
    if ((await breaker.circuits.parkLog(endpointId, 1)).length > 0) {
      await deps.queue.send([releaseMessage(endpointId)]);
    } else {
      const next = settings.enabled ? circuit : CLOSED;
      if ((await breaker.circuits.save({ endpointId, expected: circuit, next, attentionAt: null })) === 'saved') await announceCircuit(deps, endpoint, circuit, next);
    }
    return 'done';
  }
  const candidate = await probeCandidate(deps, endpointId);
  const step = stepCircuit(circuit, candidate === undefined ? { kind: 'probe_due', now } : { kind: 'probe_due', candidate: candidate.deliveryId, now }, settings);
  switch (step.action.kind) {
    case 'wait': {
      const next = probeMessage(endpointId, step.action.at, now);
      if (next !== undefined) await deps.queue.send([next]);
      return 'done';
    }
    case 'closed':
      if ((await breaker.circuits.save({ endpointId, expected: circuit, next: step.circuit, attentionAt: null })) === 'saved') {
        deps.log.info('circuit closed: nothing parked to probe with', { endpointId });
        await announceCircuit(deps, endpoint, circuit, step.circuit, async () => 0);
      }
      return 'done';
    case 'probe': {
      if (candidate === undefined) return 'done';
      const saved = await breaker.circuits.save({ endpointId, expected: circuit, next: step.circuit, attentionAt: now + settings.probePatienceMs });
      if (saved === 'conflict') {
        deps.log.info('the circuit moved on meanwhile; another worker probes', { endpointId });
        return 'done';
      }
      deps.log.info('probing an open circuit', { endpointId, deliveryId: candidate.deliveryId });
      await breaker.slowQueue.send([
        { message: { deliveryId: candidate.deliveryId, attempt: candidate.attemptCount + 1, redelivery: true }, groupId: endpointId },
      ]);
      return 'done';
    }
    default:
      return 'done';
  }
}
