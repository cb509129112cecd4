/**
 * DELETE /v1/tenants/{tenant}/contacts.
 */
import { NotFoundError } from '../../core/errors';
import { removeSubscription } from './contacts';
import type { ApiUseCaseDeps } from './deps';

/**
 * Removes a tenant's contacts: its e-mail subscription first (a failure is a 503 and nothing is removed, so a repeated
 * call finishes the job), then the record. The tenant's endpoints keep their own contacts.
 *
 * @throws NotFoundError when the tenant has no contacts
 */
export async function deleteTenantContacts(deps: ApiUseCaseDeps, tenant: string): Promise<void> {
  const current = await deps.contacts.getTenantContacts(tenant);
  if (current === undefined) throw new NotFoundError('contacts');
  await removeSubscription(deps, { kind: 'tenant', tenant }, current.contacts);
  await deps.contacts.deleteTenantContacts(tenant);
}
