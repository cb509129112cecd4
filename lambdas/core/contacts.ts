/**
 * Contacts: where a tenant (or one endpoint) hears about its own webhooks going wrong, the generic retry strategy's
 * "alert to the consumer's account". A contact is an e-mail address (SNS e-mail, filtered by tenant or endpoint)
 * and/or a URL (a Standard Webhooks POST signed with the contact's own secret). Pure: types and the rules that say
 * who receives what.
 */

/** Who a set of contacts belongs to: a whole tenant, or one endpoint. */
export type ContactOwner = { readonly kind: 'tenant'; readonly tenant: string } | { readonly kind: 'endpoint'; readonly endpointId: string };

/** Contacts as stored: the addresses, the e-mail's SNS subscription and the URL's sealed signing secret. */
export interface StoredContacts {
  readonly email?: string;
  /** The e-mail's subscription on the tenant-notices topic (SNS subscription ARN), to remove it again. */
  readonly emailSubscription?: string;
  readonly url?: string;
  /** The URL's signing secret (`whsec_...`), sealed under {@link contactSealContext}. */
  readonly urlSecret?: string;
}

/** A tenant's own contacts (the `TENANT#<tenant>` item). */
export interface TenantContacts {
  readonly tenant: string;
  readonly contacts: StoredContacts;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * The message attributes a notice is published with on the tenant-notices topic. An endpoint always has one; the
 * tenant only when the endpoint has one (SNS attribute values cannot be empty, and a tenant-less endpoint's notices
 * belong to no tenant's contacts).
 */
export function noticeAttributes(endpoint: { readonly id: string; readonly tenant: string }): Record<string, string> {
  return endpoint.tenant === '' ? { endpoint: endpoint.id } : { tenant: endpoint.tenant, endpoint: endpoint.id };
}

/**
 * The SNS filter policy of an owner's e-mail subscription: a tenant's contact receives every notice published with
 * its `tenant` attribute, an endpoint's contact those with its `endpoint` attribute. Herald sets both attributes, so
 * no subscription ever matches another tenant's notice.
 */
export function noticeFilterPolicy(owner: ContactOwner): Record<string, string[]> {
  return owner.kind === 'tenant' ? { tenant: [owner.tenant] } : { endpoint: [owner.endpointId] };
}

/** The context a contact URL's secret is sealed under: it opens only for the owner it was made for. */
export function contactSealContext(owner: ContactOwner): string {
  return owner.kind === 'tenant' ? `contact:tenant:${owner.tenant}:url` : `contact:endpoint:${owner.endpointId}:url`;
}

/** A short name of the owner for logs and errors. */
export function ownerName(owner: ContactOwner): string {
  return owner.kind === 'tenant' ? `tenant ${owner.tenant}` : `endpoint ${owner.endpointId}`;
}
