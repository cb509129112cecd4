import { Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface RetrySchedulerProps {
  /** Where a schedule puts the retry when it fires. */
  readonly deliveryQueue: sqs.IQueue;
  /**
   * Where the Scheduler puts a schedule's message when its own retries of SendMessage are exhausted
   * (each schedule's target names it as its DeadLetterConfig).
   */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * Where long retries wait: one one-time EventBridge Scheduler schedule per retry, in a schedule
 * group of this stack, firing `SendMessage` into the delivery queue through a role that allows
 * exactly that, and into the dead-letter queue when the Scheduler gives up on a schedule. The
 * deliver Lambda may create schedules in this group only (it never reads or deletes one: a
 * schedule deletes itself once fired), and pass this role only to the Scheduler.
 */
export class RetryScheduler extends Construct {
  readonly group: scheduler.CfnScheduleGroup;
  /** The generated, stack-unique group name. */
  readonly groupName: string;
  /** The role the Scheduler assumes to deliver a schedule's message. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: RetrySchedulerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // An explicit name derived from the construct path (as CDK's own ScheduleGroup does): stable
    // across deployments, unique per stack, and a literal, so policies and env state it directly.
    this.groupName = Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
    this.group = new scheduler.CfnScheduleGroup(this, 'Group', { name: this.groupName });
    // Deleting the group deletes its pending schedules; nothing is lost, because every non-final
    // delivery is also in the table's work index, and the sweep re-enqueues it when it is overdue.
    this.group.applyRemovalPolicy(RemovalPolicy.DESTROY);

    this.role = new iam.Role(this, 'Role', {
      description: 'Assumed by EventBridge Scheduler to put a due retry on the Herald delivery queue',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          // Confused-deputy guard: only schedules of this account and this group may use the role.
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnEquals: { 'aws:SourceArn': this.group.attrArn },
        },
      }),
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [props.deliveryQueue.queueArn, props.deadLetterQueue.queueArn],
      }),
    );
  }

  /** ARN pattern of the schedules in this group (schedule names are only known at run time). */
  get scheduleArnPattern(): string {
    return Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.groupName}/*` });
  }

  /**
   * Lets a function create schedules of this group (and no other group), and pass the Scheduler
   * role, to the Scheduler only, when it creates one.
   */
  grantCreateSchedules(grantee: iam.IGrantable): void {
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['scheduler:CreateSchedule'],
        resources: [this.scheduleArnPattern],
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    if (Construct.isConstruct(principal)) {
      Validations.of(principal).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagFlatten(Stack.of(this).resolve(this.scheduleArnPattern))}]`,
        reason:
          "Retry schedules are named at run time (delivery id + attempt); the wildcard covers only the schedules of Herald's own schedule group.",
      });
    }
  }
}

/**
 * Renders a resolved CloudFormation value the way cdk-nag names a finding (`Ref` and `Fn::GetAtt`
 * as `<Name>` / `<Name.Attr>`, `Fn::Join` joined), so an acknowledgment names exactly one finding
 * instead of silencing the rule for the whole role.
 */
function nagFlatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>;
    if (Array.isArray(node['Fn::Join'])) {
      const [delimiter, parts] = node['Fn::Join'] as [string, unknown[]];
      return parts.map(nagFlatten).join(delimiter);
    }
    if (node.Ref !== undefined) return `<${nagFlatten(node.Ref)}>`;
    if (Array.isArray(node['Fn::GetAtt'])) {
      const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
      return `<${nagFlatten(resource)}.${nagFlatten(attribute)}>`;
    }
  }
  return JSON.stringify(value);
}
