/**
 * The event-type catalog: what each event type means, the JSON Schema its `data` must match and an example.
 * Published events of a registered type are checked against its schema; a test event of the type sends its
 * example. Pure: the schemas are compiled here (Ajv generates the checking code), storage is a port.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { type ErrorDetail } from './errors';
import { err, ok, type Result } from './result';

/** One registered event type. */
export interface EventTypeDefinition {
  readonly type: string;
  readonly description: string;
  /** A JSON Schema (draft 2020-12, or draft-07 when its `$schema` says so) for the event's `data`; absent: any data. */
  readonly schema?: Readonly<Record<string, unknown>>;
  /** Example `data`; it matches the schema. A test event of this type sends it. */
  readonly example?: unknown;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type EventTypeInput = Pick<EventTypeDefinition, 'description' | 'schema' | 'example'>;

export const CATALOG_LIMITS = {
  descriptionLength: 1024,
  /** The schema as JSON text; a schema stays well inside one DynamoDB item with its example. */
  schemaBytes: 64 * 1024,
  exampleBytes: 64 * 1024,
} as const;

const FIELDS = ['description', 'schema', 'example'] as const;

/**
 * Ajv per dialect. Strict about the schema itself, so a misspelt keyword (`"proprties"`) or an unknown format is a
 * 400 when the schema is saved, rather than a schema that silently accepts everything; not about style (a
 * `required` property without its own definition, a tuple without `minItems`), which is valid JSON Schema.
 */
function makeAjv(draft: '2020-12' | 'draft-07'): Ajv {
  const options = {
    allErrors: true,
    strictSchema: true,
    strictNumbers: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    allowUnionTypes: true,
    validateFormats: true,
  } as const;
  const ajv = draft === '2020-12' ? new Ajv2020(options) : new Ajv(options);
  // ajv-formats' default export is the plugin function (CommonJS interop).
  (addFormats as unknown as (a: Ajv) => Ajv)(ajv);
  return ajv;
}

let dialects: { readonly modern: Ajv; readonly draft07: Ajv } | undefined;

/** The draft-07 dialect when the schema names it in `$schema`, else 2020-12. */
function ajvFor(schema: Readonly<Record<string, unknown>>): Ajv {
  dialects ??= { modern: makeAjv('2020-12'), draft07: makeAjv('draft-07') };
  const dialect = schema.$schema;
  return typeof dialect === 'string' && /draft-07/.test(dialect) ? dialects.draft07 : dialects.modern;
}

/**
 * Compiles a schema. The compiled function is not kept by Ajv (its cache is keyed by the schema object), so a
 * caller that validates many events keeps the function itself (see {@link SchemaCache}).
 *
 * @returns the validator, or the reason the schema is not a usable JSON Schema
 */
export function compileSchema(schema: Readonly<Record<string, unknown>>): Result<ValidateFunction, string> {
  try {
    const ajv = ajvFor(schema);
    // A fresh copy: Ajv caches compiled schemas by object identity, and a removed copy leaves nothing behind.
    const copy = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
    const validate = ajv.compile(copy);
    ajv.removeSchema(copy);
    return ok(validate);
  } catch (error) {
    return err(error instanceof Error ? error.message : String(error));
  }
}

/**
 * What is wrong with `value` under a compiled schema, one detail per problem, each with the path of the offending
 * value under `root`: `data.user.email`, `data.items[2]`; a missing property is named by its own path
 * (`data.user.email: is required`), an unexpected one likewise (`data.user.nickname: is not allowed`).
 */
export function schemaErrors(validate: ValidateFunction, value: unknown, root: string): ErrorDetail[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => detailOf(e, root));
}

function detailOf(error: ErrorObject, root: string): ErrorDetail {
  const base = root + pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
    return { path: base + propertyPath(params.missingProperty), message: 'is required by the event type’s schema' };
  }
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return { path: base + propertyPath(params.additionalProperty), message: 'is not allowed by the event type’s schema' };
  }
  return { path: base, message: `${error.message ?? 'does not match'} (schema ${error.schemaPath})` };
}

