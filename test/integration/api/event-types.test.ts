/**
 * The event-type catalog through the API handler on dynalite: register, read, list, replace and delete types;
 * publish checked against a registered schema (400s naming each path, nothing stored); a test event sends the
 * type's example.
 */
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { drainDeliveryQueue, scanTable, useTestApi } from '../../support/api-events';

const START = Date.parse('2030-01-01T00:00:00.000Z');

const USER_SCHEMA = {
  type: 'object',
  required: ['user'],
  additionalProperties: false,
  properties: {
    user: {
      type: 'object',
      required: ['id', 'email'],
      properties: {
        id: { type: 'string' },
        email: { type: 'string', format: 'email' },
        roles: { type: 'array', items: { enum: ['admin', 'member'] } },
      },
    },
  },
};
const USER_EXAMPLE = { user: { id: 'u_1', email: 'ada@example.com', roles: ['admin'] } };

describe('event-type catalog', () => {
  const h = useTestApi(START);
  const { clock } = h;
  beforeEach(() => {
    clock.time = START;
  });

  const newType = (prefix = 'user') => `${prefix}.${randomBytes(4).toString('hex')}.created`;

  it('registers, reads, lists, replaces and deletes a type', async () => {
    const type = newType();
    const created = await h.t.api.request('PUT', `/v1/event-types/${type}`, {
      body: { description: 'A user was created', schema: USER_SCHEMA, example: USER_EXAMPLE },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      type,
      description: 'A user was created',
      schema: USER_SCHEMA,
      example: USER_EXAMPLE,
      createdAt: new Date(START).toISOString(),
      updatedAt: new Date(START).toISOString(),
    });
    expect((await h.t.api.get(`/v1/event-types/${type}`)).body).toEqual(created.body);

    clock.advance(1000);
    const replaced = await h.t.api.request('PUT', `/v1/event-types/${type}`, { body: { description: 'no schema now' } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual({ ...created.body, description: 'no schema now', schema: null, example: null, updatedAt: new Date(START + 1000).toISOString() });

    const list = await h.t.api.get('/v1/event-types', { limit: '100' });
    expect(list.body.data.map((d: { type: string }) => d.type)).toContain(type);
    const types = list.body.data.map((d: { type: string }) => d.type) as string[];
    expect([...types].sort()).toEqual(types);

    expect((await h.t.api.request('DELETE', `/v1/event-types/${type}`)).body).toEqual({ type, deleted: true });
    expect((await h.t.api.get(`/v1/event-types/${type}`)).status).toBe(404);
    expect((await h.t.api.request('DELETE', `/v1/event-types/${type}`)).status).toBe(404);
  });

  it('pages the catalog with a cursor, and refuses a foreign cursor', async () => {
    for (let i = 0; i < 3; i++) await h.t.api.request('PUT', `/v1/event-types/${newType('paged')}`, { body: {} });
    const first = await h.t.api.get('/v1/event-types', { limit: '2' });
    expect(first.body.data).toHaveLength(2);
    const second = await h.t.api.get('/v1/event-types', { limit: '2', cursor: first.body.nextCursor });
    expect(second.status).toBe(200);
    expect(second.body.data[0].type > first.body.data[1].type).toBe(true);
    const foreign = Buffer.from(JSON.stringify({ pk: 'EP#x', sk: 'EP' })).toString('base64url');
    expect((await h.t.api.get('/v1/event-types', { cursor: foreign })).body.error.details).toEqual([
      { path: 'cursor', message: 'is not a cursor of this list' },
    ]);
  });

  it('refuses an invalid definition, naming each path', async () => {
    const type = newType();
    const cases: [unknown, { path: string; message: string | RegExp }[]][] = [
      [{ schema: { type: 'object', proprties: {} } }, [{ path: 'schema', message: /^is not a valid JSON Schema: strict mode: unknown keyword: "proprties"/ }]],
      [{ schema: { type: 'strng' } }, [{ path: 'schema', message: /^is not a valid JSON Schema/ }]],
      [{ schema: [] }, [{ path: 'schema', message: 'must be a JSON Schema object' }]],
      [
        { schema: USER_SCHEMA, example: { user: { id: 7, email: 'not an e-mail', roles: ['owner'] }, extra: 1 } },
        [
          { path: 'example.extra', message: 'is not allowed by the event type’s schema' },
          { path: 'example.user.id', message: /^must be string/ },
          { path: 'example.user.email', message: /^must match format "email"/ },
          { path: 'example.user.roles[0]', message: /^must be equal to one of the allowed values/ },
        ],
      ],
      [{ description: 5, shape: {} }, [{ path: 'shape', message: 'unknown field; allowed: description, schema, example' }, { path: 'description', message: 'must be a string of at most 1024 characters' }]],
    ];
    for (const [body, expected] of cases) {
      const res = await h.t.api.request('PUT', `/v1/event-types/${type}`, { body });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual(expected.map((e) => ({ path: e.path, message: typeof e.message === 'string' ? e.message : expect.stringMatching(e.message) })));
    }
    // The router answers 404 for a path segment that is not a token, as for every other route.
    expect((await h.t.api.request('PUT', '/v1/event-types/bad%20type', { body: {} })).status).toBe(404);
    expect((await h.t.api.get(`/v1/event-types/${type}`)).status).toBe(404);
  });

  it('checks published data against the registered schema: a 400 naming each path, and nothing stored', async () => {
    const type = newType();
    await h.t.api.request('PUT', `/v1/event-types/${type}`, { body: { schema: USER_SCHEMA, example: USER_EXAMPLE } });
    await h.t.api.post('/v1/endpoints', { url: 'https://hooks.example.com/in', eventTypes: [type] });
    const before = await scanTable(h.env.clients.doc, h.env.resources.tableName);

    const bad = await h.t.api.post('/v1/events', { type, data: { user: { email: 'x@example.com', roles: ['admin', 'root'] } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({
      code: 'validation_failed',
      message: `data does not match the schema of event type ${type}`,
      details: [
        { path: 'data.user.id', message: 'is required by the event type’s schema' },
        { path: 'data.user.roles[1]', message: expect.stringMatching(/^must be equal to one of the allowed values/) },
      ],
    });
    expect((await h.t.api.post('/v1/events', { type, data: 'text' })).body.error.details).toEqual([
      { path: 'data', message: expect.stringMatching(/^must be object/) },
    ]);
    expect(await scanTable(h.env.clients.doc, h.env.resources.tableName)).toEqual(before);
    expect(await drainDeliveryQueue(h.env)).toEqual([]);

    const good = await h.t.api.post('/v1/events', { type, data: USER_EXAMPLE });
    expect(good.status).toBe(202);
    expect(good.body.deliveries).toHaveLength(1);
    // A type without a registered schema takes any data.
    expect((await h.t.api.post('/v1/events', { type: newType('free'), data: 'anything' })).status).toBe(202);
    await drainDeliveryQueue(h.env);
  });

  it('a test event of a registered type sends its example', async () => {
    const type = newType();
    await h.t.api.request('PUT', `/v1/event-types/${type}`, { body: { schema: USER_SCHEMA, example: USER_EXAMPLE } });
    const ep = await h.t.api.post('/v1/endpoints', { url: 'https://hooks.example.com/in', eventTypes: ['other.type'] });
    const res = await h.t.api.post(`/v1/endpoints/${ep.body.id}/test`, { type });
    expect(res.status).toBe(202);
    expect((await h.t.api.get(`/v1/events/${res.body.id}`)).body.data).toEqual(USER_EXAMPLE);
    await drainDeliveryQueue(h.env);
  });
});
