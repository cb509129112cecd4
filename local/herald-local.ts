/**
 * Herald on one machine: the same api, deliver and sweep handlers as in AWS, wired to dynalite (DynamoDB),
 * fauxqs (SQS + SNS) and the Scheduler emulator through the real SDK clients. An HTTP server plays API Gateway,
 * a poller plays the SQS event source mapping, a timer plays the sweep's EventBridge rule, and a queue subscribed
 * to the alert topic is printed in place of the e-mail.
 *
 * The handlers read their configuration through the same parsers and `HERALD_*` variable names the stack sets,
 * so local mode exercises the production configuration path too.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { createApiHandler, createAuthenticator } from '../lambdas/api/app';
import { apiSettings, parseApiConfig } from '../lambdas/api/config';
import { principalOf } from '../lambdas/api/middleware/auth';
import { needsApiKey } from '../lambdas/api/middleware/types';
import { ENV, resourceEnvironment, type Env } from '../lambdas/config';
import { buildDeliverDeps, createDeliverHandler, operationalEvents } from '../lambdas/deliver/app';
import { parseDeliverConfig } from '../lambdas/deliver/config';
import { localSecretBox } from '../lambdas/adapters/secret-box';
import { EmfMetrics } from '../lambdas/adapters/emf-metrics';
import { SqsQueueDepths } from '../lambdas/adapters/sqs-queue-depths';
import { OutcomeTimeline, TimelineMetrics } from '../lambdas/adapters/timeline-metrics';
import { SnsAlerts } from '../lambdas/adapters/sns-alerts';
import { tenantNoticesFor } from '../lambdas/adapters/tenant-notices';
import { StaticApiKeys } from '../lambdas/adapters/secrets-api-keys';
import { SqsDeliveryQueue } from '../lambdas/adapters/sqs-delivery-queue';
import { jsonLogger, type Logger } from '../lambdas/logger';
import { systemClock } from '../lambdas/ports';
import { createSweepHandler, type SweepHandlerDeps, type SweepSummary } from '../lambdas/sweep/app';
import { scanEmailContacts, scanUnfinished } from './restart-scan';
import { LocalMailboxes } from './mailboxes';
import { recoverAfterRestart } from '../lambdas/use-cases/restart-recovery';
import { parseSweepConfig } from '../lambdas/sweep/config';
import { DELIVER_RECURSIVE_LOOP, LOCAL_NAMES } from '../lib/spec';
import { startAlertPrinter, type AlertPrinter } from './alert-printer';
import { startApiGateway, type LocalApiGateway } from './api-gateway';
import { lockDataDir } from './data-lock';
import { LanePollers } from './lanes';
import { localDynamoOf, type LocalDynamo } from './dynamodb-local';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localClients, startEmulators, type Emulators } from './emulators';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from './private-files';
import { ensureScheduleGroup, provisionLocal, type LocalResources } from './provision';
import { startSchedulerEmulator, type SchedulerEmulator } from './scheduler-emulator';
import { IndexLag } from './index-lag';
import { LambdaLineage } from './lambda-lineage';
import { TtlReaper } from './ttl-reaper';

/** The role the Scheduler emulator is told to assume (it checks nothing; AWS would). */
export const LOCAL_SCHEDULER_ROLE_ARN = 'arn:aws:iam::000000000000:role/herald-local-scheduler';

export interface LocalHeraldOptions {
  /** HTTP port of the API; 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** The API key; a random development key when absent. */
  readonly apiKey?: string;
  /** Where dynalite and the Scheduler emulator keep their data; in memory when absent. */
  readonly dataDir?: string;
  /** Which DynamoDB to run on; default from HERALD_DYNAMODB (dynalite unless it says dynamodb-local). */
  readonly dynamo?: LocalDynamo;
  /** Let endpoints be http, loopback or private addresses (so `http://localhost` receivers work). @default true */
  readonly allowPrivateTargets?: boolean;
  /** How often the sweep runs. @default 10 s */
  readonly sweepIntervalMs?: number;
  /** How overdue a delivery must be before the sweep re-enqueues it. @default 30 s */
  readonly sweepGraceSeconds?: number;
  /** Further `HERALD_*` settings (default retry policy, short delay, alert window, ...), as the stack would set them. */
  readonly env?: Env;
  /** Where alerts that would be e-mailed are printed. @default console.log */
  readonly printAlert?: (text: string) => void;
  /** Where tenant notices that would be e-mailed to contacts are printed. @default printAlert */
  readonly printMail?: (text: string) => void;
  /** Structured logs of the handlers. @default JSON lines on stdout/stderr */
  readonly logger?: Logger;
  /**
   * Where the handlers' metric lines (the same CloudWatch Embedded Metric Format documents the Lambdas write)
   * are printed. @default console.log
   */
  readonly printMetrics?: (line: string) => void;
  /**
   * Index reads (GSI Queries) see writes this many ms late, as DynamoDB's eventually consistent indexes may.
   * @default 0 (dynalite's exact indexes)
   */
  readonly indexLagMs?: number;
  /** How often expired items (TTL) are deleted. @default 60 s */
  readonly ttlReapIntervalMs?: number;
}

