import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { apiRoutes } from '../../../../lambdas/api/router';
import { errorStatuses, openApiDocument, openApiJson } from '../../../../lambdas/api/schemas/openapi';
import { OPERATIONS, type Operation } from '../../../../lambdas/api/schemas/operations';

const ROOT = join(import.meta.dirname, '../../../..');
type Doc = { paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: Record<string, { example?: unknown }> }> }>> };

describe('the OpenAPI document', () => {
  it('is checked in as openapi.json and not stale (run `npm run build:openapi` after changing lambdas/api/schemas)', () => {
    expect(readFileSync(join(ROOT, 'openapi.json'), 'utf8')).toBe(openApiJson());
  });

  it('is a valid OpenAPI 3.1 document for an independent validator', async () => {
    const validator = new Validator();
    const result = await validator.validate(openApiDocument());
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('the validator rejects a broken document (the check itself works)', async () => {
    const broken = openApiDocument() as { paths: Record<string, Record<string, { parameters?: { in: string }[] }>> };
    broken.paths['/v1/events']!.post!.parameters![0]!.in = 'body';
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('describes exactly the routes the API serves, by method and path', () => {
    const served = apiRoutes({} as never, { allowPrivateTargets: false, defaultRetryPolicy: undefined }).map((r) => `${r.method} ${r.path} ${r.operationId}`);
    const doc = openApiDocument() as Doc;
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
    );
    expect(documented.sort()).toEqual(served.sort());
  });

  it.each([
    ['publish', [202, 400, 401, 403, 409, 413, 415, 500, 503]],
    ['getEndpoint', [200, 401, 403, 404, 500, 503]],
    ['listDeadLetters', [200, 400, 401, 403, 500, 503]],
    ['retryDelivery', [202, 400, 401, 403, 404, 409, 413, 415, 500, 503]],
    ['health', [200, 500]],
  ] as const)('lists every status %s can answer, each with an example body', (name, statuses) => {
    const op: Operation = OPERATIONS[name];
    const doc = openApiDocument() as Doc;
    const responses = doc.paths[op.path]![op.method.toLowerCase()]!.responses;
    expect(Object.keys(responses).map(Number).sort()).toEqual([...statuses]);
    expect(errorStatuses(op)).toEqual(statuses.filter((s) => s >= 400));
    for (const status of statuses.filter((s) => s >= 400)) expect(responses[status]!.content!['application/json']!.example).toBeDefined();
  });

  it('has an example for every request body and for the main answers', () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { example?: unknown }> }; responses: Record<string, { content?: Record<string, { example?: unknown; schema: unknown }> }> }>> };
    const post = doc.paths['/v1/endpoints']!.post!;
    expect(post.requestBody!.content['application/json']!.example).toMatchObject({ url: 'https://example.com/webhooks' });
    expect(doc.paths['/v1/events']!.post!.requestBody!.content['application/json']!.example).toMatchObject({ type: 'invoice.paid' });
    expect(doc.paths['/v1/events']!.post!.responses['202']!.content!['application/json']!.example).toMatchObject({ type: 'invoice.paid' });
  });
});
