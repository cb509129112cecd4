import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CURRENT_VERSION_EXPIRED_FLAGS, FLAGS } from 'aws-cdk-lib/cx-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/config';
import { heraldStackName, readHeraldContext } from '../../lib/context';
import { HeraldStack } from '../../lib/herald-stack';
import { QUEUE_SPEC, TABLE_SPEC } from '../../lib/spec';
import { cdkJsonContext, getAtt, logicalIdAt, ref, resourceAt, synthHerald, TEST_ENV } from './herald-template';

const FUNCTIONS = {
  api: 'Herald/Api/Function',
  worker: 'Herald/Worker/Function',
  sweeper: 'Herald/Sweeper/Function',
} as const;

let template: Template;
/** The same stack with every context key set. */
let configured: Template;

beforeAll(() => {
  template = synthHerald().template;
  configured = synthHerald({
    alertEmail: 'ops@example.com',
    allowPrivateTargets: 'true',
    retentionDays: '90',
    shortDelaySeconds: '60',
    disableAfterDays: '2',
    defaultRetryPolicy: '{"preset":"default","maxAttempts":4}',
    breakerFailureThreshold: '3',
    breakerProbeSeconds: '120',
    environment: 'sandbox',
    workerConcurrency: '50',
    reserveWorkerConcurrency: 'false',
  }).template;
});

const id = (path: string) => logicalIdAt(template, path);

describe('GIVEN cdk.json', () => {
  it('THEN it sets every feature flag of this aws-cdk-lib explicitly (fails when an upgrade brings a new one: `npx cdk flags --unstable=flags`)', () => {
    const context = cdkJsonContext();
    const unset = Object.keys(FLAGS).filter((flag) => !(flag in context) && !CURRENT_VERSION_EXPIRED_FLAGS.includes(flag));
    expect(unset).toEqual([]);
  });
});

