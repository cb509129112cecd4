/**
 * Starts the local stand-ins for AWS in this process: dynalite (DynamoDB) and fauxqs (SQS + SNS), each bound to
 * 127.0.0.1 behind the loopback front (./loopback-guard.ts: no web page, no foreign Host), and builds real AWS SDK
 * v3 clients pointed at them. Used by local mode and by the tests. On request, AWS's DynamoDB Local (a Java
 * process, ./dynamodb-local.ts) stands in for dynalite: the stricter second store the suites also run on.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SNSClient } from '@aws-sdk/client-sns';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import { startDynamoDbLocal, type LocalDynamo } from './dynamodb-local';
import { guardLoopback } from './loopback-guard';

export const LOCAL_REGION = 'us-east-1';
/** Letters and digits only: DynamoDB Local refuses any other access key id. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'heraldlocal', secretAccessKey: 'heraldlocal' } as const;

export interface EmulatorOptions {
  /** The DynamoDB data directory; in memory when absent. */
  readonly dataDir?: string;
  /** Which DynamoDB: dynalite in this process (default), or AWS's DynamoDB Local (needs Java 17). */
  readonly dynamo?: LocalDynamo;
  /** Ports; 0 (default) picks free ones. */
  readonly dynamoPort?: number;
  readonly sqsPort?: number;
}

export interface Emulators {
  readonly dynamoEndpoint: string;
  readonly sqsEndpoint: string;
  readonly clients: AwsClients;
  stop(): Promise<void>;
}

export interface AwsClients {
  readonly dynamo: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
}

/** SDK clients for the given local endpoints (the same client classes the Lambdas use in AWS). */
export function localClients(dynamoEndpoint: string, sqsEndpoint: string): AwsClients {
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 };
  const dynamo = new DynamoDBClient({ ...common, endpoint: dynamoEndpoint });
  return {
    dynamo,
    doc: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    sqs: new SQSClient({ ...common, endpoint: sqsEndpoint }),
    sns: new SNSClient({ ...common, endpoint: sqsEndpoint }),
  };
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const dynamo = options.dynamo === 'dynamodb-local' ? await startJavaDynamo(options) : await startDynalite(options);
  // fauxqs's own startFauxqs always listens on 0.0.0.0 (every interface): its app is built and bound here instead.
  const fauxqs = buildApp({ logger: false, host: '127.0.0.1', defaultRegion: LOCAL_REGION });
  let sqsPort: number;
  try {
    guardLoopback(fauxqs.server);
    await fauxqs.listen({ port: options.sqsPort ?? 0, host: '127.0.0.1' });
    sqsPort = (fauxqs.server.address() as AddressInfo).port;
  } catch (error) {
    await fauxqs.close().catch(() => undefined);
    await dynamo.stop();
    throw error;
  }
  const sqsEndpoint = `http://127.0.0.1:${sqsPort}`;
  const clients = localClients(dynamo.endpoint, sqsEndpoint);
  return {
    dynamoEndpoint: dynamo.endpoint,
    sqsEndpoint,
    clients,
    async stop() {
      clients.dynamo.destroy();
      clients.sqs.destroy();
      clients.sns.destroy();
      await fauxqs.close();
      await dynamo.stop();
    },
  };
}

interface RunningDynamo {
  readonly endpoint: string;
  stop(): Promise<void>;
}

async function startDynalite(options: EmulatorOptions): Promise<RunningDynamo> {
  const dyn = dynalite({
    ...(options.dataDir === undefined ? {} : { path: options.dataDir }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  guardLoopback(dyn);
  await new Promise<void>((resolve, reject) => {
    dyn.once('error', reject);
    dyn.listen(options.dynamoPort ?? 0, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(dyn.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => dyn.close(() => resolve())),
  };
}

function startJavaDynamo(options: EmulatorOptions): Promise<RunningDynamo> {
  return startDynamoDbLocal({
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.dynamoPort === undefined ? {} : { port: options.dynamoPort }),
  });
}
