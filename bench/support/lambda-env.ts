/**
 * The environment the stack gives Herald's functions, with placeholder resource names: built with the same
 * `resourceEnvironment` as the stack and local mode, so a benchmark's handlers are configured as deployed and a new
 * required variable cannot leave a benchmark behind (test/unit/bench/lambda-env.test.ts parses it with every
 * handler's config).
 */
import { ENV, resourceEnvironment } from '../../lambdas/config';

/** Resource names in `account` of us-east-1; the queues at `sqsOrigin` (never called by the benchmarks). */
export function placeholderResourceEnv(account: string, sqsOrigin = 'https://sqs.us-east-1.amazonaws.com'): Record<string, string> {
  const queue = (name: string) => ({ url: `${sqsOrigin}/${account}/${name}`, arn: `arn:aws:sqs:us-east-1:${account}:${name}` });
  const delivery = queue('herald-delivery');
  const slow = queue('herald-delivery-slow');
  const dead = queue('herald-dead-letter');
  return resourceEnvironment({
    tableName: 'herald-table',
    deliveryQueueUrl: delivery.url,
    deliveryQueueArn: delivery.arn,
    slowDeliveryQueueUrl: slow.url,
    slowDeliveryQueueArn: slow.arn,
    deadLetterQueueUrl: dead.url,
    deadLetterQueueArn: dead.arn,
    alertTopicArn: `arn:aws:sns:us-east-1:${account}:herald-alerts`,
    tenantNoticeTopicArn: `arn:aws:sns:us-east-1:${account}:herald-tenant-notices`,
    scheduleGroup: 'herald',
    schedulerRoleArn: `arn:aws:iam::${account}:role/herald-scheduler`,
  });
}

/** Every function's environment in AWS (lib/constructs/publish-api.ts adds the api's secrets), placeholders only. */
export function placeholderLambdaEnv(account = '123456789012'): Record<string, string> {
  return {
    ...placeholderResourceEnv(account),
    [ENV.apiKeySecretArn]: `arn:aws:secretsmanager:us-east-1:${account}:secret:herald-api-key-AbCdEf`,
    [ENV.portalSecretArn]: `arn:aws:secretsmanager:us-east-1:${account}:secret:herald-portal-AbCdEf`,
    [ENV.secretsKeyArn]: `arn:aws:kms:us-east-1:${account}:key/11111111-2222-3333-4444-555555555555`,
  };
}
