/**
 * The second store: AWS's DynamoDB Local as local mode's DynamoDB (HERALD_DYNAMODB=dynamodb-local). Runs when the
 * jar has been fetched (`npm run fetch:dynamodb-local`, which `npm run test:dynamodb-local` and .ci/run do).
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DYNAMODB_LOCAL_JAR, localDynamoOf } from '../../../local/dynamodb-local';
import { startEmulators, type Emulators } from '../../../local/emulators';
import { provisionLocal } from '../../../local/provision';
import { LOCAL_NAMES } from '../../../lib/spec';
import { killGroup, spawnGroup } from '../../support/process-group';

const jar = process.env.HERALD_DYNAMODB_LOCAL_JAR ?? DEFAULT_DYNAMODB_LOCAL_JAR;

describe('HERALD_DYNAMODB', () => {
  it('selects dynalite by default and DynamoDB Local by name, and refuses anything else by name', () => {
    expect(localDynamoOf({})).toBe('dynalite');
    expect(localDynamoOf({ HERALD_DYNAMODB: 'dynalite' })).toBe('dynalite');
    expect(localDynamoOf({ HERALD_DYNAMODB: 'dynamodb-local' })).toBe('dynamodb-local');
    expect(() => localDynamoOf({ HERALD_DYNAMODB: 'dynamo' })).toThrow(/HERALD_DYNAMODB must be dynalite or dynamodb-local, not "dynamo"/);
  });
});

describe.runIf(existsSync(jar))('DynamoDB Local as the store', () => {
  let emulators: Emulators;
  beforeAll(async () => {
    emulators = await startEmulators({ dynamo: 'dynamodb-local' });
  });
  afterAll(() => emulators?.stop());

  it("is AWS's stricter DynamoDB: Herald's table provisions, and an unused expression value is refused as in AWS", async () => {
    const resources = await provisionLocal(emulators.clients, { ...LOCAL_NAMES, table: 'herald-strict', deliveryQueue: 'q1', slowDeliveryQueue: 'q2', deadLetterQueue: 'q3', alertTopic: 't1', alertInbox: 'q4' });
    const put = (extra: object) =>
      emulators.clients.dynamo.send(new PutItemCommand({ TableName: resources.tableName, Item: { pk: { S: 'x' }, sk: { S: 'y' } }, ...extra }));
    await expect(
      put({ ConditionExpression: 'attribute_not_exists(pk)', ExpressionAttributeValues: { ':unused': { S: 'z' } } }),
    ).rejects.toThrow(/unused/i);
    await put({ ConditionExpression: 'attribute_not_exists(pk)' });
    // What dynalite does not do: a failed condition returns the item it found.
    const failed = await put({ ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }).catch((e: unknown) => e);
    expect((failed as { Item?: unknown }).Item).toEqual({ pk: { S: 'x' }, sk: { S: 'y' } });
  });

  it('leaves no Java behind when the process that started it is killed outright', async () => {
    const script =
      "const { startDynamoDbLocal } = await import('./local/dynamodb-local.ts');" +
      'const db = await startDynamoDbLocal(); console.log(db.endpoint); setInterval(() => {}, 1000);';
    const child = spawnGroup(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const endpoint = await new Promise<string>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          const match = /http:\/\/127\.0\.0\.1:\d+/.exec(chunk.toString('utf8'));
          if (match !== null) resolve(match[0]);
        });
        child.once('exit', () => reject(new Error('the child ended before DynamoDB Local answered')));
      });
      const port = Number(new URL(endpoint).port);
      expect(await accepts(port)).toBe(true);
      // SIGKILL the node process only (not its group): its pipe to the watchdog closes, and the watchdog stops Java.
      process.kill(child.pid!, 'SIGKILL');
      let open = true;
      for (let i = 0; i < 200 && open; i++) {
        await new Promise((r) => setTimeout(r, 100));
        open = await accepts(port);
      }
      expect(open).toBe(false);
    } finally {
      await killGroup(child);
    }
  });
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
