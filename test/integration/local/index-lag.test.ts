/**
 * Opt-in index lag: with it, the emulators behave like DynamoDB, whose global secondary indexes are
 * eventually consistent. Without it, dynalite's indexes are exact, which hides every read-after-write bug on
 * an index.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IndexLag } from '../../../local/index-lag';
import { TestClock, createTestApi } from '../../support/api-events';
import { startTestEnvironment, type TestEnvironment } from '../../support/emulators';

describe('index lag (eventually consistent GSIs)', () => {
  let env: TestEnvironment;
  let lag: IndexLag | undefined;
  const clock = new TestClock(Date.parse('2030-03-01T00:00:00.000Z'));

  beforeAll(async () => {
    env = await startTestEnvironment();
  });
  afterEach(() => {
    lag?.disable();
    lag = undefined;
  });
  afterAll(async () => {
    await env?.stop();
  });

  const table = () => env.resources.tableName;
  const byIndex = async (pk: string) =>
    (
      await env.clients.doc.send(
        new QueryCommand({ TableName: table(), IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': pk } }),
      )
    ).Items ?? [];

  it('GIVEN a lag of 1 s THEN an index read sees a put, an update and a delete only 1 s later; the table itself at once', async () => {
    lag = await env.withIndexLag(1000, clock);
    const key = { pk: 'LAG#1', sk: 'X' };
    // The indexes project keys only (lib/spec.ts): what an index read shows of an item is its index sort key.
    await env.clients.doc.send(new PutCommand({ TableName: table(), Item: { ...key, gsi1pk: 'LAGGED', gsi1sk: 'a', v: 1 } }));
    expect(await byIndex('LAGGED')).toEqual([]);
    expect((await env.clients.doc.send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: true }))).Item?.v).toBe(1);
    clock.advance(1000);
    expect((await byIndex('LAGGED')).map((i) => i.gsi1sk)).toEqual(['a']);

    await env.clients.doc.send(
      new UpdateCommand({ TableName: table(), Key: key, UpdateExpression: 'SET gsi1sk = :s', ExpressionAttributeValues: { ':s': 'b' } }),
    );
    expect((await byIndex('LAGGED')).map((i) => i.gsi1sk)).toEqual(['a']);
    clock.advance(999);
    expect((await byIndex('LAGGED')).map((i) => i.gsi1sk)).toEqual(['a']);
    clock.advance(1);
    expect((await byIndex('LAGGED')).map((i) => i.gsi1sk)).toEqual(['b']);

    await env.clients.doc.send(new DeleteCommand({ TableName: table(), Key: key }));
    expect((await byIndex('LAGGED')).map((i) => i.gsi1sk)).toEqual(['b']);
    clock.advance(1000);
    expect(await byIndex('LAGGED')).toEqual([]);
  });

  it('GIVEN index lag WHEN an endpoint is created THEN reading it by id works at once, while the list (an index) catches up later', async () => {
    const t = createTestApi(env, clock);
    lag = await env.withIndexLag(500, clock);
    const created = await t.api.post('/v1/endpoints', { url: 'https://hooks.example.com/lag', tenant: 'lagging' });
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    expect((await t.api.get(`/v1/endpoints/${id}`)).status).toBe(200);
    const before = await t.api.get('/v1/endpoints', { tenant: 'lagging' });
    expect((before.body as { data: { id: string }[] }).data.map((e) => e.id)).toEqual([]);
    clock.advance(500);
    const after = await t.api.get('/v1/endpoints', { tenant: 'lagging' });
    expect((after.body as { data: { id: string }[] }).data.map((e) => e.id)).toEqual([id]);
  });

  it('GIVEN the lag disabled THEN index reads are exact again', async () => {
    const l = await env.withIndexLag(60_000, clock);
    await env.clients.doc.send(new PutCommand({ TableName: table(), Item: { pk: 'LAG#2', sk: 'X', gsi1pk: 'EXACT', gsi1sk: 'a' } }));
    expect(await byIndex('EXACT')).toEqual([]);
    l.disable();
    expect(await byIndex('EXACT')).toHaveLength(1);
  });
});
