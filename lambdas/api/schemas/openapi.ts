/**
 * The OpenAPI 3.1 document, rendered from the operations (./operations.ts) and their zod schemas. OpenAPI 3.1
 * embeds JSON Schema 2020-12, which is what `z.toJSONSchema` writes, so the schemas go in unchanged: request
 * bodies and parameters as their input side (defaults shown, optional fields optional), responses as output.
 */
import * as z from 'zod';
import { ERROR_RESPONSES, errorBodySchema } from './errors';
import { idempotencyKeySchema } from './query';
import { OPERATIONS, pathParams, type Operation } from './operations';

type Json = Record<string, unknown>;

/**
 * Schemas with an `id` in their metadata (Endpoint, Delivery, ...) become components referenced by `$ref`;
 * the rest is inlined where it is used. One id must render the same wherever it appears.
 */
class Components {
  readonly schemas: Record<string, Json> = {};

  jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
    const out = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Json;
    delete out.$schema;
    const defs = (out.$defs ?? {}) as Record<string, Json>;
    delete out.$defs;
    for (const [id, def] of Object.entries(defs)) {
      const rendered = rewriteRefs(def) as Json;
      const existing = this.schemas[id];
      if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(rendered)) {
        throw new Error(`schema ${id} renders differently as ${io}: give the ${io} side another id`);
      }
      this.schemas[id] = rendered;
    }
    return rewriteRefs(out) as Json;
  }
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, key === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : rewriteRefs(v)]),
  );
}

/** The first example a schema's metadata carries, as the media type's `example`. */
function exampleOf(schema: z.ZodType): unknown {
  const examples = (schema.meta() as { examples?: unknown[] } | undefined)?.examples;
  return Array.isArray(examples) ? examples[0] : undefined;
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };

/**
 * The statuses an operation can answer besides its successes, from what it reads: 400 for a body, a query or a
 * header to validate (and malformed JSON); 413 and 415 for a body; 404 for a path id; 401, 403 and 503 unless it
 * is public (the key check itself can fail on its dependency); 409 where the operation declares a conflict;
 * 500 everywhere.
 */
export function errorStatuses(op: Operation): number[] {
  const statuses = new Set<number>();
  const hasBody = op.method === 'POST' || op.method === 'PUT' || op.method === 'PATCH';
  if (hasBody || op.query !== undefined || op.idempotencyKey === true) statuses.add(400);
  if (!op.public) {
    statuses.add(401);
    // Every key route is in the route × scope table (middleware/access.ts): a key without the scope, or limited
    // to other tenants, is refused.
    statuses.add(403);
  }
  if (pathParams(op.path).length > 0) statuses.add(404);
  if (op.conflicts !== undefined) statuses.add(409);
  if (hasBody) {
    statuses.add(413);
    statuses.add(415);
  }
  statuses.add(500);
  if (!op.public) statuses.add(503);
  return [...statuses].sort((a, b) => a - b);
}

function operationObject(op: Operation, components: Components): Json {
  const parameters: Json[] = pathParams(op.path).map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
  }));
  if (op.query !== undefined) {
    const schema = components.jsonSchema(op.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const { description, ...rest } = property;
      parameters.push({
        name,
        in: 'query',
        required: (schema.required ?? []).includes(name),
        ...(description === undefined ? {} : { description }),
        schema: rest,
      });
    }
  }
  if (op.idempotencyKey) {
    const { description, ...schema } = components.jsonSchema(idempotencyKeySchema, 'input');
    parameters.push({ name: 'Idempotency-Key', in: 'header', required: false, description, schema });
  }

  const responses: Json = {};
  for (const [status, spec] of Object.entries(op.responses)) {
    const example = exampleOf(spec.schema);
    responses[status] = {
      description: spec.description,
      ...(spec.headers === undefined
        ? {}
        : { headers: Object.fromEntries(Object.entries(spec.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) }),
      content: { 'application/json': { schema: components.jsonSchema(spec.schema, 'output'), ...(example === undefined ? {} : { example }) } },
    };
  }
  for (const status of errorStatuses(op)) {
    const known = ERROR_RESPONSES[status];
    if (known === undefined) throw new Error(`no error response described for ${status}`);
    const description = status === 409 && op.conflicts !== undefined ? op.conflicts : known.description;
    responses[String(status)] = { description, content: { 'application/json': { schema: ERROR_REF, example: known.example } } };
  }

  const body = op.body;
  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description === undefined ? {} : { description: op.description }),
    tags: [op.tag],
    ...(op.public ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body === undefined
      ? {}
      : {
          requestBody: {
            required: body.required,
            content: {
              'application/json': {
                schema: components.jsonSchema(body.schema, 'input'),
                ...(exampleOf(body.schema) === undefined ? {} : { example: exampleOf(body.schema) }),
              },
            },
          },
        }),
    responses,
  };
}

/** The API version the document describes. */
export const API_VERSION = '1.0.0';

/** Renders the OpenAPI 3.1 document of every operation. Deterministic: the same schemas give the same bytes. */
export function openApiDocument(operations: readonly Operation[] = Object.values(OPERATIONS)): Json {
  const components = new Components();
  const error = components.jsonSchema(errorBodySchema, 'output');
  const paths: Record<string, Json> = {};
  for (const op of operations) {
    paths[op.path] = { ...paths[op.path], [op.method.toLowerCase()]: operationObject(op, components) };
  }
  const schemas = Object.fromEntries(Object.entries(components.schemas).sort(([a], [b]) => a.localeCompare(b)));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Herald API',
      version: API_VERSION,
      description:
        'Reliable outbound webhooks in your own AWS account. Authenticate with `Authorization: Bearer <API key>`. ' +
        'Every error answers `{"error": {"code", "message", "details": [{"path", "message"}]}}`.',
    },
    servers: [{ url: 'http://localhost:3000', description: 'Local mode (npm start); a deployment uses its ApiUrl output.' }],
    security: [{ apiKey: [] }],
    tags: [
      { name: 'system', description: 'Liveness and this document.' },
      { name: 'endpoints', description: 'Where deliveries go.' },
      { name: 'events', description: 'What you publish.' },
      { name: 'event-types', description: 'The catalog: a data schema and an example per event type.' },
      { name: 'deliveries', description: 'One event to one endpoint, with its attempts.' },
      { name: 'keys', description: 'Scoped API keys: admin, publish, read, manage, each optionally limited to tenants.' },
      { name: 'operations', description: "The operator's overview of the deployment." },
      { name: 'portal', description: "Portal sessions: a tenant's own credential (read and manage of that tenant) for your customers' webhook page." },
      { name: 'tenants', description: "A tenant's contacts: where its own notices go (e-mail, signed webhooks)." },
    ],
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'The deployment API key, a scoped key (hk_...) or a portal session token (hps_...).' } },
      schemas: { ...schemas, Error: error },
    },
  };
}

let cached: string | undefined;

/** The document as JSON text, rendered once per process (the openapi route serves it). */
export function openApiJson(): string {
  cached ??= `${JSON.stringify(openApiDocument(), null, 2)}\n`;
  return cached;
}