/** `/user/emails/0` → `.user.emails[0]`; JSON Pointer escapes (`~1`, `~0`) decoded. */
export function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .split('/')
    .slice(1)
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((token) => (/^(0|[1-9]\d*)$/.test(token) ? `[${token}]` : propertyPath(token)))
    .join('');
}

function propertyPath(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

/**
 * Validates the body of `PUT /v1/event-types/{type}`: `description` (a string), `schema` (a JSON Schema object
 * that compiles), `example` (any JSON value, which must match the schema). Every field is optional; unknown
 * fields are rejected. All problems are reported at once, each with its path (`schema`, `example.user.email`).
 */
export function validateEventTypeInput(body: unknown): Result<EventTypeInput, ErrorDetail[]> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return err([{ path: '', message: 'the body must be a JSON object with description, schema and example' }]);
  }
  const input = body as Record<string, unknown>;
  const issues: ErrorDetail[] = [];
  for (const key of Object.keys(input)) {
    if (!(FIELDS as readonly string[]).includes(key)) issues.push({ path: key, message: `unknown field; allowed: ${FIELDS.join(', ')}` });
  }
  let description = '';
  if (input.description !== undefined) {
    if (typeof input.description !== 'string' || input.description.length > CATALOG_LIMITS.descriptionLength) {
      issues.push({ path: 'description', message: `must be a string of at most ${CATALOG_LIMITS.descriptionLength} characters` });
    } else {
      description = input.description;
    }
  }
  let validate: ValidateFunction | undefined;
  let schema: Record<string, unknown> | undefined;
  if (input.schema !== undefined) {
    if (typeof input.schema !== 'object' || input.schema === null || Array.isArray(input.schema)) {
      issues.push({ path: 'schema', message: 'must be a JSON Schema object' });
    } else if (JSON.stringify(input.schema).length > CATALOG_LIMITS.schemaBytes) {
      issues.push({ path: 'schema', message: `must be at most ${CATALOG_LIMITS.schemaBytes} bytes of JSON` });
    } else {
      const compiled = compileSchema(input.schema as Record<string, unknown>);
      if (compiled.ok) {
        validate = compiled.value;
        schema = input.schema as Record<string, unknown>;
      } else {
        issues.push({ path: 'schema', message: `is not a valid JSON Schema: ${compiled.error}` });
      }
    }
  }
  if (input.example !== undefined) {
    if (JSON.stringify(input.example).length > CATALOG_LIMITS.exampleBytes) {
      issues.push({ path: 'example', message: `must be at most ${CATALOG_LIMITS.exampleBytes} bytes of JSON` });
    } else if (validate !== undefined) {
      issues.push(...schemaErrors(validate, input.example, 'example'));
    }
  }
  if (issues.length > 0) return err(issues);
  return ok({
    description,
    ...(schema === undefined ? {} : { schema }),
    ...(input.example === undefined ? {} : { example: input.example }),
  });
}

/**
 * Compiled validators by event type, each tagged with the definition's `updatedAt` so a changed schema is compiled
 * again. Lives for a Lambda container (compiling costs far more than checking).
 */
export class SchemaCache {
  private readonly compiled = new Map<string, { readonly updatedAt: number; readonly validate: ValidateFunction }>();

  /** The validator of a definition; `undefined` when it has no schema. A stored schema that no longer compiles throws. */
  validator(definition: EventTypeDefinition): ValidateFunction | undefined {
    if (definition.schema === undefined) return undefined;
    const hit = this.compiled.get(definition.type);
    if (hit !== undefined && hit.updatedAt === definition.updatedAt) return hit.validate;
    const compiled = compileSchema(definition.schema);
    if (!compiled.ok) throw new Error(`the stored schema of event type ${definition.type} does not compile: ${compiled.error}`);
    this.compiled.set(definition.type, { updatedAt: definition.updatedAt, validate: compiled.value });
    return compiled.value;
  }
}
