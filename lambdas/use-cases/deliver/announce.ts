/**
 * How the worker tells people about an endpoint: the operator's alert (SNS e-mail), the operator's operational
 * webhook, and the tenant's own notice (to the contacts of the endpoint and of its tenant), independently (one failing
 * does not hold back the others), each failure logged: a notice is advice, the deliveries are already saved.
 */
import type { OperationalEvent } from '../../ports/operational-events';
import type { AlertText } from './alerts';
import { errorText, type DeliverDeps } from './deps';

export async function announce(
  deps: Pick<DeliverDeps, 'alerts' | 'operational' | 'notices' | 'log'>,
  /** Names the alert in the log line of a failure: `dead-letter alert failed`. */
  label: string,
  alert: AlertText,
  event: OperationalEvent,
  fields: Readonly<Record<string, unknown>>,
): Promise<void> {
  await Promise.all([
    deps.alerts.publish(alert.subject, alert.message).catch((error: unknown) => deps.log.error(`${label} alert failed`, { ...fields, error: errorText(error) })),
    deps.operational
      .emit(event)
      .catch((error: unknown) => deps.log.error('operational webhook failed', { ...fields, type: event.type, error: errorText(error) })),
    deps.notices
      .notify({ endpointId: event.data.endpointId, event, subject: alert.subject, message: alert.message })
      .catch((error: unknown) => deps.log.error('tenant notice failed', { ...fields, type: event.type, error: errorText(error) })),
  ]);
}
