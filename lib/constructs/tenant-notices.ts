import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface TenantNoticesProps {
  /** Encrypts the topic at rest (the alert topic's key: one customer-managed key for both). */
  readonly key: kms.IKey;
}

/**
 * The tenant-notices topic: a tenant's (or one endpoint's) e-mail contacts subscribe to it with a filter policy on
 * the `tenant` (or `endpoint`) message attribute, so each receives only its own tenant's notices. The api creates and
 * removes those subscriptions (and may do nothing else with the topic); the worker and the sweep publish.
 */
export class TenantNotices extends Construct {
  readonly topic: sns.Topic;
  private readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: TenantNoticesProps) {
    super(scope, id);
    this.key = props.key;
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'Herald notices', masterKey: props.key, enforceSSL: true });
  }

  /** Publish notices (and use the topic's key to do so). */
  grantPublish(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }));
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.key.keyArn] }));
  }

  /** Create and remove subscriptions of this topic, and nothing else (least privilege for the api). */
  grantSubscribe(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Subscribe', 'sns:Unsubscribe'], resources: [this.topic.topicArn] }));
  }
}
