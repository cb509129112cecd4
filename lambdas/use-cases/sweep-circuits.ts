/**
 * The sweep's part of the circuit breaker: endpoints in the `OPEN` attention index whose time has come (a probe
 * due beyond the SQS timer range, a probe whose result never came back, or a release loop whose message was lost)
 * get a `probe` control message. The worker decides the rest (use-cases/deliver/probe.ts): probe the oldest parked
 * delivery, wait, close the circuit, or restart the release.
 */
import type { CircuitStore } from '../ports/circuit-store';
import type { Clock, DeliveryQueue } from '../ports';

export interface SweepCircuitsDeps {
  readonly circuits: Pick<CircuitStore, 'needingAttention'>;
  readonly queue: DeliveryQueue;
  readonly clock: Clock;
  /** Upper bound of endpoints looked at per run. @default 500 */
  readonly maxPerRun?: number;
}

/** Sends a probe control message for every endpoint whose attention time has passed; returns how many. */
export async function sweepCircuits(deps: SweepCircuitsDeps): Promise<number> {
  const due = await deps.circuits.needingAttention(deps.clock.now(), deps.maxPerRun ?? 500);
  if (due.length === 0) return 0;
  await deps.queue.send(due.map((endpointId) => ({ message: { control: 'probe' as const, endpointId }, groupId: endpointId })));
  return due.length;
}
