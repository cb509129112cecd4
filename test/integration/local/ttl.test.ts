/**
 * TTL really deletes in DynamoDB; dynalite never does. The reaper deletes what DynamoDB would, so tests and local
 * mode see expired items go.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TTL_IGNORED_AFTER_SECONDS } from '../../../local/ttl-reaper';
import { TestClock } from '../../support/api-events';
import { startTestEnvironment, type TestEnvironment } from '../../support/emulators';

describe('TTL reaper', () => {
  let env: TestEnvironment;
  const clock = new TestClock(Date.parse('2030-04-01T00:00:00.000Z'));
  const now = () => Math.floor(clock.now() / 1000);

  beforeAll(async () => {
    env = await startTestEnvironment();
  });
  afterAll(async () => {
    await env?.stop();
  });

  const put = (pk: string, expiresAt: unknown) =>
    env.clients.doc.send(new PutCommand({ TableName: env.resources.tableName, Item: { pk, sk: 'X', expiresAt } }));
  const exists = async (pk: string) =>
    (await env.clients.doc.send(new GetCommand({ TableName: env.resources.tableName, Key: { pk, sk: 'X' }, ConsistentRead: true }))).Item !== undefined;

  it('deletes items whose TTL has passed, and only those DynamoDB would delete', async () => {
    await put('TTL#expired', now() - 1);
    await put('TTL#due-now', now());
    await put('TTL#future', now() + 60);
    await put('TTL#ancient', now() - TTL_IGNORED_AFTER_SECONDS - 1);
    await put('TTL#string', String(now() - 100));
    await env.clients.doc.send(new PutCommand({ TableName: env.resources.tableName, Item: { pk: 'TTL#none', sk: 'X' } }));

    const reaper = env.ttlReaper(clock);
    expect(await reaper.reap()).toBe(1);
    expect(await exists('TTL#expired')).toBe(false);
    for (const kept of ['TTL#due-now', 'TTL#future', 'TTL#ancient', 'TTL#string', 'TTL#none']) expect(await exists(kept), kept).toBe(true);

    clock.advance(61_000);
    expect(await reaper.reap()).toBe(2);
    expect(await exists('TTL#due-now')).toBe(false);
    expect(await exists('TTL#future')).toBe(false);
  });

  it('keeps an item whose TTL was moved forward in time', async () => {
    await put('TTL#refreshed', now() - 10);
    await env.clients.doc.send(
      new UpdateCommand({
        TableName: env.resources.tableName,
        Key: { pk: 'TTL#refreshed', sk: 'X' },
        UpdateExpression: 'SET expiresAt = :later',
        ExpressionAttributeValues: { ':later': now() + 3600 },
      }),
    );
    expect(await env.ttlReaper(clock).reap()).toBe(0);
    expect(await exists('TTL#refreshed')).toBe(true);
  });
});
