/**
 * Tenant notices of circuit changes (issue 15 item 9 on issue 11's breaker): when an endpoint's circuit opens
 * (deliveries are parked) or closes again (they are released), the endpoint's and its tenant's contacts hear it once,
 * from the worker whose conditional circuit save made the change. The operator's own alerts are not changed here.
 */
import type { Circuit } from '../../core/circuit';
import type { Endpoint } from '../../core/model';
import { displayUrl } from '../../core/target';
import type { OperationalEvent } from '../../ports/operational-events';
import type { AlertText } from './alerts';
import { errorText, type DeliverDeps } from './deps';

/** The notice of a circuit change, or undefined when the change is not one a tenant hears about (open → half-open → open). */
export function circuitNotice(endpoint: Pick<Endpoint, 'id' | 'url' | 'tenant'>, before: Circuit, after: Circuit): { event: OperationalEvent; text: AlertText } | undefined {
  const ref = { endpointId: endpoint.id, url: displayUrl(endpoint.url), tenant: endpoint.tenant };
  const host = (() => {
    try {
      return new URL(endpoint.url).host;
    } catch {
      return 'unknown host';
    }
  })();
  if (before.state === 'closed' && after.state === 'open') {
    const nextProbeAt = new Date(after.nextProbeAt).toISOString();
    return {
      event: { type: 'endpoint.circuit_opened', data: { ...ref, reason: after.reason, nextProbeAt } },
      text: {
        subject: `Herald: deliveries paused for ${host} (circuit open)`,
        message: [
          'Herald stopped sending to a webhook endpoint for now: it kept failing. New deliveries are kept (parked), not lost.',
          '',
          `Endpoint:   ${endpoint.id} ${displayUrl(endpoint.url)}`,
          `Reason:     ${after.reason}`,
          `Next probe: ${nextProbeAt}`,
          '',
          'Herald probes the endpoint with one delivery at a time; once one succeeds the parked deliveries are released.',
        ].join('\n'),
      },
    };
  }
  if (before.state !== 'closed' && after.state === 'closed') {
    return {
      event: { type: 'endpoint.circuit_closed', data: ref },
      text: {
        subject: `Herald: deliveries resumed for ${host} (circuit closed)`,
        message: [
          'A webhook endpoint answers again: Herald resumed sending to it and releases the deliveries it kept meanwhile.',
          '',
          `Endpoint: ${endpoint.id} ${displayUrl(endpoint.url)}`,
        ].join('\n'),
      },
    };
  }
  return undefined;
}

/** Sends the tenant notice of a circuit change, if it is one; a failure is logged (the circuit is already saved). */
export async function noticeCircuitChange(deps: Pick<DeliverDeps, 'notices' | 'log'>, endpoint: Pick<Endpoint, 'id' | 'url' | 'tenant'>, before: Circuit, after: Circuit): Promise<void> {
  const notice = circuitNotice(endpoint, before, after);
  if (notice === undefined) return;
  await deps.notices
    .notify({ endpointId: endpoint.id, event: notice.event, subject: notice.text.subject, message: notice.text.message })
    .catch((error: unknown) => deps.log.error('tenant notice failed', { endpointId: endpoint.id, type: notice.event.type, error: errorText(error) }));
}
