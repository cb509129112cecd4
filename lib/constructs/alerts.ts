import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlertsProps {
  /**
   * Subscribed to the topic by e-mail (AWS sends a confirmation message first).
   *
   * @default - no subscription; the topic can be subscribed to by hand
   */
  readonly alertEmail?: string;
}

export interface AlarmSpec {
  readonly metric: cloudwatch.IMetric;
  readonly description: string;
  readonly threshold: number;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  readonly evaluationPeriods: number;
}

/**
 * Where Herald tells its operator that something needs attention: an SNS topic (the deliver and
 * sweep Lambdas publish coalesced give-up alerts to it; CloudWatch alarms publish to it too), with
 * an e-mail subscription when the deployer gave an address.
 *
 * The topic is encrypted with a customer-managed key, because CloudWatch cannot use the AWS-managed
 * SNS key (its key policy cannot grant CloudWatch), and an alarm whose action cannot publish stays
 * silent. The key costs about 1 USD a month.
 */
export class Alerts extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  private readonly action: cloudwatchActions.SnsAction;

  constructor(scope: Construct, id: string, props: AlertsProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the Herald alert topic',
      enableKeyRotation: true,
      // The key protects only messages in flight on the topic; nothing needs it after the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToTheEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        // Confused-deputy guard, as on the topic: only alarms of this account may use the key.
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Herald alerts',
      masterKey: this.key,
      enforceSSL: true,
    });
    // The topic policy that enforceSSL creates replaces SNS's default policy, so the alarms' right
    // to publish is stated here, limited to alarms of this account.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (props.alertEmail !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alertEmail));
    }
    this.action = new cloudwatchActions.SnsAction(this.topic);
  }

  /** Lets a function publish alerts (and use the topic's key to do so). */
  grantPublish(grantee: iam.IGrantable): void {
    // Stated by hand: topic.grantPublish would grant the wildcard `kms:GenerateDataKey*`, and
    // publishing to an encrypted topic needs only these two key actions.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [this.key.keyArn] }),
    );
  }

  /**
   * Adds an alarm that notifies the topic when it fires. Missing data is not breaching: an idle
   * deployment emits no queue or Lambda data points and must stay quiet.
   */
  addAlarm(id: string, spec: AlarmSpec): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric: spec.metric,
      alarmDescription: spec.description,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator,
      evaluationPeriods: spec.evaluationPeriods,
      datapointsToAlarm: spec.evaluationPeriods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    return alarm;
  }
}
