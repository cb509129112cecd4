/**
 * What the circuit breaker tells the operator when an endpoint's circuit opens or closes: the
 * `endpoint.circuit_opened` / `endpoint.circuit_closed` operational events (lambdas/ports/operational-events.ts),
 * an e-mail when it opens (the same topic as the dead-letter and disabled-endpoint alerts), and the deployment-level
 * `CircuitOpen` metric. A circuit that opens again after a failed probe was already open: nothing is said again, so a
 * long outage is one alert, not one per probe.
 */
import type { Circuit } from '../../core/circuit';
import { displayUrl } from '../../core/target';
import { COUNT_METRICS } from '../../ports/metrics';
import { circuitOpenedAlert } from './alerts';
import { noticeCircuitChange } from './circuit-tenant-notice';
import { errorText, type DeliverDeps } from './deps';

/** The endpoint as the notices name it. */
export interface NoticeEndpoint {
  readonly id: string;
  readonly url: string;
  readonly tenant: string;
}

/**
 * Announces a circuit change from `before` to `after`: opened (closed → open) or closed (open or half-open →
 * closed). Any other change (open → half-open for a probe, a failed probe) says nothing. Best effort: a failure
 * to send is logged, never thrown; the circuit itself is already saved.
 */
export async function announceCircuit(
  deps: Pick<DeliverDeps, 'alerts' | 'operational' | 'notices' | 'metrics' | 'log'>,
  endpoint: NoticeEndpoint,
  before: Circuit,
  after: Circuit,
  parked?: () => Promise<number>,
): Promise<void> {
  const ref = { endpointId: endpoint.id, url: displayUrl(endpoint.url), tenant: endpoint.tenant };
  // The tenant hears about the same changes, through its own contacts and the endpoint's (issue 15).
  await noticeCircuitChange(deps, endpoint, before, after);
  const fail = (what: string) => (error: unknown) => deps.log.error(`${what} failed`, { endpointId: endpoint.id, error: errorText(error) });
  if (before.state === 'closed' && after.state === 'open') {
    deps.metrics.count(COUNT_METRICS.circuitOpen);
    const alert = circuitOpenedAlert(endpoint, after.reason, after.nextProbeAt);
    // The e-mail and the operational webhook are independent: one failing does not hold back the other.
    await Promise.all([
      deps.alerts.publish(alert.subject, alert.message).catch(fail('circuit-opened alert')),
      deps.operational
        .emit({ type: 'endpoint.circuit_opened', data: { ...ref, reason: after.reason, nextProbeAt: new Date(after.nextProbeAt).toISOString() } })
        .catch(fail('operational webhook (endpoint.circuit_opened)')),
    ]);
    return;
  }
  if (before.state !== 'closed' && after.state === 'closed') {
    let count: number | undefined;
    try {
      count = parked === undefined ? undefined : await parked();
    } catch (error) {
      fail('counting parked deliveries')(error);
    }
    await deps.operational
      .emit({ type: 'endpoint.circuit_closed', data: count === undefined ? ref : { ...ref, parked: count } })
      .catch(fail('operational webhook (endpoint.circuit_closed)'));
  }
}
