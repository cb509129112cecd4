/**
 * The receiver-health warning (issue 15 item 8): after a batch, an endpoint whose attempts showed trouble (a failure,
 * or an answer slower than 80 % of its timeout) has its last hour looked at; when the p95 response time passes 80 %
 * of its timeout or its non-2xx rate passes the baseline, it is marked degraded and one `endpoint.degraded` warning
 * goes out (alert e-mail and operational webhook). The mark lives on the endpoint item and is written only when the
 * state changes (a conditional write, so two workers cannot both announce it); while it stays, nothing is written or
 * sent again. An endpoint marked degraded is looked at again as its traffic goes on, and `endpoint.recovered` goes out
 * once when its last hour is clean.
 *
 * Cost: no write on the hot path. A look reads the endpoint's recent deliveries (about 8 strongly consistent Queries
 * per 100 deliveries), at most once per endpoint per {@link RECEIVER_CHECK_INTERVAL_MS} in each worker container, and
 * only for endpoints that showed trouble or are marked degraded: a healthy endpoint is never looked at.
 */
import { degradedStep, receiverHealth, RECEIVER_WINDOW_MS, SLOW_SHARE_OF_TIMEOUT } from '../../core/receiver-health';
import { displayUrl } from '../../core/target';
import type { RecentAttempts } from '../../ports/delivery-store';
import { endpointDegradedAlert, endpointRecoveredAlert } from './alerts';
import { announce } from './announce';
import type { EndpointPlan } from './batch-scope';
import { errorText, type DeliverDeps } from './deps';

/** One container looks at one endpoint's last hour at most this often. */
export const RECEIVER_CHECK_INTERVAL_MS = 5 * 60_000;

/** Endpoints a container remembers having looked at; past this the memory starts afresh (a few extra looks). */
const MAX_REMEMBERED = 10_000;

/** The recent attempts of endpoints, and when this container last looked at each (in memory: no write). */
export class ReceiverWatch {
  private readonly lookedAt = new Map<string, number>();

  constructor(
    readonly history: RecentAttempts,
    private readonly intervalMs: number = RECEIVER_CHECK_INTERVAL_MS,
  ) {}

  /** Whether the endpoint may be looked at now; if so, the look is remembered. */
  take(endpointId: string, now: number): boolean {
    const last = this.lookedAt.get(endpointId);
    if (last !== undefined && now - last < this.intervalMs) return false;
    if (this.lookedAt.size >= MAX_REMEMBERED) this.lookedAt.clear();
    this.lookedAt.set(endpointId, now);
    return true;
  }
}

/** Whether a batch's attempts to the endpoint call for a look at its last hour. */
export function needsLook(plan: Pick<EndpointPlan, 'endpoint' | 'tally'>): boolean {
  const { endpoint, tally } = plan;
  if (endpoint.degraded !== undefined) return true;
  return tally.lastFailureAt !== undefined || (tally.slowestMs ?? 0) > endpoint.timeoutMs * SLOW_SHARE_OF_TIMEOUT;
}

/** Looks at the endpoints of a batch that call for it, and announces each change of their warning state once. */
export async function checkDegraded(deps: DeliverDeps, plans: readonly Pick<EndpointPlan, 'endpoint' | 'tally'>[]): Promise<void> {
  await Promise.all(
    plans.map(async (plan) => {
      const { endpoint } = plan;
      const now = deps.clock.now();
      if (!needsLook(plan) || !deps.receivers.take(endpoint.id, now)) return;
      try {
        const attempts = await deps.receivers.history.recentAttempts(endpoint.id, now - RECEIVER_WINDOW_MS);
        const step = degradedStep(endpoint.degraded, receiverHealth({ attempts, now, timeoutMs: endpoint.timeoutMs }));
        const ref = { endpointId: endpoint.id, url: displayUrl(endpoint.url), tenant: endpoint.tenant };
        if (step.kind === 'degraded') {
          if (!(await deps.store.markDegraded({ endpointId: endpoint.id, reason: step.reason, now }))) return;
          deps.log.warn('endpoint degraded', { endpointId: endpoint.id, reason: step.reason });
          await announce(deps, 'endpoint-degraded', endpointDegradedAlert(endpoint, step.reason), { type: 'endpoint.degraded', data: { ...ref, reason: step.reason } }, { endpointId: endpoint.id });
        } else if (step.kind === 'recovered' && endpoint.degraded !== undefined) {
          if (!(await deps.store.clearDegraded(endpoint.id))) return;
          deps.log.info('endpoint recovered', { endpointId: endpoint.id });
          const since = endpoint.degraded.since;
          await announce(
            deps,
            'endpoint-recovered',
            endpointRecoveredAlert(endpoint, since),
            { type: 'endpoint.recovered', data: { ...ref, degradedSince: new Date(since).toISOString() } },
            { endpointId: endpoint.id },
          );
        }
      } catch (error) {
        deps.log.error('checking receiver health failed', { endpointId: endpoint.id, error: errorText(error) });
      }
    }),
  );
}
