/**
 * Shared integration-test harness: dynalite + fauxqs in-process on free ports, Herald's resources provisioned
 * from the shared spec, and real SDK v3 clients pointed at them.
 *
 *   const env = await startTestEnvironment();   // in beforeAll
 *   ... env.clients.doc, env.resources.deliveryQueueUrl ...
 *   await env.stop();                            // in afterAll
 */
import { randomBytes } from 'node:crypto';
import { DeleteMessageCommand, PurgeQueueCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { localSecretBox } from '../../lambdas/adapters/secret-box';
import { systemClock, type Clock, type SecretBox } from '../../lambdas/ports';
import { LOCAL_NAMES, type LocalNames } from '../../lib/spec';
import { localDynamoOf, type LocalDynamo } from '../../local/dynamodb-local';
import { localClients, startEmulators, type Emulators } from '../../local/emulators';
import { IndexLag } from '../../local/index-lag';
import { provisionLocal, type LocalResources } from '../../local/provision';
import { TtlReaper } from '../../local/ttl-reaper';

export interface TestEnvironment extends Emulators {
  readonly resources: LocalResources;
  /** The environment's secret box (a local master key, as in local mode): what the api seals with and deliver opens with. */
  readonly secrets: SecretBox;
  /** Receives (and deletes) up to `max` messages from a queue, waiting at most `waitSeconds` for the first. */
  drain(queueUrl: string, options?: { max?: number; waitSeconds?: number }): Promise<Message[]>;
  /** Empties every Herald queue (between tests). */
  purgeQueues(): Promise<void>;
  /**
   * Opt-in AWS fidelity: from now on, index reads through `clients` see writes `lagMs` late (GSIs are
   * eventually consistent). `disable()` on the result ends it.
   */
  withIndexLag(lagMs: number, clock?: Clock): Promise<IndexLag>;
  /** A TTL reaper for the table, to run with the test's clock (dynalite never expires items). */
  ttlReaper(clock?: Clock): TtlReaper;
}

/** Starts a fresh, isolated environment. Each call gets its own table name, so suites never share state. */
export async function startTestEnvironment(options: { readonly dynamo?: LocalDynamo } = {}): Promise<TestEnvironment> {
  // HERALD_DYNAMODB=dynamodb-local runs the suites on AWS's DynamoDB Local instead of dynalite (.ci/run does both).
  const emulators = await startEmulators({ dynamo: options.dynamo ?? localDynamoOf(process.env) });
  const suffix = randomBytes(4).toString('hex');
  const names: LocalNames = {
    ...LOCAL_NAMES,
    table: `herald-test-${suffix}`,
    deliveryQueue: `herald-delivery-${suffix}`,
    slowDeliveryQueue: `herald-delivery-slow-${suffix}`,
    deadLetterQueue: `herald-dlq-${suffix}`,
    alertTopic: `herald-alerts-${suffix}`,
    tenantNoticeTopic: `herald-tenant-notices-${suffix}`,
    alertInbox: `herald-alert-inbox-${suffix}`,
  };
  const resources = await provisionLocal(emulators.clients, names);
  const { sqs } = emulators.clients;
  // A client without fidelity middlewares, for the index view's own reads and writes.
  const raw = localClients(emulators.dynamoEndpoint, emulators.sqsEndpoint);
  return {
    ...emulators,
    resources,
    secrets: localSecretBox(emulators.clients.doc, resources.tableName, randomBytes(32), systemClock),
    async stop() {
      raw.dynamo.destroy();
      raw.sqs.destroy();
      raw.sns.destroy();
      await emulators.stop();
    },
    withIndexLag: (lagMs, clock) =>
      IndexLag.enable({ clients: emulators.clients, raw: raw.dynamo, tableName: resources.tableName, lagMs, ...(clock === undefined ? {} : { clock }) }),
    ttlReaper: (clock) => new TtlReaper({ dynamo: emulators.clients.dynamo, tableName: resources.tableName, ...(clock === undefined ? {} : { clock }) }),
    async drain(queueUrl, options = {}) {
      const max = options.max ?? 100;
      const out: Message[] = [];
      let wait = options.waitSeconds ?? 0;
      while (out.length < max) {
        const res = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, max - out.length),
            WaitTimeSeconds: wait,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        const messages = res.Messages ?? [];
        if (messages.length === 0) break;
        for (const m of messages) {
          out.push(m);
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
        }
        wait = 0;
      }
      return out;
    },
    async purgeQueues() {
      for (const url of [resources.deliveryQueueUrl, resources.slowDeliveryQueueUrl, resources.deadLetterQueueUrl, resources.alertInboxUrl]) {
        await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
      }
    },
  };
}