export interface LocalHerald {
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  readonly resources: LocalResources;
  readonly emulators: Emulators;
  readonly scheduler: SchedulerEmulator;
  /** The EventBridge Scheduler client the deliver handler uses (pointed at the emulator). */
  readonly schedulerClient: SchedulerClient;
  /** The pollers of the two delivery lanes (the event source mappings in AWS). */
  readonly poller: LanePollers;
  /** The e-mail contacts' mailboxes: what each address would have been e-mailed (tenant notices). */
  readonly mailboxes: LocalMailboxes;
  /** Runs the sweep now (it also runs on its timer). */
  sweep(): Promise<SweepSummary>;
  /** Stops taking requests, lets in-flight work finish, stops the emulators (dynalite flushes to disk). */
  stop(): Promise<void>;
}

/** The master key file in a data folder: what wraps local mode's data key, as KMS does in AWS. */
export const MASTER_KEY_FILE = 'master.key';

/** The portal session secret in a data folder: what portal session tokens are signed under (Secrets Manager in AWS). */
export const PORTAL_SECRET_FILE = 'portal-session.key';

/**
 * Local mode's master key: kept in `<dataDir>/master.key` (0600, created on first start), so a restart can open the
 * secrets it sealed; a random one in memory when there is no data folder. The table holds only the data key wrapped
 * under it, so the table files alone do not give the secrets away.
 */
export function localMasterKey(dataDir: string | undefined): Buffer {
  return keptKey(dataDir, MASTER_KEY_FILE);
}

/**
 * Local mode's portal session secret: kept in `<dataDir>/portal-session.key` (0600, created on first start), so
 * portal links survive a restart; deleting the file (and restarting) ends every session, as rotating the secret does
 * in AWS. A random one in memory when there is no data folder.
 */
export function localPortalSecret(dataDir: string | undefined): string {
  return keptKey(dataDir, PORTAL_SECRET_FILE).toString('base64');
}

/** A random 32-byte key kept base64 in `<dataDir>/<file>` (0600, created on first use); in memory without a folder. */
function keptKey(dataDir: string | undefined, fileName: string): Buffer {
  if (dataDir === undefined) return randomBytes(32);
  const file = join(dataDir, fileName);
  try {
    const kept = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (kept.length === 32) return kept;
    throw new Error(`${file} does not hold a 32-byte key; restore it from a backup, or remove the data folder to start afresh`);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  return key;
}

/** Only the `HERALD_*` entries of an environment: what a user may set to tune local mode. */
export function heraldSettings(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('HERALD_')));
}

