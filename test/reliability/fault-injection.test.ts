/**
 * The fault injection the dependency-fault tests rely on (local/fault-injection.ts), on real SDK clients against
 * the emulators: a fault fails requests like an unreachable service, inside the SDK's retry loop, only for the
 * commands or inputs asked for, and goes away on heal and remove.
 */
import { SchedulerClient, GetScheduleCommand } from '@aws-sdk/client-scheduler';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injectFaults } from '../../local/fault-injection';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';

describe('fault injection into SDK clients', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await startTestEnvironment();
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('fails every request of a client while on, after the SDK retried it (3 attempts), and not once healed or removed', async () => {
    const fault = injectFaults(env.clients.sqs, 'SQS');
    await env.clients.sqs.send(new ListQueuesCommand({}));
    fault.fail();
    const error = await env.clients.sqs.send(new ListQueuesCommand({})).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string; $metadata?: { attempts?: number } },
    );
    expect(error?.name).toBe('InjectedOutageError');
    expect(error?.code).toBe('ECONNREFUSED');
    expect(error?.$metadata?.attempts).toBe(3);
    expect(fault.injectedByCommand).toEqual({ ListQueuesCommand: 3 });
    fault.heal();
    await env.clients.sqs.send(new ListQueuesCommand({}));
    fault.fail();
    fault.remove();
    await env.clients.sqs.send(new ListQueuesCommand({}));
    expect(fault.injected).toBe(3);
  });

  it('on the document client: only the matching commands and inputs fail, and the table is untouched by them', async () => {
    const fault = injectFaults(env.clients.doc, 'DynamoDB');
    const table = env.resources.tableName;
    fault.fail({ match: (command, input) => command === 'PutItemCommand' && input?.Item?.pk === 'FAULT#1' });
    await expect(env.clients.doc.send(new PutCommand({ TableName: table, Item: { pk: 'FAULT#1', sk: 'X' } }))).rejects.toThrow(/injected fault/);
    await env.clients.doc.send(new PutCommand({ TableName: table, Item: { pk: 'FAULT#2', sk: 'X' } }));
    expect((await env.clients.doc.send(new GetCommand({ TableName: table, Key: { pk: 'FAULT#1', sk: 'X' } }))).Item).toBeUndefined();
    expect((await env.clients.doc.send(new GetCommand({ TableName: table, Key: { pk: 'FAULT#2', sk: 'X' } }))).Item).toEqual({ pk: 'FAULT#2', sk: 'X' });
    // The DynamoDB client under the document client shares its middleware stack.
    fault.fail({ commands: ['GetItemCommand'] });
    await expect(env.clients.doc.send(new GetCommand({ TableName: table, Key: { pk: 'FAULT#2', sk: 'X' } }))).rejects.toThrow(/GetItemCommand/);
    fault.remove();
    expect(fault.seenByCommand.PutItemCommand).toBeGreaterThanOrEqual(2);
  });

  it('fails a SchedulerClient\'s requests while on, and lets them through again once removed', async () => {
    const client = new SchedulerClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const fault = injectFaults(client, 'EventBridge Scheduler');
    fault.fail();
    await expect(client.send(new GetScheduleCommand({ Name: 'x' }))).rejects.toThrow(/injected fault: EventBridge Scheduler/);
    expect(fault.injectedByCommand).toEqual({ GetScheduleCommand: 1 });
    fault.remove();
    // Healthy again: the request reaches the network (nothing listens on port 9, so a real ECONNREFUSED).
    await expect(client.send(new GetScheduleCommand({ Name: 'x' }))).rejects.not.toThrow(/injected fault/);
    client.destroy();
  });
});
