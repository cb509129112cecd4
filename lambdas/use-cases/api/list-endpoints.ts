/**
 * GET /v1/endpoints?tenant=&limit=&cursor=.
 */
import type { Endpoint } from '../../core/model';
import type { Page, PageRequest } from '../../ports/endpoint-store';
import type { ApiUseCaseDeps } from './deps';

/** Newest first; all endpoints, or one tenant's (`tenant: ''` = those without a tenant). */
export function listEndpoints(deps: ApiUseCaseDeps, query: PageRequest & { readonly tenant?: string }): Promise<Page<Endpoint>> {
  return deps.endpoints.list(query);
}