export async function startLocalHerald(options: LocalHeraldOptions = {}): Promise<LocalHerald> {
  const apiKey = options.apiKey ?? `hk_dev_${randomBytes(18).toString('base64url')}`;
  // The test suites' switch to AWS's own DynamoDB Local (HERALD_DYNAMODB=dynamodb-local); dynalite otherwise. Each
  // keeps its own files.
  const dynamo = options.dynamo ?? localDynamoOf(process.env);
  const dynamoDir = options.dataDir === undefined ? undefined : join(options.dataDir, dynamo === 'dynalite' ? 'dynamodb' : 'dynamodb-local');
  if (options.dataDir !== undefined && dynamoDir !== undefined) {
    ensurePrivateDir(options.dataDir);
    ensurePrivateDir(dynamoDir);
  }
  // Before dynalite opens its files: a second Herald on this folder stops here, saying who holds it.
  const lock = options.dataDir === undefined ? undefined : lockDataDir(options.dataDir);
  const logger = options.logger ?? jsonLogger;

  let emulators: Emulators;
  try {
    emulators = await startEmulators({ dynamo, ...(dynamoDir === undefined ? {} : { dataDir: dynamoDir }) });
  } catch (error) {
    lock?.release();
    throw error;
  }
  // Run in reverse: the lock is released last, once dynalite has closed its files.
  const stops: (() => Promise<void>)[] = [async () => lock?.release(), () => emulators.stop()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const { clients } = emulators;
    const resources = await provisionLocal(clients, LOCAL_NAMES);
    // What DynamoDB does and dynalite does not: delete expired items; optionally, lag index reads.
    const reaper = new TtlReaper({
      dynamo: clients.dynamo,
      tableName: resources.tableName,
      onError: (error) => logger.error('TTL reaper failed', { error: String(error) }),
    });
    reaper.start(options.ttlReapIntervalMs ?? 60_000);
    stops.push(() => reaper.stop());
    if ((options.indexLagMs ?? 0) > 0) {
      const raw = localClients(emulators.dynamoEndpoint, emulators.sqsEndpoint);
      stops.push(async () => raw.dynamo.destroy());
      await IndexLag.enable({ clients, raw: raw.dynamo, tableName: resources.tableName, lagMs: options.indexLagMs! });
    }
    const scheduler = await startSchedulerEmulator({
      sqs: clients.sqs,
      region: LOCAL_REGION,
      ...(options.dataDir === undefined ? {} : { persistPath: join(options.dataDir, 'schedules.json') }),
      onError: (error, schedule) => logger.error('scheduler emulator could not fire a schedule', { schedule: schedule.Name, error: String(error) }),
    });
    stops.push(() => scheduler.stop());
    const schedulerClient = new SchedulerClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: scheduler.endpoint });
    stops.push(async () => schedulerClient.destroy());
    await ensureScheduleGroup(schedulerClient, resources.scheduleGroup);

    // The environment the stack would give the functions, pointing at the local resources.
    // HERALD_PORTAL_SECRET when given, else the data folder's (or, without one, a random secret for this run).
    const portalSecret = options.env?.[ENV.portalSecret]?.trim() || localPortalSecret(options.dataDir);
    const env: Env = {
      ...resourceEnvironment({ ...resources, schedulerRoleArn: LOCAL_SCHEDULER_ROLE_ARN }),
      [ENV.allowPrivateTargets]: String(options.allowPrivateTargets ?? true),
      [ENV.sweepGraceSeconds]: String(options.sweepGraceSeconds ?? 30),
      [ENV.deployment]: 'local',
      ...options.env,
      [ENV.apiKey]: apiKey,
      [ENV.portalSecret]: portalSecret,
    };
    const apiConfig = parseApiConfig(env);
    const deliverConfig = parseDeliverConfig(env);
    const sweepConfig = parseSweepConfig(env);
    const queue = new SqsDeliveryQueue(clients.sqs, resources.deliveryQueueUrl);
    const printMetrics = options.printMetrics ?? ((line: string) => console.log(line));
    // One process: every handler's outcomes are also counted per minute, for the console overview's charts.
    const timeline = new OutcomeTimeline(systemClock);
    const metrics = (service: string) =>
      new TimelineMetrics(new EmfMetrics({ deployment: apiConfig.deployment, service, write: printMetrics, clock: systemClock }), timeline);

    const apiKeys = new StaticApiKeys([apiKey]);
    // E-mail contacts: a mailbox queue per address, subscribed with the filter policy SNS would get.
    const mailboxes = new LocalMailboxes(clients, resources.tenantNoticeTopicArn, options.printMail ?? options.printAlert);
    for (const { email, owner } of await scanEmailContacts(clients.doc, resources.tableName)) await mailboxes.subscribe(email, owner);
    mailboxes.start();
    stops.push(() => mailboxes.stop());
    // Local mode's stand-in for KMS: a master key in the data folder (0600), or in memory without one.
    const secrets = localSecretBox(clients.doc, apiConfig.tableName, localMasterKey(options.dataDir), systemClock);
    const apiBase = { doc: clients.doc, tableName: apiConfig.tableName, apiKeys, clock: systemClock, portalSecret: () => Promise.resolve(portalSecret), logger };
    const authenticator = createAuthenticator(apiBase);
    const apiHandler = createApiHandler({
      doc: clients.doc,
      tableName: apiConfig.tableName,
      queue,
      apiKeys,
      portalSecret: apiBase.portalSecret,
      authenticator,
      clock: systemClock,
      randomBytes: (size) => randomBytes(size),
      secrets,
      logger,
      metrics: metrics('api'),
      queueDepths: new SqsQueueDepths(clients.sqs, [resources.deliveryQueueUrl, resources.slowDeliveryQueueUrl]),
      history: timeline,
      subscriptions: mailboxes,
      config: apiSettings(apiConfig),
    });
    const deliverHandler = createDeliverHandler(
      buildDeliverDeps({ doc: clients.doc, sqs: clients.sqs, sns: clients.sns, scheduler: schedulerClient, secrets }, deliverConfig, { log: logger, metrics: metrics('deliver') }),
    );
    const sweepDeps: SweepHandlerDeps = {
      doc: clients.doc,
      tableName: sweepConfig.tableName,
      queue,
      alerts: new SnsAlerts(clients.sns, sweepConfig.alertTopicArn),
      operational: operationalEvents(sweepConfig.operationalWebhook, undefined),
      notices: tenantNoticesFor({
        doc: clients.doc,
        tableName: sweepConfig.tableName,
        sns: clients.sns,
        topicArn: sweepConfig.tenantNoticeTopicArn,
        secrets,
        allowPrivateTargets: sweepConfig.allowPrivateTargets,
        clock: systemClock,
      }),
      clock: systemClock,
      graceSeconds: sweepConfig.graceSeconds,
      retentionDays: sweepConfig.retentionDays,
      logger,
    };
    const sweepHandler = createSweepHandler(sweepDeps);

    // fauxqs keeps queues in memory: after a restart every queued message is gone, first attempts and the short
    // retries waiting as SQS timers included (longer ones wait in the Scheduler emulator, which persists). One scan
    // of the (small, local) table puts them all back, each with its remaining delay; one sweep with no grace
    // re-enqueues long waits that fell due while Herald was down.
    const recovered = await recoverAfterRestart({
      unfinished: () => scanUnfinished(clients.doc, sweepConfig.tableName),
      queue,
      clock: systemClock,
      shortDelaySeconds: deliverConfig.shortDelaySeconds,
    });
    if (recovered.requeued > 0) logger.info('startup recovery re-enqueued waiting deliveries', { ...recovered });
    await createSweepHandler({ ...sweepDeps, graceSeconds: 0 })({});

    // Lambda's recursive loop detection, with the deliver function's setting from the stack's spec.
    const lineage = new LambdaLineage();
    lineage.track(clients.sqs);
    const poller = new LanePollers({
      recursion: {
        lineage,
        recursiveLoop: DELIVER_RECURSIVE_LOOP,
        onRecursionStopped: (messageId, hops) =>
          logger.warn('Lambda would stop this recursive loop (RecursiveLoop: Terminate): record not passed to the function', { messageId, hops }),
      },
      sqs: clients.sqs,
      queues: resources,
      handler: deliverHandler,
      region: LOCAL_REGION,
      onError: (lane, error) => logger.error('delivery queue poller failed', { lane, error: String(error) }),
    });
    poller.start();
    stops.push(() => poller.stop());
    scheduler.startTimer();

    const alertPrinter: AlertPrinter = startAlertPrinter(clients.sqs, resources.alertInboxUrl, options.printAlert);
    stops.push(() => alertPrinter.stop());

    let sweeping: Promise<SweepSummary> | undefined;
    const sweep = () => {
      // One sweep at a time; a timer tick during a long sweep joins it.
      sweeping ??= sweepHandler({}).finally(() => {
        sweeping = undefined;
      });
      return sweeping;
    };
    const sweepTimer = setInterval(() => {
      sweep().catch(() => undefined); // the handler logged it; the next tick retries
    }, options.sweepIntervalMs ?? 10_000);
    stops.push(async () => {
      clearInterval(sweepTimer);
      await sweeping?.catch(() => undefined);
    });

    const gateway: LocalApiGateway = await startApiGateway(apiHandler, {
      port: options.port ?? 3000,
      admit: async ({ method, path, authorization }) => !needsApiKey(method, path) || (await principalOf(authenticator, authorization)) !== undefined,
    });
    stops.push(() => gateway.close());
    const url = `http://127.0.0.1:${gateway.port}`;

    let stopped: Promise<void> | undefined;
    return {
      url,
      port: gateway.port,
      apiKey,
      resources,
      emulators,
      scheduler,
      schedulerClient,
      poller,
      mailboxes,
      sweep,
      stop: () => (stopped ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
