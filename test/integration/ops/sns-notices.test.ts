/**
 * The SNS adapters of tenant notices on fauxqs: e-mail subscriptions carry the owner's filter policy, and a notice
 * published with its attributes reaches only the subscriptions whose policy matches (fauxqs applies filter policies
 * to SQS subscriptions, so a queue stands in for a mailbox here).
 */
import { GetSubscriptionAttributesCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnsNoticeSubscriptions, SnsNoticeTopic } from '../../../lambdas/adapters/sns-notices';
import { noticeAttributes, noticeFilterPolicy } from '../../../lambdas/core/contacts';
import { startTestEnvironment, type TestEnvironment } from '../../support/emulators';

describe('tenant notices on SNS', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment();
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('subscribes an e-mail address with the filter policy of its owner, and unsubscribes it (twice is fine)', async () => {
    const subscriptions = new SnsNoticeSubscriptions(env.clients.sns, env.resources.tenantNoticeTopicArn);
    const arn = await subscriptions.subscribe('ops@acme.example', { kind: 'tenant', tenant: 'acme' });
    const attributes = (await env.clients.sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: arn }))).Attributes!;
    expect(attributes).toMatchObject({ Protocol: 'email', Endpoint: 'ops@acme.example', FilterPolicyScope: 'MessageAttributes' });
    expect(JSON.parse(attributes.FilterPolicy!)).toEqual({ tenant: ['acme'] });
    await subscriptions.unsubscribe(arn);
    await subscriptions.unsubscribe(arn);
  });

  it('a published notice reaches only the subscriptions its tenant or endpoint attribute matches', async () => {
    const mailbox = async (name: string, owner: Parameters<typeof noticeFilterPolicy>[0]) => {
      const url = (await env.clients.sqs.send(new CreateQueueCommand({ QueueName: `${name}-${Date.now()}` }))).QueueUrl!;
      const queueArn = (await env.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
      await env.clients.sns.send(
        new SubscribeCommand({
          TopicArn: env.resources.tenantNoticeTopicArn,
          Protocol: 'sqs',
          Endpoint: queueArn,
          Attributes: { FilterPolicy: JSON.stringify(noticeFilterPolicy(owner)), FilterPolicyScope: 'MessageAttributes' },
        }),
      );
      return url;
    };
    const acme = await mailbox('acme', { kind: 'tenant', tenant: 'acme' });
    const globex = await mailbox('globex', { kind: 'tenant', tenant: 'globex' });
    const endpoint = await mailbox('ep', { kind: 'endpoint', endpointId: 'ep_2' });
    const topic = new SnsNoticeTopic(env.clients.sns, env.resources.tenantNoticeTopicArn);
    await topic.publish('acme ep_1', 'm1', noticeAttributes({ id: 'ep_1', tenant: 'acme' }));
    await topic.publish('globex ep_2', 'm2', noticeAttributes({ id: 'ep_2', tenant: 'globex' }));
    await topic.publish('no tenant ep_3', 'm3', noticeAttributes({ id: 'ep_3', tenant: '' }));
    const subjects = async (url: string) => (await env.drain(url, { waitSeconds: 1 })).map((m) => (JSON.parse(m.Body!) as { Subject: string }).Subject);
    expect(await subjects(acme)).toEqual(['acme ep_1']);
    expect(await subjects(globex)).toEqual(['globex ep_2']);
    expect(await subjects(endpoint)).toEqual(['globex ep_2']);
  });
});
