import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../lib/constructs/herald-function';
import { TABLE_DATA_ACTIONS } from '../../lib/constructs/data-store';
import { TABLE_SPEC } from '../../lib/spec';
import {
  allows,
  functionStatements,
  grants,
  logicalIdAt,
  pairs,
  resourceAt,
  roleStatements,
  type Statement,
  synthHerald,
  TEST_ENV,
} from './herald-template';

let template: Template;
let api: Statement[];
let worker: Statement[];
let sweeper: Statement[];
/** Rendered ARNs (see `render`): `<LogicalId.Arn>` for GetAtt, `<LogicalId>` for Ref. */
let arn: {
  table: string;
  deliveryQueue: string;
  slowQueue: string;
  deadLetterQueue: string;
  topic: string;
  topicKey: string;
  noticeTopic: string;
  secret: string;
  portalSecret: string;
  secretsKey: string;
  schedulerRole: string;
  scheduleGroupName: string;
  logs: (fn: 'Api' | 'Worker' | 'Sweeper') => string;
};

beforeAll(() => {
  template = synthHerald().template;
  api = functionStatements(template, 'Herald/Api/Function');
  worker = functionStatements(template, 'Herald/Worker/Function');
  sweeper = functionStatements(template, 'Herald/Sweeper/Function');
  const id = (path: string) => logicalIdAt(template, path);
  arn = {
    table: `<${id('Herald/DataStore/Table/Resource')}.Arn>`,
    deliveryQueue: `<${id('Herald/Queues/DeliveryQueue/Resource')}.Arn>`,
    slowQueue: `<${id('Herald/Queues/SlowDeliveryQueue/Resource')}.Arn>`,
    deadLetterQueue: `<${id('Herald/Queues/DeadLetterQueue/Resource')}.Arn>`,
    topic: `<${id('Herald/Alerts/Topic/Resource')}>`,
    topicKey: `<${id('Herald/Alerts/TopicKey/Resource')}.Arn>`,
    noticeTopic: `<${id('Herald/TenantNotices/Topic/Resource')}>`,
    secret: `<${id('Herald/Api/ApiKey/Resource')}>`,
    portalSecret: `<${id('Herald/Api/PortalSessionSecret/Resource')}>`,
    secretsKey: `<${id('Herald/SecretsKey/Key/Resource')}.Arn>`,
    schedulerRole: `<${id('Herald/RetryScheduler/Role/Resource')}.Arn>`,
    scheduleGroupName: resourceAt(template, 'Herald/RetryScheduler/Group').Properties!.Name as string,
    logs: (fn) => `<${id(`Herald/${fn}/FunctionLogs/Resource`)}.Arn>`,
  };
});

const scheduleArn = (group: string, name: string) =>
  `arn:aws:scheduler:${TEST_ENV.region}:${TEST_ENV.account}:schedule/${group}/${name}`;

/** Written out here, not imported, so a change to the granted actions has to change this test too. */
const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
];
const tableGrants = () => [
  ...pairs(TABLE_ACTIONS, [arn.table]),
  ...pairs(['dynamodb:Query'], TABLE_SPEC.globalSecondaryIndexes.map((index) => `${arn.table}/index/${index.indexName}`)),
];
const logGrants = (fn: 'Api' | 'Worker' | 'Sweeper') => pairs(['logs:CreateLogStream', 'logs:PutLogEvents'], [arn.logs(fn)]);
const publishGrants = () => [
  ...pairs(['sns:Publish'], [arn.topic, arn.noticeTopic]),
  ...pairs(['kms:Decrypt', 'kms:GenerateDataKey'], [arn.topicKey]),
];

