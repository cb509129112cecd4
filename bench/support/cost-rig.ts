/**
 * Local mode wired for metering: the same pieces `startLocalHerald` uses (dynalite and fauxqs, the
 * Scheduler emulator, the local API Gateway and SQS poller, the api and deliver handlers built by
 * `createApiHandler` and `buildDeliverDeps` from the same `HERALD_*` configuration), except that
 * each party gets its own SDK clients so its calls can be told apart, and each handler invocation
 * is timed:
 *
 * - `api`: the api Lambda's DynamoDB and SQS clients;
 * - `deliver`: the deliver Lambda's DynamoDB, SQS, SNS and Scheduler clients;
 * - `event-source-mapping`: the poller's SQS client (in AWS the mapping's polls are billed to you);
 * - `scheduler-service`: the SQS client the Scheduler emulator sends fired schedules with (in AWS
 *   a Scheduler invocation, plus an SQS request on your queue).
 *
 * `startLocalHerald` builds its clients internally and shares them between handlers, so it cannot
 * attribute calls; this rig is its metered twin. The sweep is left out: it runs on a timer, not per
 * delivery (its cost is a fixed monthly amount, see docs/benchmarks.md).
 */
import { EmfMetrics } from '../../lambdas/adapters/emf-metrics';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { APIGatewayProxyEventV2, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { StaticApiKeys } from '../../lambdas/adapters/secrets-api-keys';
import { localSecretBox } from '../../lambdas/adapters/secret-box';
import { SqsDeliveryQueue } from '../../lambdas/adapters/sqs-delivery-queue';
import { createApiHandler } from '../../lambdas/api/app';
import { apiSettings, parseApiConfig } from '../../lambdas/api/config';
import { ENV, resourceEnvironment, type Env } from '../../lambdas/config';
import { LOCAL_SCHEDULER_ROLE_ARN } from '../../local/herald-local';
import { buildDeliverDeps, createDeliverHandler } from '../../lambdas/deliver/app';
import { parseDeliverConfig } from '../../lambdas/deliver/config';
import { systemClock } from '../../lambdas/ports';
import { LOCAL_NAMES } from '../../lib/spec';
import { startApiGateway } from '../../local/api-gateway';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localClients, startEmulators, type Emulators } from '../../local/emulators';
import { LanePollers } from '../../local/lanes';
import { provisionLocal, type LocalResources } from '../../local/provision';
import { startSchedulerEmulator, type SchedulerEmulator } from '../../local/scheduler-emulator';
import { AwsMeter } from './aws-meter';
import { countingLogger, type CountingLogger } from './logging';

export interface CostRigOptions {
  /** Records per deliver invocation (the mapping's BatchSize). */
  readonly batchSize: number;
  /** Further `HERALD_*` settings (e.g. the short delay). */
  readonly env?: Env;
}

export interface Invocation {
  readonly ms: number;
  readonly records: number;
}

export interface CostRig {
  readonly url: string;
  readonly apiKey: string;
  readonly emulators: Emulators;
  readonly resources: LocalResources;
  readonly meter: AwsMeter;
  readonly poller: LanePollers;
  readonly apiInvocations: Invocation[];
  readonly deliverInvocations: Invocation[];
  readonly apiLogs: CountingLogger;
  readonly deliverLogs: CountingLogger;
  /** Deliver invocations running now. */
  inFlight(): number;
  /** Forgets every call, invocation and log line recorded so far (after the set-up). */
  resetUsage(): void;
  stop(): Promise<void>;
}

