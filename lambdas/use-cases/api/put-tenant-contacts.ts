/**
 * PUT /v1/tenants/{tenant}/contacts: set (replace) a tenant's contacts.
 */
import { ConflictError } from '../../core/errors';
import type { TenantContacts } from '../../core/contacts';
import { applyContacts, prepareContacts, type ContactsInput } from './contacts';
import type { ApiUseCaseDeps } from './deps';

/**
 * Replaces the tenant's contacts. A new e-mail address is subscribed to the tenant's notices (SNS asks it to confirm
 * first), a new URL gets a signing secret returned here only. The write is conditioned on the contacts read, so two
 * concurrent changes cannot both succeed (409 for the later one, whose new subscription is removed again).
 *
 * @returns the stored record, the URL's new secret when there is one, and whether the tenant had no contacts before
 */
export async function putTenantContacts(
  deps: ApiUseCaseDeps,
  tenant: string,
  input: ContactsInput,
): Promise<{ record: TenantContacts; urlSecret?: string; created: boolean }> {
  const current = await deps.contacts.getTenantContacts(tenant);
  const change = await prepareContacts(deps, { kind: 'tenant', tenant }, current?.contacts, input);
  const now = Math.max(deps.clock.now(), (current?.updatedAt ?? 0) + 1);
  const record: TenantContacts = { tenant, contacts: change.stored ?? {}, createdAt: current?.createdAt ?? now, updatedAt: now };
  await applyContacts(change, async () => {
    if (!(await deps.contacts.putTenantContacts(record, current?.updatedAt))) {
      throw new ConflictError(`the contacts of tenant ${tenant} were changed at the same time; read them and retry`);
    }
  });
  return { record, ...(change.urlSecret === undefined ? {} : { urlSecret: change.urlSecret }), created: current === undefined };
}
