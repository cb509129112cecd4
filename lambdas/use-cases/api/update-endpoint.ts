/**
 * PATCH /v1/endpoints/{id}.
 */
import { NotFoundError } from '../../core/errors';
import type { Endpoint } from '../../core/model';
import type { EndpointChanges } from '../../ports/endpoint-store';
import { DISABLED_BY_API, type NewEndpoint } from './create-endpoint';
import type { ApiUseCaseDeps } from './deps';

/**
 * Applies a validated partial change; only the given fields are written.
 *
 * Disabling records why (`disabled through the API`). Re-enabling clears the reason and resets the failing
 * streak (consecutive failures and its start), so an endpoint the failure policy disabled is not disabled
 * again at once by the streak that disabled it; the last success and failure times are kept.
 *
 * @throws NotFoundError when there is no endpoint with this id
 */
export async function updateEndpoint(deps: ApiUseCaseDeps, id: string, patch: Partial<Omit<NewEndpoint, 'tenant'>>): Promise<Endpoint> {
  const current = await deps.endpoints.get(id);
  if (current === undefined) throw new NotFoundError('endpoint');
  const changes: { -readonly [K in keyof EndpointChanges]: EndpointChanges[K] } = { ...patch, updatedAt: deps.clock.now() };
  if (patch.disabled === false && current.disabled) {
    changes.disabledReason = null;
    const { lastSuccessAt, lastFailureAt } = current.health;
    changes.health = {
      consecutiveFailures: 0,
      ...(lastSuccessAt === undefined ? {} : { lastSuccessAt }),
      ...(lastFailureAt === undefined ? {} : { lastFailureAt }),
    };
  } else if (patch.disabled === true && !current.disabled) {
    changes.disabledReason = DISABLED_BY_API;
  }
  const updated = await deps.endpoints.update(id, changes);
  if (updated === undefined) throw new NotFoundError('endpoint');
  return updated;
}