export async function startCostRig(options: CostRigOptions): Promise<CostRig> {
  const emulators = await startEmulators();
  const stops: (() => Promise<void> | void)[] = [() => emulators.stop()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined);
  };
  try {
    const resources = await provisionLocal(emulators.clients, LOCAL_NAMES);
    const meter = new AwsMeter(emulators.clients.doc);
    const client = () => {
      const c = localClients(emulators.dynamoEndpoint, emulators.sqsEndpoint);
      stops.push(() => {
        c.dynamo.destroy();
        c.sqs.destroy();
        c.sns.destroy();
      });
      return c;
    };
    const api = client();
    const deliver = client();
    const esm = client();
    const schedulerService = client();
    meter.instrument(api.dynamo, 'api', 'dynamodb');
    meter.instrument(api.sqs, 'api', 'sqs');
    meter.instrument(deliver.dynamo, 'deliver', 'dynamodb');
    meter.instrument(deliver.sqs, 'deliver', 'sqs');
    meter.instrument(deliver.sns, 'deliver', 'sns');
    meter.instrument(esm.sqs, 'event-source-mapping', 'sqs');
    meter.instrument(schedulerService.sqs, 'scheduler-service', 'sqs');

    const scheduler: SchedulerEmulator = await startSchedulerEmulator({
      sqs: schedulerService.sqs,
      region: LOCAL_REGION,
      groups: [resources.scheduleGroup],
      // The scenarios retry with 0 s delays to keep runs short; Herald rounds a schedule up to the next minute
      // (the Scheduler's precision), so the emulator's clock runs two minutes ahead and fires it at once. The
      // messages still arrive after their due time, so what is counted is what AWS would bill.
      clock: { now: () => Date.now() + 120_000 },
    });
    stops.push(() => scheduler.stop());
    const schedulerClient = new SchedulerClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: scheduler.endpoint });
    stops.push(() => schedulerClient.destroy());
    meter.instrument(schedulerClient, 'deliver', 'scheduler');

    const apiKey = `hk_bench_${randomBytes(12).toString('base64url')}`;
    const env: Env = {
      ...resourceEnvironment({ ...resources, schedulerRoleArn: LOCAL_SCHEDULER_ROLE_ARN }),
      [ENV.allowPrivateTargets]: 'true',
      ...options.env,
      [ENV.apiKey]: apiKey,
      [ENV.portalSecret]: randomBytes(32).toString('base64'),
    };
    const apiConfig = parseApiConfig(env);
    const deliverConfig = parseDeliverConfig(env);
    const apiLogs = countingLogger();
    const deliverLogs = countingLogger();

    // Standing in for KMS as local mode does: one data key, unwrapped once per process (as once per container).
    const masterKey = randomBytes(32);
    const apiHandler = createApiHandler({
      doc: api.doc,
      tableName: apiConfig.tableName,
      queue: new SqsDeliveryQueue(api.sqs, apiConfig.deliveryQueueUrl),
      apiKeys: new StaticApiKeys([apiKey]),
      portalSecret: () => Promise.resolve(apiConfig.portalSecret.kind === 'static' ? apiConfig.portalSecret.value : ''),
      clock: systemClock,
      randomBytes: (size) => randomBytes(size),
      secrets: localSecretBox(api.doc, apiConfig.tableName, masterKey, systemClock),
      logger: apiLogs.logger,
      metrics: new EmfMetrics({ deployment: apiConfig.deployment, service: 'api', write: apiLogs.line, clock: systemClock }),
      config: apiSettings(apiConfig),
    });
    const deliverHandler = createDeliverHandler(
      buildDeliverDeps(
        {
          doc: deliver.doc,
          sqs: deliver.sqs,
          sns: deliver.sns,
          scheduler: schedulerClient,
          secrets: localSecretBox(deliver.doc, deliverConfig.tableName, masterKey, systemClock),
        },
        deliverConfig,
        {
          log: deliverLogs.logger,
          metrics: new EmfMetrics({ deployment: deliverConfig.deployment, service: 'deliver', write: deliverLogs.line, clock: systemClock }),
        },
      ),
    );

    const apiInvocations: Invocation[] = [];
    const deliverInvocations: Invocation[] = [];
    let inFlight = 0;
    const timedApi = async (event: APIGatewayProxyEventV2, context: Context) => {
      const started = performance.now();
      try {
        return await apiHandler(event, context);
      } finally {
        apiInvocations.push({ ms: performance.now() - started, records: 1 });
      }
    };
    const timedDeliver = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
      inFlight++;
      const started = performance.now();
      try {
        return await deliverHandler(event, context);
      } finally {
        deliverInvocations.push({ ms: performance.now() - started, records: event.Records.length });
        inFlight--;
      }
    };

    const poller = new LanePollers({
      sqs: esm.sqs,
      queues: resources,
      handler: timedDeliver,
      region: LOCAL_REGION,
      batchSize: options.batchSize,
    });
    stops.push(() => poller.stop());
    scheduler.startTimer(100);
    const gateway = await startApiGateway(timedApi, { port: 0 });
    stops.push(() => gateway.close());

    let stopped: Promise<void> | undefined;
    return {
      url: `http://127.0.0.1:${gateway.port}`,
      apiKey,
      emulators,
      resources,
      meter,
      poller,
      apiInvocations,
      deliverInvocations,
      apiLogs,
      deliverLogs,
      inFlight: () => inFlight,
      resetUsage() {
        meter.reset();
        for (const lane of [poller.fast, poller.slow]) Object.assign(lane.stats, { batches: 0, received: 0, deleted: 0, failed: 0 });
        apiInvocations.length = 0;
        deliverInvocations.length = 0;
        apiLogs.reset();
        deliverLogs.reset();
      },
      stop: () => (stopped ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
