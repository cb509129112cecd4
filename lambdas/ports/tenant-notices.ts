/**
 * Tenant notices: the tenant's own share of what the operator is told (dead letters, an endpoint disabled, its
 * circuit opened or closed, degraded), sent to the contacts of the endpoint and of its tenant. The operator's alerts
 * are unchanged; these go beside them.
 */
import type { ContactOwner, StoredContacts, TenantContacts } from '../core/contacts';
import type { OperationalEvent } from './operational-events';

export interface TenantNotice {
  /** The endpoint the notice is about: its contacts and its tenant's receive it. */
  readonly endpointId: string;
  /** The webhook body's `type` and `data` (the same shapes as the operator's operational webhooks). */
  readonly event: OperationalEvent;
  /** The e-mail's subject and text. */
  readonly subject: string;
  readonly message: string;
}

export interface TenantNotices {
  /**
   * Sends the notice to the endpoint's and its tenant's contacts: one SNS publish (the topic's filter policies pick
   * the e-mail subscriptions) and one signed POST per URL contact. Best effort, like the operator's alerts: every
   * contact is tried, then a failure is thrown for the caller to log.
   */
  notify(notice: TenantNotice): Promise<void>;
}

/** Nobody to tell (no topic configured): what a test or a tool without notices uses. */
export const NO_TENANT_NOTICES: TenantNotices = { notify: async () => undefined };

/** E-mail subscriptions on the tenant-notices topic (SNS in AWS; mailbox queues in local mode). */
export interface NoticeSubscriptions {
  /** Subscribes `email` to the owner's notices (a filter policy on the message attributes); returns the subscription's id. */
  subscribe(email: string, owner: ContactOwner): Promise<string>;
  /** Removes a subscription; one that is already gone counts as removed. */
  unsubscribe(subscription: string): Promise<void>;
}

/** No tenant-notices topic in this composition: e-mail contacts cannot be subscribed (a 503 says so). */
export const NO_NOTICE_SUBSCRIPTIONS: NoticeSubscriptions = {
  subscribe: async () => {
    throw new Error('this Herald has no tenant-notices topic: e-mail contacts cannot be subscribed');
  },
  unsubscribe: async () => undefined,
};

/** Where notices are published: the tenant-notices topic, with message attributes the subscriptions filter on. */
export interface NoticeTopic {
  publish(subject: string, message: string, attributes: Readonly<Record<string, string>>): Promise<void>;
}

/** Who hears about one endpoint: its tenant, its own contacts and its tenant's. */
export interface NoticeRecipients {
  readonly tenant: string;
  readonly endpoint?: StoredContacts;
  readonly tenantContacts?: StoredContacts;
}

export interface ContactStore {
  getTenantContacts(tenant: string): Promise<TenantContacts | undefined>;
  /**
   * Stores a tenant's contacts if the stored ones were last updated at `expectedUpdatedAt` (absent: none stored), so
   * two concurrent changes cannot both think they won. Returns false on a conflict.
   */
  putTenantContacts(record: TenantContacts, expectedUpdatedAt: number | undefined): Promise<boolean>;
  deleteTenantContacts(tenant: string): Promise<void>;
  /** The recipients of an endpoint's notices; undefined when the endpoint no longer exists. */
  recipientsOf(endpointId: string): Promise<NoticeRecipients | undefined>;
}

export type { ContactOwner };
