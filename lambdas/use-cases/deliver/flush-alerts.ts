import type { Alerts, Clock } from '../../ports';
import type { OperationalEvents } from '../../ports/operational-events';
import type { TenantNotices } from '../../ports/tenant-notices';
import type { AlertWindowStore } from '../../ports/delivery-store';
import { deadLetterSummaryEvent, summaryAlert } from './alerts';
import { errorText, type Logger } from './deps';

export interface FlushAlertsDeps {
  readonly store: AlertWindowStore;
  readonly alerts: Alerts;
  /** The summaries go to the operational webhook too. */
  readonly operational: OperationalEvents;
  /** And to the contacts of the endpoint and of its tenant. */
  readonly notices: TenantNotices;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Windows read per query; a flush keeps querying until none is left (bounded by `maxWindows`). */
const PAGE = 25;

/**
 * Publishes one summary per ended alert window that held dead letters back (the periodic sweep
 * calls this every minute). Each window is first marked reported with a conditional write, so two
 * flushes running at once, or a dead letter opening the endpoint's next window at the same moment,
 * never report the same dead letters twice.
 *
 * The summary also goes to the operational webhook, when the deployment names one, and to the contacts of the
 * endpoint and of its tenant (tenant notices).
 *
 * A window whose summary fails to publish is logged and not retried: its dead letters are on the
 * dead-letter queue, whose depth alarm alerts too.
 *
 * @returns how many summaries were published
 */
export async function flushAlerts(deps: FlushAlertsDeps, options: { maxWindows?: number } = {}): Promise<number> {
  const maxWindows = options.maxWindows ?? 500;
  const now = deps.clock.now();
  let published = 0;
  let seen = 0;
  while (seen < maxWindows) {
    const windows = await deps.store.endedAlertWindows(now, Math.min(PAGE, maxWindows - seen));
    if (windows.length === 0) break;
    let closedAny = false;
    for (const window of windows) {
      seen++;
      if (!(await deps.store.closeAlertWindow(window))) continue;
      closedAny = true;
      const alert = summaryAlert(window);
      const event = deadLetterSummaryEvent(window);
      const fields = { endpointId: window.endpointId, suppressed: window.suppressed };
      const [sent] = await Promise.all([
        deps.alerts.publish(alert.subject, alert.message).then(
          () => true,
          (error: unknown) => {
            deps.log.error('alert summary failed', { ...fields, error: errorText(error) });
            return false;
          },
        ),
        deps.operational
          .emit(event)
          .catch((error: unknown) => deps.log.error('operational webhook failed', { ...fields, type: 'delivery.dead', error: errorText(error) })),
        deps.notices
          .notify({ endpointId: window.endpointId, event, subject: alert.subject, message: alert.message })
          .catch((error: unknown) => deps.log.error('tenant notice failed', { ...fields, type: 'delivery.dead', error: errorText(error) })),
      ]);
      if (sent) published++;
    }
    // The index is eventually consistent: windows it still lists but that are already closed are skipped, not re-read forever.
    if (!closedAny) break;
  }
  return published;
}
