/**
 * GET /v1/endpoints/{id}.
 */
import { NotFoundError } from '../../core/errors';
import type { Endpoint } from '../../core/model';
import type { ApiUseCaseDeps } from './deps';

/** @throws NotFoundError when there is no endpoint with this id */
export async function getEndpoint(deps: ApiUseCaseDeps, id: string): Promise<Endpoint> {
  const endpoint = await deps.endpoints.get(id);
  if (endpoint === undefined) throw new NotFoundError('endpoint');
  return endpoint;
}
