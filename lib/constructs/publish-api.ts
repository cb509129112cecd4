import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/config';
import type { DataStore } from './data-store';
import type { DeliveryQueues } from './delivery-queues';
import { HeraldFunction } from './herald-function';
import type { SecretsKey } from './secrets-key';

export interface PublishApiProps {
  readonly dataStore: DataStore;
  /** Seals signing secrets and header values before they are stored. */
  readonly secretsKey: SecretsKey;
  readonly queues: DeliveryQueues;
  /** The shared `HERALD_*` configuration. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Steady-state requests per second across the API, before API Gateway answers 429.
   *
   * @default 500
   */
  readonly rateLimit?: number;
  /**
   * Burst of requests API Gateway accepts above the rate.
   *
   * @default 1000
   */
  readonly burstLimit?: number;
  /** Keep Lambda's own START/END/REPORT lines (context `platformLogs`; see HeraldFunctionProps). @default false */
  readonly platformLogs?: boolean;
}

/** One JSON line per request; the Authorization header and the body are never logged. */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    method: '$context.httpMethod',
    path: '$context.path',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    latencyMs: '$context.responseLatency',
    integrationLatencyMs: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
  }),
);

/**
 * The public HTTP API: API Gateway (HTTP API) sends every route to the api Lambda, which does the
 * routing and the bearer-key check itself, and the API key secret that Lambda reads.
 *
 * The stage throttles (bounding what a runaway client can cost) and writes access logs.
 */
export class PublishApi extends Construct {
  readonly function: HeraldFunction;
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly apiKeySecret: secretsmanager.Secret;
  /** What portal session tokens are signed under (a key derived from it); rotating it ends every session. */
  readonly portalSessionSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: PublishApiProps) {
    super(scope, id);
    this.apiKeySecret = new secretsmanager.Secret(this, 'ApiKey', {
      description: 'Herald API key: clients send it as "Authorization: Bearer <key>"',
      generateSecretString: { excludePunctuation: true, passwordLength: 40 },
    });
    Validations.of(this.apiKeySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The API key is shared with the clients, so the operator rotates it when the clients can follow; the api accepts both AWSCURRENT and AWSPREVIOUS, so a rotation never locks a client out.',
    });

    this.portalSessionSecret = new secretsmanager.Secret(this, 'PortalSessionSecret', {
      description: 'Herald portal sessions: tokens are signed under a key derived from this value; rotating it ends every session',
      generateSecretString: { excludePunctuation: true, includeSpace: false, passwordLength: 64 },
    });
    Validations.of(this.portalSessionSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating this secret is how an operator revokes every portal session at once, so it is rotated by hand when wanted (a new value takes effect within five minutes); each session lasts at most 24 hours anyway.',
    });

    this.function = new HeraldFunction(this, 'Function', {
      platformLogs: props.platformLogs,
      entry: 'lambdas/api/handler.ts',
      description: 'Herald public HTTP API',
      memorySize: 512,
      // Below API Gateway's 30 s integration limit, so a slow request ends as a Lambda timeout.
      timeout: Duration.seconds(15),
      environment: {
        ...props.environment,
        ...props.secretsKey.environment(),
        [ENV.apiKeySecretArn]: this.apiKeySecret.secretArn,
        [ENV.portalSecretArn]: this.portalSessionSecret.secretArn,
      },
    });
    props.dataStore.grantReadWriteData(this.function);
    props.secretsKey.grantSeal(this.function);
    props.queues.grantSendToDeliveryQueue(this.function);
    props.queues.grantReadDepths(this.function);
    // The overview's charts read the deployment's own Herald metrics back. GetMetricData has no resource-level
    // permissions (IAM accepts only "*"); it reads metrics, nothing else.
    const principal = this.function.grantPrincipal;
    principal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
    if (Construct.isConstruct(principal)) {
      Validations.of(principal).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudwatch:GetMetricData supports no resource-level permissions (IAM accepts only "*"); the statement grants that one read-only action, which the overview uses to chart the Herald metrics.',
      });
    }
    this.apiKeySecret.grantRead(this.function);
    this.portalSessionSecret.grantRead(this.function);

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      // The stack's name (Herald-sandbox, Herald-production): two environments in one account read apart.
      apiName: Stack.of(this).stackName,
      description: 'Herald public API',
      // `$default` catches every method and path; the api Lambda routes, and answers 404 itself.
      defaultIntegration: new HttpLambdaIntegration('Api', this.function),
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_MONTH });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 500, burstLimit: props.burstLimit ?? 1000 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: ACCESS_LOG_FORMAT,
      },
    });
    Validations.of(this.httpApi).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Every route but GET /health requires "Authorization: Bearer <api key>", compared in constant time by the api Lambda against the key in Secrets Manager; an API Gateway authorizer would add a second invocation per request.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason: 'Clients are backends holding an API key, not Cognito users; the key is checked by the api Lambda.',
      },
    );
  }
}
