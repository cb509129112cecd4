import { describe, expect, it } from 'vitest';
import { compileSchema, pointerToPath, SchemaCache, schemaErrors, validateEventTypeInput } from '../../../lambdas/core/event-catalog';

describe('event-type catalog core', () => {
  it.each([
    ['', ''],
    ['/user', '.user'],
    ['/user/emails/0', '.user.emails[0]'],
    ['/a~1b/c~0d', '["a/b"]["c~d"]'],
    ['/with space/01', '["with space"]["01"]'],
  ])('JSON Pointer %j → path %j', (pointer, path) => {
    expect(pointerToPath(pointer)).toBe(path);
  });

  it('compiles 2020-12 by default and draft-07 when $schema names it', () => {
    // prefixItems is 2020-12 only; in draft-07 strict mode it is an unknown keyword.
    const tuple = { type: 'array', prefixItems: [{ type: 'string' }] };
    expect(compileSchema(tuple).ok).toBe(true);
    expect(compileSchema({ $schema: 'http://json-schema.org/draft-07/schema#', ...tuple }).ok).toBe(false);
    const draft07 = compileSchema({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'array', items: [{ type: 'string' }] });
    expect(draft07.ok && schemaErrors(draft07.value, [1], 'data')).toEqual([{ path: 'data[0]', message: 'must be string (schema #/items/0/type)' }]);
  });

  it('refuses a schema with an unresolvable $ref instead of fetching it', () => {
    const compiled = compileSchema({ $ref: 'https://example.com/schema.json' });
    expect(compiled.ok).toBe(false);
    expect(!compiled.ok && compiled.error).toMatch(/can't resolve reference/);
  });

  it('reports every problem at once, each under its own path', () => {
    const compiled = compileSchema({ type: 'object', required: ['a', 'b'], properties: { c: { type: 'integer', minimum: 1 } } });
    expect(compiled.ok && schemaErrors(compiled.value, { c: 0 }, 'data')).toEqual([
      { path: 'data.a', message: 'is required by the event type’s schema' },
      { path: 'data.b', message: 'is required by the event type’s schema' },
      { path: 'data.c', message: 'must be >= 1 (schema #/properties/c/minimum)' },
    ]);
  });

  it('takes a definition without a schema or example, and refuses a non-object body', () => {
    expect(validateEventTypeInput({})).toEqual({ ok: true, value: { description: '' } });
    expect(validateEventTypeInput({ example: [1] })).toEqual({ ok: true, value: { description: '', example: [1] } });
    expect(validateEventTypeInput('x')).toEqual({ ok: false, error: [{ path: '', message: 'the body must be a JSON object with description, schema and example' }] });
  });

  it('SchemaCache compiles once per definition version', () => {
    const cache = new SchemaCache();
    const v1 = { type: 't', description: '', schema: { type: 'string' }, createdAt: 1, updatedAt: 1 };
    const first = cache.validator(v1);
    expect(cache.validator({ ...v1 })).toBe(first);
    const v2 = { ...v1, schema: { type: 'number' }, updatedAt: 2 };
    const second = cache.validator(v2);
    expect(second).not.toBe(first);
    expect(second!(5)).toBe(true);
    expect(cache.validator({ ...v1, schema: undefined })).toBeUndefined();
  });
});