describe('GIVEN the synthesized stack WHEN the IAM policies are evaluated', () => {
  describe('THEN each Lambda has exactly the permissions of its job (fails on any addition or loss)', () => {
    it('api: its log group, table items and indexes, send to the delivery queue, read the API key and the portal session secret, seal secrets, (un)subscribe contacts', () => {
      expect(grants(api)).toEqual(
        [
          ...logGrants('Api'),
          ...tableGrants(),
          ...pairs(['sqs:SendMessage'], [arn.deliveryQueue]),
          // The overview: both lanes' depths, and the Herald metrics read back (GetMetricData takes only "*").
          ...pairs(['sqs:GetQueueAttributes'], [arn.deliveryQueue, arn.slowQueue]),
          'cloudwatch:GetMetricData on *',
          ...pairs(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], [arn.secret, arn.portalSecret]),
          ...pairs(['kms:Decrypt', 'kms:GenerateDataKey'], [arn.secretsKey]),
          ...pairs(['sns:Subscribe', 'sns:Unsubscribe'], [arn.noticeTopic]),
        ].sort(),
      );
    });

    it('deliver: also consume both delivery lanes, send to the DLQ, publish alerts, create its schedules, pass the Scheduler role, open secrets', () => {
      expect(grants(worker)).toEqual(
        [
          ...logGrants('Worker'),
          ...tableGrants(),
          ...pairs(['kms:Decrypt'], [arn.secretsKey]),
          ...pairs(
            [
              'sqs:ChangeMessageVisibility',
              'sqs:DeleteMessage',
              'sqs:GetQueueAttributes',
              'sqs:GetQueueUrl',
              'sqs:ReceiveMessage',
              'sqs:SendMessage',
            ],
            [arn.deliveryQueue, arn.slowQueue],
          ),
          ...pairs(['sqs:SendMessage'], [arn.deadLetterQueue]),
          ...publishGrants(),
          ...pairs(['scheduler:CreateSchedule'], [scheduleArn(arn.scheduleGroupName, '*')]),
          ...pairs(['iam:PassRole'], [arn.schedulerRole]),
        ].sort(),
      );
    });

    it('sweep: its log group, table items and indexes, send to the delivery queue, publish alerts and notices, open secrets (URL contacts)', () => {
      expect(grants(sweeper)).toEqual(
        [
          ...logGrants('Sweeper'),
          ...tableGrants(),
          ...pairs(['sqs:SendMessage'], [arn.deliveryQueue]),
          ...publishGrants(),
          ...pairs(['kms:Decrypt'], [arn.secretsKey]),
        ].sort(),
      );
    });
  });

  describe('THEN the deliver Lambda and the Scheduler', () => {
    it('deliver may create any schedule of its own group, and not read or delete one (nothing in the code does)', () => {
      expect(allows(worker, 'scheduler:CreateSchedule', scheduleArn(arn.scheduleGroupName, 'dlv_01J-3'))).toBe(true);
      for (const action of ['scheduler:GetSchedule', 'scheduler:DeleteSchedule']) {
        expect(allows(worker, action, scheduleArn(arn.scheduleGroupName, 'dlv_01J-3')), action).toBe(false);
      }
    });

    it('deliver cannot touch schedules of any other group, nor manage groups, nor anything else of the Scheduler', () => {
      for (const group of ['default', 'other', `${arn.scheduleGroupName}-evil`, arn.scheduleGroupName.toLowerCase()]) {
        expect(allows(worker, 'scheduler:CreateSchedule', scheduleArn(group, 'x')), group).toBe(false);
        expect(allows(worker, 'scheduler:DeleteSchedule', scheduleArn(group, 'x')), group).toBe(false);
      }
      const groupArn = `arn:aws:scheduler:${TEST_ENV.region}:${TEST_ENV.account}:schedule-group/${arn.scheduleGroupName}`;
      for (const action of ['scheduler:DeleteScheduleGroup', 'scheduler:CreateScheduleGroup', 'scheduler:TagResource']) {
        expect(allows(worker, action, groupArn)).toBe(false);
      }
      expect(allows(worker, 'scheduler:UpdateSchedule', scheduleArn(arn.scheduleGroupName, 'x'))).toBe(false);
      expect(allows(worker, 'scheduler:ListSchedules', '*')).toBe(false);
    });

    it('deliver may pass only the Scheduler role, and only to the Scheduler', () => {
      expect(allows(worker, 'iam:PassRole', arn.schedulerRole)).toBe(true);
      expect(allows(worker, 'iam:PassRole', `arn:aws:iam::${TEST_ENV.account}:role/anything`)).toBe(false);
      const passRole = worker.filter((s) => JSON.stringify(s.Action) === '"iam:PassRole"');
      expect(passRole).toHaveLength(1);
      expect(passRole[0]!.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
    });

    it('the Scheduler role may only send messages to the delivery queue, and to the DLQ (its dead-letter target)', () => {
      const statements = roleStatements(template, logicalIdAt(template, 'Herald/RetryScheduler/Role/Resource'));
      expect(grants(statements)).toEqual([`sqs:SendMessage on ${arn.deadLetterQueue}`, `sqs:SendMessage on ${arn.deliveryQueue}`]);
    });

    it('neither the api nor the sweep may schedule or pass roles', () => {
      for (const statements of [api, sweeper]) {
        expect(allows(statements, 'scheduler:CreateSchedule', scheduleArn(arn.scheduleGroupName, 'x'))).toBe(false);
        expect(allows(statements, 'iam:PassRole', arn.schedulerRole)).toBe(false);
      }
    });
  });

  describe('THEN no Lambda can do more than its job', () => {
    it.each([
      ['dynamodb:Scan', () => arn.table],
      ['dynamodb:DeleteTable', () => arn.table],
      ['dynamodb:PutItem', () => `${arn.table}/index/gsi1`],
      ['sqs:PurgeQueue', () => arn.deliveryQueue],
      ['sqs:ReceiveMessage', () => arn.deadLetterQueue],
      ['sqs:DeleteMessage', () => arn.deadLetterQueue],
      ['secretsmanager:PutSecretValue', () => arn.secret],
      ['kms:Encrypt', () => arn.topicKey],
      ['sns:Subscribe', () => arn.topic],
    ])('none may %s', (action, resource) => {
      for (const statements of [api, worker, sweeper]) expect(allows(statements, action, resource())).toBe(false);
    });

    it('only the api reads the API key and the portal session secret; only deliver consumes the delivery queue or writes to the DLQ', () => {
      for (const secret of [arn.secret, arn.portalSecret]) {
        expect(allows(worker, 'secretsmanager:GetSecretValue', secret)).toBe(false);
        expect(allows(sweeper, 'secretsmanager:GetSecretValue', secret)).toBe(false);
      }
      expect(allows(api, 'sqs:ReceiveMessage', arn.deliveryQueue)).toBe(false);
      expect(allows(sweeper, 'sqs:ReceiveMessage', arn.deliveryQueue)).toBe(false);
      expect(allows(api, 'sqs:SendMessage', arn.deadLetterQueue)).toBe(false);
      expect(allows(sweeper, 'sqs:SendMessage', arn.deadLetterQueue)).toBe(false);
      expect(allows(api, 'sns:Publish', arn.topic)).toBe(false);
      // The api manages contacts' subscriptions on the notices topic and may not publish to it.
      expect(allows(api, 'sns:Publish', arn.noticeTopic)).toBe(false);
      expect(allows(api, 'sns:Subscribe', arn.noticeTopic)).toBe(true);
      for (const statements of [worker, sweeper]) expect(allows(statements, 'sns:Subscribe', arn.noticeTopic)).toBe(false);
    });

    it('no identity policy in the stack has a wildcard action, nor a "*" resource but for cloudwatch:GetMetricData (which takes no other)', () => {
      const policies = template.findResources('AWS::IAM::Policy');
      expect(Object.keys(policies).length).toBeGreaterThan(0);
      for (const policy of Object.values(policies)) {
        for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
          for (const action of [statement.Action].flat()) expect(action).not.toContain('*');
          if ([statement.Resource].flat().includes('*')) expect([statement.Action].flat()).toEqual(['cloudwatch:GetMetricData']);
        }
      }
    });

    it('no role has an AWS-managed policy attached (so no AWSLambdaBasicExecutionRole logs:* on *)', () => {
      for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
    });
  });
});

