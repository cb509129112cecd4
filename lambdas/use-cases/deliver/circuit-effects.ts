/**
 * After a batch: each endpoint circuit the batch changed is saved once, conditioned on the circuit the batch loaded
 * (or last saved), and what the change calls for is sent: a delayed probe message when the circuit opened (or a
 * probe failed), a release message when it closed with deliveries parked, and the operator's notices when it opened
 * or closed (circuit-notices.ts).
 */
import { SQS_MAX_DELAY_SECONDS } from '../../../lib/spec';
import { nextProbeTime } from '../../core/circuit';
import type { QueuedDelivery } from '../../ports';
import type { BatchScope } from './batch-scope';
import { announceCircuit } from './circuit-notices';
import { errorText, type DeliverDeps } from './deps';

/** A probe control message for `at`: an SQS timer up to its 900 s maximum; a later probe is sent by the sweep. */
export function probeMessage(endpointId: string, at: number, now: number): QueuedDelivery | undefined {
  const delay = Math.max(0, Math.ceil((at - now) / 1000));
  if (delay > SQS_MAX_DELAY_SECONDS) return undefined;
  return { message: { control: 'probe', endpointId }, groupId: endpointId, delaySeconds: delay };
}

/** The first (or next) release step of an endpoint's parked deliveries. */
export function releaseMessage(endpointId: string, after?: string, delaySeconds = 0): QueuedDelivery {
  return {
    message: after === undefined ? { control: 'release', endpointId } : { control: 'release', endpointId, after },
    groupId: endpointId,
    ...(delaySeconds > 0 ? { delaySeconds } : {}),
  };
}

/**
 * Saves the batch's circuit changes and sends their messages. A save that finds the circuit changed by another
 * worker is dropped (that worker's transition stands, and it sends its own messages); a failure to send is logged:
 * the endpoint carries its attention time in the `OPEN` index, so the sweep sends the probe or release instead.
 */
export async function flushCircuits(deps: DeliverDeps, scope: BatchScope): Promise<void> {
  const breaker = deps.breaker;
  if (breaker === undefined) return;
  for (const change of scope.circuits.changes()) {
    if (!change.save) {
      // Nothing to save: an attempt was parked by a circuit that was open (or half-open) when the batch loaded it.
      await releaseIfClosedMeanwhile(deps, change.endpointId);
      continue;
    }
    const now = deps.clock.now();
    const probeAt = nextProbeTime(change.after);
    // Not closed: the sweep looks again at the next probe. Closed with parked deliveries: now, until released.
    const attentionAt = probeAt !== undefined ? probeAt : change.release ? now : undefined;
    try {
      const saved = await breaker.circuits.save({
        endpointId: change.endpointId,
        expected: change.before,
        next: change.after,
        ...(attentionAt === undefined ? {} : { attentionAt }),
      });
      if (saved === 'conflict') {
        deps.log.info('circuit changed by another worker meanwhile; this batch’s change dropped', { endpointId: change.endpointId });
        if (change.parked) await releaseIfClosedMeanwhile(deps, change.endpointId);
        continue;
      }
      if (change.before.state !== change.after.state) {
        deps.log.info('circuit', { endpointId: change.endpointId, from: change.before.state, to: change.after.state, ...reasonOf(change.after) });
        const endpoint = scope.endpointPlans().find((plan) => plan.endpoint.id === change.endpointId)?.endpoint;
        if (endpoint !== undefined) await announceCircuit(deps, endpoint, change.before, change.after, () => breaker.circuits.countParked(change.endpointId));
      }
      const messages: QueuedDelivery[] = [];
      if (change.probeAt !== undefined) {
        const probe = probeMessage(change.endpointId, change.probeAt, now);
        if (probe !== undefined) messages.push(probe);
      }
      if (change.release) messages.push(releaseMessage(change.endpointId));
      if (messages.length > 0) await deps.queue.send(messages);
    } catch (error) {
      deps.log.error('the circuit change could not be saved or its messages sent; the sweep will follow up', {
        endpointId: change.endpointId,
        error: errorText(error),
      });
    }
  }
}

function reasonOf(circuit: { readonly state: string; readonly reason?: string }): { reason?: string } {
  return circuit.reason === undefined ? {} : { reason: circuit.reason };
}

/**
 * A batch that loaded the endpoint while its circuit was open can park a delivery after the circuit closed and its
 * release ran; a batch whose circuit opened can park its failed attempts and then find its change dropped because
 * another worker's closed the circuit: nothing would ever release those. So after each such park the endpoint is
 * read again, and when its circuit is closed by now a release is started (it releases what is parked, and finds
 * nothing when another did).
 * A failure here is logged: the sweep's next look at the endpoint releases it.
 */
export async function releaseIfClosedMeanwhile(deps: DeliverDeps, endpointId: string): Promise<void> {
  const breaker = deps.breaker;
  if (breaker === undefined) return;
  try {
    const endpoint = await breaker.circuits.endpoint(endpointId);
    if (endpoint === undefined || endpoint.disabled || (endpoint.circuit?.state ?? 'closed') !== 'closed') return;
    await deps.queue.send([releaseMessage(endpointId)]);
    deps.log.info('circuit closed while a delivery was being parked; release started', { endpointId });
  } catch (error) {
    deps.log.error('could not check the circuit after parking; the sweep will release it', { endpointId, error: errorText(error) });
  }
}