describe('GIVEN the default context WHEN the stack is synthesized', () => {
  describe('THEN the HTTP API', () => {
    it('is an HTTP API whose $default route catches every request for the api Lambda (payload v2)', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
      template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
      const integration = id('Herald/Api/HttpApi/DefaultRoute/Api/Resource');
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: '$default',
        Target: { 'Fn::Join': ['', ['integrations/', ref(integration)]] },
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: getAtt(id(`${FUNCTIONS.api}/Resource`)),
        PayloadFormatVersion: '2.0',
      });
    });

    it('lets API Gateway invoke the api Lambda, and only that API', () => {
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: getAtt(id(`${FUNCTIONS.api}/Resource`)),
        Principal: 'apigateway.amazonaws.com',
        SourceArn: Match.objectLike({
          'Fn::Join': ['', Match.arrayWith([ref(id('Herald/Api/HttpApi/Resource'))])],
        }),
      });
    });

    it('has an auto-deployed $default stage with throttling and JSON access logs kept a month', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
        AccessLogSettings: {
          DestinationArn: getAtt(id('Herald/Api/AccessLogs/Resource')),
          Format: Match.stringLikeRegexp('"requestId":"\\$context\\.requestId"'),
        },
      });
      const format = JSON.parse(
        (resourceAt(template, 'Herald/Api/DefaultStage/Resource').Properties!.AccessLogSettings as { Format: string }).Format,
      ) as Record<string, string>;
      expect(format.status).toBe('$context.status');
      expect(Object.values(format).join(' ')).not.toMatch(/authorization|requestBody/i);
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    });
  });

  describe('THEN the table', () => {
    it('follows TABLE_SPEC: keys, on-demand, TTL, PITR, encryption, three GSIs projecting keys only', () => {
      template.resourceCountIs('AWS::DynamoDB::Table', 1);
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: TABLE_SPEC.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_SPEC.sortKey, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: TABLE_SPEC.ttlAttribute, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        GlobalSecondaryIndexes: TABLE_SPEC.globalSecondaryIndexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        })),
      });
    });

    it('is retained when the stack is deleted or the table replaced', () => {
      template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });
  });

  describe('THEN the queues', () => {
    it.each([['Herald/Queues/DeliveryQueue'], ['Herald/Queues/SlowDeliveryQueue']])(
      '%s (a delivery lane): SSE, spec retention and visibility, redrive to the DLQ after maxReceiveCount, retained',
      (path) => {
        const queue = resourceAt(template, `${path}/Resource`) as unknown as Record<string, unknown>;
        expect(queue).toMatchObject({
          Properties: {
            SqsManagedSseEnabled: true,
            MessageRetentionPeriod: QUEUE_SPEC.delivery.retentionSeconds,
            VisibilityTimeout: QUEUE_SPEC.delivery.visibilityTimeoutSeconds,
            // Explicit, so the emulator (1 MiB by default) and AWS refuse the same messages.
            MaximumMessageSize: 262_144,
            RedrivePolicy: {
              deadLetterTargetArn: getAtt(id('Herald/Queues/DeadLetterQueue/Resource')),
              maxReceiveCount: QUEUE_SPEC.delivery.maxReceiveCount,
            },
          },
          DeletionPolicy: 'Retain',
          UpdateReplacePolicy: 'Retain',
        });
      },
    );

    it('dead-letter queue: SSE, 14 days retention, 256 KiB messages, retained', () => {
      const dlq = resourceAt(template, 'Herald/Queues/DeadLetterQueue/Resource') as unknown as Record<string, unknown>;
      expect(dlq.Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600, MaximumMessageSize: 262_144 });
      expect(dlq.DeletionPolicy).toBe('Retain');
    });

    it.each([['Herald/Queues/DeliveryQueue'], ['Herald/Queues/SlowDeliveryQueue'], ['Herald/Queues/DeadLetterQueue']])('%s refuses requests without TLS', (path) => {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(id(`${path}/Resource`))],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });
  });

  describe('THEN the Lambdas', () => {
    it.each([
      ['api', FUNCTIONS.api, 512, 15],
      ['deliver', FUNCTIONS.worker, 512, 60],
      ['sweep', FUNCTIONS.sweeper, 256, 50],
    ])('%s: Node.js 22 on arm64, ESM bundle handler, memory %i MB, timeout %i s, source maps, own log group', (_name, path, memory, timeout) => {
      const fn = resourceAt(template, `${path}/Resource`).Properties!;
      expect(fn.Runtime).toBe('nodejs22.x');
      expect(fn.Architectures).toEqual(['arm64']);
      expect(fn.Handler).toBe('index.handler');
      expect(fn.MemorySize).toBe(memory);
      expect(fn.Timeout).toBe(timeout);
      expect((fn.Environment as { Variables: Record<string, unknown> }).Variables.NODE_OPTIONS).toBe('--enable-source-maps');
      // JSON format, Lambda's own START/END/REPORT lines dropped (system level WARN; `platformLogs` keeps them).
      expect(fn.LoggingConfig).toEqual({ LogGroup: ref(id(`${path}Logs/Resource`)), LogFormat: 'JSON', SystemLogLevel: 'WARN', ApplicationLogLevel: 'INFO' });
      expect(resourceAt(template, `${path}Logs/Resource`).Properties).toEqual({ RetentionInDays: 30 });
    });

    it.each([
      ['the delivery queue (fast lane)', 'Herald/Queues/DeliveryQueue', 20],
      ['the slow lane', 'Herald/Queues/SlowDeliveryQueue', 10],
    ])('the deliver Lambda consumes %s: batch 10, 1 s window, max concurrency %i, partial batch failures', (_name, path, concurrency) => {
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: getAtt(id(`${path}/Resource`)),
        FunctionName: ref(id(`${FUNCTIONS.worker}/Resource`)),
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 1,
        ScalingConfig: { MaximumConcurrency: concurrency },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('the deliver Lambda may run in a recursive loop (its retries go back to the queue that invokes it); fails if Lambda would stop the chain', () => {
      // Under Lambda's default (Terminate, or the property absent) a delivery's retries would stop after about 16 hops.
      expect(resourceAt(template, `${FUNCTIONS.worker}/Resource`).Properties!.RecursiveLoop).toBe('Allow');
      for (const path of [FUNCTIONS.api, FUNCTIONS.sweeper]) {
        expect(resourceAt(template, `${path}/Resource`).Properties!.RecursiveLoop).toBeUndefined();
      }
    });

    it('the deliver Lambda has both lanes\' maximum concurrency (20 + 10) reserved, so throttling cannot push valid messages to the DLQ', () => {
      expect(resourceAt(template, `${FUNCTIONS.worker}/Resource`).Properties!.ReservedConcurrentExecutions).toBe(20 + 10);
      for (const path of [FUNCTIONS.api, FUNCTIONS.sweeper]) {
        expect(resourceAt(template, `${path}/Resource`).Properties!.ReservedConcurrentExecutions).toBeUndefined();
      }
      // -c workerConcurrency=50 -c reserveWorkerConcurrency=false: the mapping's cap moves, nothing is reserved.
      expect(resourceAt(configured, `${FUNCTIONS.worker}/Resource`).Properties!.ReservedConcurrentExecutions).toBeUndefined();
      configured.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 50 } });
    });

    it('the queue visibility timeout is at least six times the deliver timeout', () => {
      const timeout = resourceAt(template, `${FUNCTIONS.worker}/Resource`).Properties!.Timeout as number;
      const visibility = resourceAt(template, 'Herald/Queues/DeliveryQueue/Resource').Properties!.VisibilityTimeout as number;
      expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
    });

    it('the sweep runs every minute, is not retried asynchronously, and a stale trigger is dropped', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: getAtt(id(`${FUNCTIONS.sweeper}/Resource`)),
            RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 2 },
          }),
        ],
      });
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: ref(id(`${FUNCTIONS.sweeper}/Resource`)),
        MaximumRetryAttempts: 0,
      });
    });
  });

  describe('THEN the configuration passed to the Lambdas', () => {
    const shared = () => ({
      NODE_OPTIONS: '--enable-source-maps',
      [ENV.tableName]: ref(id('Herald/DataStore/Table/Resource')),
      [ENV.deliveryQueueUrl]: ref(id('Herald/Queues/DeliveryQueue/Resource')),
      [ENV.deliveryQueueArn]: getAtt(id('Herald/Queues/DeliveryQueue/Resource')),
      [ENV.slowDeliveryQueueUrl]: ref(id('Herald/Queues/SlowDeliveryQueue/Resource')),
      [ENV.slowDeliveryQueueArn]: getAtt(id('Herald/Queues/SlowDeliveryQueue/Resource')),
      [ENV.deadLetterQueueUrl]: ref(id('Herald/Queues/DeadLetterQueue/Resource')),
      [ENV.deadLetterQueueArn]: getAtt(id('Herald/Queues/DeadLetterQueue/Resource')),
      [ENV.alertTopicArn]: ref(id('Herald/Alerts/Topic/Resource')),
      [ENV.tenantNoticeTopicArn]: ref(id('Herald/TenantNotices/Topic/Resource')),
      [ENV.scheduleGroup]: resourceAt(template, 'Herald/RetryScheduler/Group').Properties!.Name,
      [ENV.schedulerRoleArn]: getAtt(id('Herald/RetryScheduler/Role/Resource')),
      [ENV.allowPrivateTargets]: 'false',
      [ENV.retentionDays]: '30',
      [ENV.shortDelaySeconds]: '900',
      [ENV.disableAfterSeconds]: String(5 * 86_400),
      [ENV.breakerFailureThreshold]: '5',
      [ENV.breakerProbeSeconds]: '60',
      [ENV.environment]: 'production',
      [ENV.deployment]: 'Herald',
    });
    const variables = (t: Template, path: string) =>
      (resourceAt(t, `${path}/Resource`).Properties!.Environment as { Variables: Record<string, unknown> }).Variables;

    it('deliver and the sweep get the shared variables and the secrets key (no API key, no default policy when none given)', () => {
      expect(variables(template, FUNCTIONS.worker)).toEqual({ ...shared(), [ENV.secretsKeyArn]: getAtt(id('Herald/SecretsKey/Key/Resource')) });
      expect(variables(template, FUNCTIONS.sweeper)).toEqual({ ...shared(), [ENV.secretsKeyArn]: getAtt(id('Herald/SecretsKey/Key/Resource')) });
    });

    it('the api also gets the API key secret ARN, the portal session secret ARN and the secrets key', () => {
      expect(variables(template, FUNCTIONS.api)).toEqual({
        ...shared(),
        [ENV.apiKeySecretArn]: ref(id('Herald/Api/ApiKey/Resource')),
        [ENV.portalSecretArn]: ref(id('Herald/Api/PortalSessionSecret/Resource')),
        [ENV.secretsKeyArn]: getAtt(id('Herald/SecretsKey/Key/Resource')),
      });
    });

    it('the secrets key is a retained, rotating KMS key (the sealed secrets cannot outlive it)', () => {
      template.hasResource('AWS::KMS::Key', {
        Properties: Match.objectLike({ EnableKeyRotation: true, Description: Match.stringLikeRegexp('seals endpoint signing secrets') }),
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
      expect(resourceAt(template, 'Herald/SecretsKey/Key/Resource').Type).toBe('AWS::KMS::Key');
    });

    it('GIVEN every context key THEN the values reach every Lambda, the policy as JSON', () => {
      for (const path of Object.values(FUNCTIONS)) {
        expect(variables(configured, path)).toMatchObject({
          [ENV.allowPrivateTargets]: 'true',
          [ENV.retentionDays]: '90',
          [ENV.shortDelaySeconds]: '60',
          [ENV.disableAfterSeconds]: String(2 * 86_400),
          [ENV.defaultRetryPolicy]: '{"preset":"default","maxAttempts":4}',
          [ENV.breakerFailureThreshold]: '3',
          [ENV.breakerProbeSeconds]: '120',
          [ENV.environment]: 'sandbox',
        });
      }
    });
  });

  describe('THEN the retry scheduler', () => {
    it('has a schedule group of this stack, with a generated name', () => {
      template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
      const group = resourceAt(template, 'Herald/RetryScheduler/Group');
      expect(group.Properties!.Name).toMatch(/^Herald-RetryScheduler-[0-9A-F]{8}$/);
    });

    it('has a role only EventBridge Scheduler of this account and this group can assume', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: 'sts:AssumeRole',
              Principal: { Service: 'scheduler.amazonaws.com' },
              Condition: {
                StringEquals: { 'aws:SourceAccount': TEST_ENV.account },
                ArnEquals: { 'aws:SourceArn': getAtt(id('Herald/RetryScheduler/Group')) },
              },
            },
          ],
        },
      });
    });
  });

  describe('THEN the alerts', () => {
    it('go to an SNS topic encrypted with a rotated customer-managed key', () => {
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: getAtt(id('Herald/Alerts/TopicKey/Resource')) });
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              // Confused-deputy guard: fails if CloudWatch of any account could use the key.
              Condition: { StringEquals: { 'aws:SourceAccount': TEST_ENV.account } },
            }),
          ]),
        },
      });
    });

    it('the topic refuses publishing without TLS and admits CloudWatch alarms of this account only', () => {
      const topic = ref(id('Herald/Alerts/Topic/Resource'));
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [topic],
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: topic,
              Condition: {
                StringEquals: { 'aws:SourceAccount': TEST_ENV.account },
                ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${TEST_ENV.region}:${TEST_ENV.account}:alarm:*` },
              },
            }),
          ],
        },
      });
    });

    it('has no e-mail subscription when no alertEmail is given', () => {
      template.resourceCountIs('AWS::SNS::Subscription', 0);
    });

    it('alarms on new arrivals on the dead-letter queue, not on its depth (which stays up for 14 days and would notify once)', () => {
      const alarm = resourceAt(template, 'Herald/Alerts/DeadLetterQueueNewArrivals/Resource').Properties!;
      const queueName = { Name: 'QueueName', Value: getAtt(id('Herald/Queues/DeadLetterQueue/Resource'), 'QueueName') };
      expect(alarm).toMatchObject({
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [ref(id('Herald/Alerts/Topic/Resource'))],
      });
      // Fails if the alarm is on depth alone: that is a single metric, not an expression.
      expect(alarm.MetricName).toBeUndefined();
      const metrics = alarm.Metrics as { Id: string; Expression?: string; ReturnData?: boolean; MetricStat?: Record<string, unknown> }[];
      const expression = metrics.find((m) => m.Expression !== undefined)!;
      expect(expression.Expression).toBe('FILL(sent, 0) + FILL(IF(DIFF(visible) > 0, DIFF(visible), 0), 0)');
      expect(metrics.find((m) => m.Id === 'sent')?.MetricStat).toEqual({
        Metric: { Namespace: 'AWS/SQS', MetricName: 'NumberOfMessagesSent', Dimensions: [queueName] },
        Period: 60,
        Stat: 'Sum',
      });
      // Messages the redrive policy moves (poison messages) are not counted as sent: the rise in depth covers them.
      expect(metrics.find((m) => m.Id === 'visible')?.MetricStat).toEqual({
        Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [queueName] },
        Period: 60,
        Stat: 'Maximum',
      });
    });

    it('alarms when the oldest delivery waits 5 minutes longer than the longest short-retry timer', () => {
      const backlog = (t: Template) =>
        resourceAt(t, 'Herald/Alerts/DeliveryQueueBacklog/Resource').Properties as Record<string, unknown>;
      expect(backlog(template)).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(id('Herald/Queues/DeliveryQueue/Resource'), 'QueueName') }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 900 + 300,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        AlarmActions: [ref(id('Herald/Alerts/Topic/Resource'))],
      });
      // shortDelaySeconds 60: nothing legitimately waits long; the floor of 5 + 5 minutes applies.
      expect(backlog(configured).Threshold).toBe(600);
    });

    it.each(Object.entries(FUNCTIONS))('alarms on errors of the %s Lambda', (_name, path) => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: ref(id(`${path}/Resource`)) }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [ref(id('Herald/Alerts/Topic/Resource'))],
      });
    });

    it('every alarm notifies the topic (five alarms in all)', () => {
      const alarms = template.findResources('AWS::CloudWatch::Alarm');
      expect(Object.keys(alarms)).toHaveLength(5);
      for (const alarm of Object.values(alarms)) {
        expect(alarm.Properties.AlarmActions).toEqual([ref(id('Herald/Alerts/Topic/Resource'))]);
      }
    });
  });

  describe('THEN the API key and the portal session secret', () => {
    it('are generated secrets without punctuation (40 and 64 characters), no value in the template', () => {
      template.resourceCountIs('AWS::SecretsManager::Secret', 2);
      expect(resourceAt(template, 'Herald/Api/ApiKey/Resource').Properties!.GenerateSecretString).toMatchObject({ ExcludePunctuation: true, PasswordLength: 40 });
      expect(resourceAt(template, 'Herald/Api/PortalSessionSecret/Resource').Properties!.GenerateSecretString).toMatchObject({
        ExcludePunctuation: true,
        PasswordLength: 64,
      });
      expect(resourceAt(template, 'Herald/Api/ApiKey/Resource').Properties!.SecretString).toBeUndefined();
      expect(resourceAt(template, 'Herald/Api/PortalSessionSecret/Resource').Properties!.SecretString).toBeUndefined();
    });
  });

  describe('THEN the outputs', () => {
    it('give the API URL, API key secret ARN, dead-letter queue URL and alert topic ARN', () => {
      template.hasOutput('ApiUrl', {
        Value: {
          'Fn::Join': [
            '',
            ['https://', ref(id('Herald/Api/HttpApi/Resource')), `.execute-api.${TEST_ENV.region}.`, ref('AWS::URLSuffix'), '/'],
          ],
        },
      });
      template.hasOutput('ApiKeySecretArn', { Value: ref(id('Herald/Api/ApiKey/Resource')) });
      template.hasOutput('PortalSessionSecretArn', { Value: ref(id('Herald/Api/PortalSessionSecret/Resource')) });
      template.hasOutput('DeadLetterQueueUrl', { Value: ref(id('Herald/Queues/DeadLetterQueue/Resource')) });
      template.hasOutput('AlertTopicArn', { Value: ref(id('Herald/Alerts/Topic/Resource')) });
    });
  });

  describe('THEN the logical ids of stateful resources are the released ones', () => {
    // Fails if a construct id on the path is renamed: CloudFormation would create a new, empty
    // table or queue and orphan the retained one with all its data.
    it.each([
      ['Herald/DataStore/Table/Resource', 'DataStoreTable1E9F5574'],
      ['Herald/Queues/DeliveryQueue/Resource', 'QueuesDeliveryQueueAD22072F'],
      ['Herald/Queues/DeadLetterQueue/Resource', 'QueuesDeadLetterQueue82AA3FB7'],
      ['Herald/Api/ApiKey/Resource', 'ApiApiKey8A01341B'],
    ])('%s is %s', (path, logicalId) => {
      expect(id(path)).toBe(logicalId);
    });
  });
});

describe('GIVEN -c alertEmail=ops@example.com WHEN the stack is synthesized', () => {
  it('THEN the topic has exactly one e-mail subscription to that address', () => {
    configured.resourceCountIs('AWS::SNS::Subscription', 1);
    configured.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: ref(logicalIdAt(configured, 'Herald/Alerts/Topic/Resource')),
    });
  });
});

describe('GIVEN invalid context WHEN the stack is synthesized', () => {
  it.each([
    ['alertEmail is not an e-mail', { alertEmail: 'ops' }, /context alertEmail/],
    ['retentionDays is 0', { retentionDays: '0' }, /context retentionDays/],
    ['retentionDays is not a number', { retentionDays: 'abc' }, /context retentionDays/],
    ['shortDelaySeconds > 900', { shortDelaySeconds: '1000' }, /context shortDelaySeconds/],
    ['defaultRetryPolicy is invalid', { defaultRetryPolicy: '{"on410":"explode"}' }, /context defaultRetryPolicy/],
  ])('THEN it fails if %s', (_name, context, message) => {
    expect(() => synthHerald(context)).toThrow(message);
  });
});

describe('GIVEN two environments in one account (-c environment=sandbox and -c environment=production)', () => {
  it('THEN their stacks are Herald-sandbox and Herald-production and share no physical name', () => {
    const names = (environment: string) => {
      const app = new App({ context: { environment, 'aws:cdk:bundling-stacks': [] } });
      const settings = readHeraldContext(app.node);
      const stack = new HeraldStack(app, heraldStackName(settings), { settings, env: TEST_ENV });
      const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Properties?: Record<string, unknown> }>;
      const explicit = Object.values(resources).flatMap((r) =>
        Object.entries(r.Properties ?? {})
          .filter(([key, value]) => /^(Name|TableName|QueueName|TopicName|FunctionName|RoleName|SecretName|GroupName)$/.test(key) && typeof value === 'string')
          .map(([, value]) => value as string),
      );
      return { stackName: stack.stackName, explicit };
    };
    const sandbox = names('sandbox');
    const production = names('production');
    expect([sandbox.stackName, production.stackName]).toEqual(['Herald-sandbox', 'Herald-production']);
    expect(sandbox.explicit.length).toBeGreaterThan(0);
    expect(sandbox.explicit.filter((name) => production.explicit.includes(name))).toEqual([]);
  });
});
