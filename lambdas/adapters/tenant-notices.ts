/**
 * Tenant notices through the contacts of an endpoint and of its tenant: one publish on the tenant-notices topic when
 * any of them has an e-mail address (SNS filter policies pick the subscriptions), and one Standard Webhooks POST per
 * URL contact, signed with that contact's own secret by the operational-webhook adapter.
 */
import { contactSealContext, noticeAttributes, type ContactOwner, type StoredContacts } from '../core/contacts';
import type { Clock, SecretBox } from '../ports';
import type { ContactStore, NoticeTopic, TenantNotice, TenantNotices } from '../ports/tenant-notices';
import { randomBytes } from 'node:crypto';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoContactStore } from './dynamo/contact-store';
import { NodeHttpSender } from './http-sender';
import { SnsNoticeTopic } from './sns-notices';
import { WebhookOperationalEvents, type WebhookOperationalEventsOptions } from './webhook-operational-events';

/**
 * The contacts, the topic and the secrets, and what the webhook adapter needs to sign and send: its `sender` POSTs
 * under the deployment's target rules, as for endpoints (the tenant chose the URL).
 */
export interface ContactNoticesOptions extends Pick<WebhookOperationalEventsOptions, 'sender' | 'clock' | 'randomBytes' | 'sleep'> {
  readonly contacts: Pick<ContactStore, 'recipientsOf'>;
  readonly topic: NoticeTopic;
  /** Opens the URL contacts' sealed signing secrets. */
  readonly secrets: Pick<SecretBox, 'open'>;
}

export class ContactNotices implements TenantNotices {
  constructor(private readonly options: ContactNoticesOptions) {}

  async notify(notice: TenantNotice): Promise<void> {
    const recipients = await this.options.contacts.recipientsOf(notice.endpointId);
    if (recipients === undefined) return;
    const owned: [ContactOwner, StoredContacts | undefined][] = [
      [{ kind: 'endpoint', endpointId: notice.endpointId }, recipients.endpoint],
      [{ kind: 'tenant', tenant: recipients.tenant }, recipients.tenantContacts],
    ];
    const sends: Promise<void>[] = [];
    if (owned.some(([, c]) => c?.email !== undefined)) {
      sends.push(this.options.topic.publish(notice.subject, notice.message, noticeAttributes({ id: notice.endpointId, tenant: recipients.tenant })));
    }
    for (const [owner, contacts] of owned) {
      if (contacts?.url === undefined || contacts.urlSecret === undefined) continue;
      const { url, urlSecret } = contacts;
      const webhook = new WebhookOperationalEvents({
        url,
        secret: () => this.options.secrets.open(urlSecret, contactSealContext(owner)),
        sender: this.options.sender,
        clock: this.options.clock,
        randomBytes: this.options.randomBytes,
        ...(this.options.sleep === undefined ? {} : { sleep: this.options.sleep }),
      });
      sends.push(webhook.emit(notice.event));
    }
    const failures = (await Promise.allSettled(sends)).filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length > 0) {
      throw new Error(`${failures.length} of ${sends.length} tenant notice sends failed: ${failures.map((f) => String(f.reason instanceof Error ? f.reason.message : f.reason)).join('; ')}`);
    }
  }
}

/**
 * The production wiring of tenant notices, shared by the worker, the sweep and local mode: contacts from the table,
 * e-mail through the tenant-notices topic, URL contacts POSTed under the deployment's target rules.
 */
export function tenantNoticesFor(deps: {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly sns: SNSClient;
  readonly topicArn: string;
  readonly secrets: Pick<SecretBox, 'open'>;
  readonly allowPrivateTargets: boolean;
  readonly clock: Clock;
}): TenantNotices {
  return new ContactNotices({
    contacts: new DynamoContactStore(deps.doc, deps.tableName),
    topic: new SnsNoticeTopic(deps.sns, deps.topicArn),
    secrets: deps.secrets,
    sender: new NodeHttpSender({ allowPrivate: deps.allowPrivateTargets }),
    clock: deps.clock,
    randomBytes: (size) => randomBytes(size),
  });
}