/** IAM actions for the AWS SDK commands the Lambda code imports (lambdas/**): what the code can really call. */
function actionsTheCodeCalls(): Set<string> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.push(path);
    }
  };
  walk(join(REPO_ROOT, 'lambdas'));
  const service: Record<string, string> = {
    'lib-dynamodb': 'dynamodb',
    'client-dynamodb': 'dynamodb',
    'client-sqs': 'sqs',
    'client-sns': 'sns',
    'client-scheduler': 'scheduler',
    'client-secrets-manager': 'secretsmanager',
    'client-cloudwatch': 'cloudwatch',
  };
  // Document-client command names differ from the API operations they call.
  const operation: Record<string, string> = {
    Get: 'GetItem',
    Put: 'PutItem',
    Update: 'UpdateItem',
    Delete: 'DeleteItem',
    BatchGet: 'BatchGetItem',
    BatchWrite: 'BatchWriteItem',
    TransactGet: 'TransactGetItems',
    TransactWrite: 'TransactWriteItems',
    // IAM authorizes SendMessageBatch as SendMessage.
    SendMessageBatch: 'SendMessage',
  };
  const actions = new Set<string>();
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/([a-z-]+)'/g)) {
      const prefix = service[match[2]!];
      if (prefix === undefined) continue;
      for (const name of match[1]!.split(',').map((n) => n.trim().replace(/^type\s+/, ''))) {
        const command = /^([A-Z]\w*)Command$/.exec(name)?.[1];
        if (command !== undefined) actions.add(`${prefix}:${operation[command] ?? command}`);
      }
    }
  }
  return actions;
}

