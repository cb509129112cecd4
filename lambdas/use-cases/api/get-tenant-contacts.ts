/**
 * GET /v1/tenants/{tenant}/contacts.
 */
import { NotFoundError } from '../../core/errors';
import type { TenantContacts } from '../../core/contacts';
import type { ApiUseCaseDeps } from './deps';

/** @throws NotFoundError when the tenant has no contacts */
export async function getTenantContacts(deps: ApiUseCaseDeps, tenant: string): Promise<TenantContacts> {
  const record = await deps.contacts.getTenantContacts(tenant);
  if (record === undefined) throw new NotFoundError('contacts');
  return record;
}
