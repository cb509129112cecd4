/**
 * The tenant-notices topic on SNS: notices are published with `tenant` and `endpoint` message attributes, and each
 * e-mail contact is a subscription whose filter policy names its tenant or endpoint, so SNS hands every notice only to
 * the contacts it belongs to.
 */
import { PublishCommand, SubscribeCommand, UnsubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { ConflictError } from '../core/errors';
import { noticeFilterPolicy, type ContactOwner } from '../core/contacts';
import type { NoticeSubscriptions, NoticeTopic } from '../ports/tenant-notices';
import { snsSubject } from './sns-alerts';

export class SnsNoticeTopic implements NoticeTopic {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(subject: string, message: string, attributes: Readonly<Record<string, string>>): Promise<void> {
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: snsSubject(subject),
        Message: message,
        MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }])),
      }),
    );
  }
}

/**
 * E-mail subscriptions with a filter policy on the message attributes. AWS e-mails the address a confirmation link
 * first; until it is followed the subscription is pending and receives nothing. The subscription ARN is asked for
 * (`ReturnSubscriptionArn`), so even a pending one can be removed again.
 */
export class SnsNoticeSubscriptions implements NoticeSubscriptions {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  /**
   * @throws ConflictError when the address is already subscribed for another owner: SNS keeps one subscription per
   *   address on a topic, and refuses a second one with other attributes (filter policy)
   */
  async subscribe(email: string, owner: ContactOwner): Promise<string> {
    let out;
    try {
      out = await this.sns.send(
      new SubscribeCommand({
        TopicArn: this.topicArn,
        Protocol: 'email',
        Endpoint: email,
        ReturnSubscriptionArn: true,
        Attributes: { FilterPolicy: JSON.stringify(noticeFilterPolicy(owner)), FilterPolicyScope: 'MessageAttributes' },
      }),
      );
    } catch (error) {
      if (/already exists/i.test(String((error as Error).message))) {
        throw new ConflictError(`${email} already receives the notices of another tenant or endpoint; an address can be the e-mail contact of one tenant or endpoint only`);
      }
      throw error;
    }
    if (out.SubscriptionArn === undefined) throw new Error(`SNS returned no subscription for ${email}`);
    return out.SubscriptionArn;
  }

  async unsubscribe(subscription: string): Promise<void> {
    try {
      await this.sns.send(new UnsubscribeCommand({ SubscriptionArn: subscription }));
    } catch (error) {
      if ((error as { name?: string }).name !== 'NotFoundException' && (error as { name?: string }).name !== 'NotFound') throw error;
    }
  }
}