describe('GIVEN the SDK commands the Lambda code imports WHEN compared with the grants', () => {
  it('THEN every table action granted is one the code calls, and every one it calls is granted', () => {
    const called = [...actionsTheCodeCalls()].filter((a) => a.startsWith('dynamodb:'));
    expect([...TABLE_DATA_ACTIONS].sort()).toEqual(called.sort());
  });

  it('THEN the CloudWatch and SQS read actions granted to the api are exactly the ones the code calls', () => {
    const called = [...actionsTheCodeCalls()].filter((a) => a.startsWith('cloudwatch:') || a === 'sqs:GetQueueAttributes');
    const granted = [...new Set(grants(api).map((g) => g.split(' on ')[0]!).filter((a) => a.startsWith('cloudwatch:') || a === 'sqs:GetQueueAttributes'))];
    expect(granted.sort()).toEqual(called.sort());
  });

  it('THEN the Scheduler actions granted to deliver are exactly the ones the code calls', () => {
    const called = [...actionsTheCodeCalls()].filter((a) => a.startsWith('scheduler:'));
    const granted = [...new Set(grants(worker).map((g) => g.split(' on ')[0]!).filter((a) => a.startsWith('scheduler:')))];
    expect(granted.sort()).toEqual(called.sort());
  });
});

describe('the policy evaluator used above', () => {
  // The assertions above are only as good as `allows`; these pin its matching rules.
  const statements: Statement[] = [
    { Effect: 'Allow', Action: ['s3:Get*'], Resource: 'arn:aws:s3:::bucket/*' },
    { Effect: 'Deny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/secret' },
  ];

  it('matches wildcards in actions (case-insensitively) and resources', () => {
    expect(allows(statements, 's3:getobject', 'arn:aws:s3:::bucket/a/b')).toBe(true);
    expect(allows(statements, 's3:PutObject', 'arn:aws:s3:::bucket/a')).toBe(false);
    expect(allows(statements, 's3:GetObject', 'arn:aws:s3:::bucket2/a')).toBe(false);
  });

  it('lets a Deny win over an Allow', () => {
    expect(allows(statements, 's3:GetObject', 'arn:aws:s3:::bucket/secret')).toBe(false);
  });
});
