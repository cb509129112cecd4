/**
 * Local stand-in for the tenant-notice e-mails. In AWS each e-mail contact is an SNS e-mail subscription with a filter
 * policy; fauxqs delivers only to SQS subscriptions, but it applies filter policies to those. So here each e-mail
 * contact gets a mailbox queue subscribed to the tenant-notices topic with the very filter policy AWS would get, and
 * what arrives in it is printed (and kept, for tests) as the mail that address would have received. Which notices
 * reach which mailbox is decided by fauxqs's filter-policy matching, not by this file.
 */
import { createHash } from 'node:crypto';
import { SubscribeCommand, UnsubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ConflictError } from '../lambdas/core/errors';
import { noticeFilterPolicy, ownerName, type ContactOwner } from '../lambdas/core/contacts';
import type { NoticeSubscriptions } from '../lambdas/ports/tenant-notices';

/** A mail as the address would have received it. */
export interface LocalMail {
  readonly subject: string;
  readonly message: string;
}

interface Mailbox {
  readonly email: string;
  readonly owner: ContactOwner;
  readonly queueUrl: string;
  readonly subscriptionArn: string;
}

/** The subscription id a mailbox is known by (stored with the contact, as the SNS subscription ARN is in AWS). */
export function mailboxId(email: string, owner: ContactOwner): string {
  return `local-mail:${createHash('sha256').update(`${email.toLowerCase()}\n${JSON.stringify(noticeFilterPolicy(owner))}`).digest('hex').slice(0, 24)}`;
}

export class LocalMailboxes implements NoticeSubscriptions {
  private readonly boxes = new Map<string, Mailbox>();
  private readonly mail = new Map<string, LocalMail[]>();
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly clients: { readonly sns: SNSClient; readonly sqs: SQSClient },
    private readonly topicArn: string,
    private readonly print: (text: string) => void = console.log,
  ) {}

  /**
   * Subscribes a mailbox for the address with the owner's filter policy. Like SNS, which keeps one subscription per
   * address on a topic, an address already subscribed for another owner is refused.
   */
  async subscribe(email: string, owner: ContactOwner): Promise<string> {
    const id = mailboxId(email, owner);
    const existing = this.boxes.get(id);
    if (existing !== undefined) return id;
    const other = [...this.boxes.values()].find((b) => b.email.toLowerCase() === email.toLowerCase());
    if (other !== undefined) {
      throw new ConflictError(`${email} already receives the notices of ${ownerName(other.owner)}; an address can be the e-mail contact of one tenant or endpoint only`);
    }
    const queue = await this.clients.sqs.send(new CreateQueueCommand({ QueueName: `herald-mail-${id.slice('local-mail:'.length)}` }));
    const queueUrl = queue.QueueUrl!;
    const attrs = await this.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    const sub = await this.clients.sns.send(
      new SubscribeCommand({
        TopicArn: this.topicArn,
        Protocol: 'sqs',
        Endpoint: attrs.Attributes!.QueueArn!,
        Attributes: { FilterPolicy: JSON.stringify(noticeFilterPolicy(owner)), FilterPolicyScope: 'MessageAttributes', RawMessageDelivery: 'false' },
      }),
    );
    this.boxes.set(id, { email, owner, queueUrl, subscriptionArn: sub.SubscriptionArn! });
    return id;
  }

  async unsubscribe(subscription: string): Promise<void> {
    const box = this.boxes.get(subscription);
    if (box === undefined) return;
    await this.clients.sns.send(new UnsubscribeCommand({ SubscriptionArn: box.subscriptionArn }));
    this.boxes.delete(subscription);
    await this.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: box.queueUrl })).catch(() => undefined);
  }

  /** The addresses subscribed now, each with the owner whose notices it receives. */
  subscriptions(): { email: string; owner: ContactOwner }[] {
    return [...this.boxes.values()].map((b) => ({ email: b.email, owner: b.owner }));
  }

  /** Every mail the address has received so far, oldest first. */
  inbox(email: string): readonly LocalMail[] {
    return this.mail.get(email.toLowerCase()) ?? [];
  }

  /** Reads every mailbox every `intervalMs` until stopped. */
  start(intervalMs = 250): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.pollOnce().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Reads what has arrived in each mailbox: printed, kept, and removed from its queue. */
  async pollOnce(): Promise<void> {
    for (const box of [...this.boxes.values()]) {
      const out = await this.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: box.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      for (const m of out.Messages ?? []) {
        const envelope = JSON.parse(m.Body ?? '{}') as { Subject?: string | null; Message?: string };
        const mail = { subject: envelope.Subject ?? '', message: envelope.Message ?? '' };
        const key = box.email.toLowerCase();
        this.mail.set(key, [...(this.mail.get(key) ?? []), mail]);
        const rule = '─'.repeat(72);
        this.print(`\n${rule}\nTENANT NOTICE to ${box.email} (would be e-mailed): ${mail.subject}\n${mail.message}\n${rule}`);
        await this.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: box.queueUrl, ReceiptHandle: m.ReceiptHandle! }));
      }
    }
  }
}
