/**
 * Endpoint health, written once per endpoint per batch from the batch's tally of attempts (batch-scope.ts), so a
 * busy endpoint costs one health write per batch, not one per attempt.
 */
import type { Endpoint } from '../../core/model';
import { displayUrl } from '../../core/target';
import { endpointDisabledAlert } from './alerts';
import { announce } from './announce';
import type { BatchScope, HealthTally } from './batch-scope';
import { errorText, type DeliverDeps } from './deps';

/** A success is written to the endpoint at most this often while nothing else about its health changes. */
export const HEALTH_SUCCESS_REFRESH_MS = 60_000;

/** Counts one attempt's outcome (and its response time, when known) in the batch's tally for its endpoint. */
export function tallyAttempt(tally: HealthTally, succeeded: boolean, now: number, latencyMs?: number): void {
  if (latencyMs !== undefined && latencyMs > (tally.slowestMs ?? 0)) tally.slowestMs = latencyMs;
  if (succeeded) {
    tally.failures = 0;
    tally.lastSuccessAt = now;
    tally.last = 'success';
  } else {
    tally.failures++;
    tally.lastFailureAt = now;
    tally.last = 'failure';
  }
}

/** Whether a success must be written: a failing streak to end, or `lastSuccessAt` a minute old. */
export function successWriteNeeded(endpoint: Endpoint, now: number): boolean {
  const h = endpoint.health;
  const stale = h.lastSuccessAt === undefined || now - h.lastSuccessAt >= HEALTH_SUCCESS_REFRESH_MS;
  return h.consecutiveFailures > 0 || h.failingSince !== undefined || stale;
}

/**
 * Writes each endpoint's health after a batch. A batch that ended on a success ends the failing streak (written
 * only when there was one, or to refresh `lastSuccessAt` at most once a minute, so a busy healthy endpoint is not
 * a write hot spot). One that ended on failures adds them to the streak, and an endpoint whose streak is older
 * than `disableAfterSeconds` is disabled, as Svix does: a receiver that has been failing for days is gone or
 * broken, and retrying its traffic forever only grows the dead-letter queue. The disable is conditioned on the
 * streak, so a success in between wins, and it alerts once. A failed health write is logged: health is advice,
 * the deliveries are already saved.
 */
export async function flushHealth(deps: DeliverDeps, scope: BatchScope): Promise<void> {
  await Promise.all(
    scope.endpointPlans().map(async ({ endpoint, tally, policy }) => {
      try {
        if (tally.last === 'success' && tally.lastSuccessAt !== undefined) {
          if (successWriteNeeded(endpoint, tally.lastSuccessAt)) await deps.store.recordEndpointSuccess(endpoint.id, tally.lastSuccessAt);
        } else if (tally.last === 'failure' && tally.lastFailureAt !== undefined) {
          await recordFailures(deps, endpoint.id, tally.failures, tally.lastFailureAt, policy.autoDisable);
        }
      } catch (error) {
        deps.log.error('updating endpoint health failed', { endpointId: endpoint.id, error: errorText(error) });
      }
    }),
  );
}

async function recordFailures(deps: DeliverDeps, endpointId: string, count: number, now: number, autoDisable: boolean): Promise<void> {
  const updated = await deps.store.recordEndpointFailure(endpointId, now, count);
  const since = updated?.health.failingSince;
  // A policy with `autoDisable: false` (Virtuous's: "leave the subscription active ... and recover automatically")
  // keeps the endpoint enabled.
  if (updated === undefined || updated.disabled || since === undefined || !autoDisable) return;
  const limitMs = deps.settings.disableAfterSeconds * 1000;
  if (now - since < limitMs) return;
  const reason =
    `failing since ${new Date(since).toISOString()} with no successful delivery ` +
    `(${updated.health.consecutiveFailures} failed attempts in a row; the limit is ${Math.round(deps.settings.disableAfterSeconds / 3600)} h)`;
  await disableEndpoint(deps, updated, reason, now, since);
}

/** Disables an endpoint (conditioned on its failing streak when given) and alerts once. */
export async function disableEndpoint(deps: DeliverDeps, endpoint: Endpoint, reason: string, now: number, failingSince?: number): Promise<void> {
  const changed = await deps.store.disableEndpoint({
    endpointId: endpoint.id,
    reason,
    now,
    ...(failingSince === undefined ? {} : { failingSince }),
  });
  if (!changed) return;
  deps.log.warn('endpoint disabled', { endpointId: endpoint.id, reason });
  await announce(
    deps,
    'endpoint-disabled',
    endpointDisabledAlert(endpoint, reason),
    { type: 'endpoint.disabled', data: { endpointId: endpoint.id, url: displayUrl(endpoint.url), tenant: endpoint.tenant, reason } },
    { endpointId: endpoint.id },
  );
}
