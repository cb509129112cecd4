/**
 * The bridge between zod and Herald's error shape.
 *
 * Why zod 4: one declaration gives the runtime check, the TypeScript type (`z.infer` / `z.input`) and, through
 * its built-in `z.toJSONSchema`, the JSON Schema 2020-12 that OpenAPI 3.1 embeds as is. It needs no code
 * generation step and no runtime dependency besides itself, and its per-check `error` functions let every
 * message keep the precision the hand-written checks had ("must be an integer from 1 to 50 (got 0)").
 * TypeBox was the other candidate; its errors would have needed a second, hand-written message table.
 */
import * as z from 'zod';
import type { ErrorDetail } from '../../core/errors';
import { ValidationError } from '../../core/errors';
import { err, ok, type Result } from '../../core/result';

/** A short, safe rendering of a received value for error messages (never long, never throws). */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * The `error` option of a schema or check: `is required` for a missing field, else the rule followed by what was
 * received. One function per field, passed to the type and to each of its checks, so a field reports one
 * message whatever part of its rule failed.
 */
export function rule(text: string): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => (issue.input === undefined ? 'is required' : `${text} (got ${describe(issue.input)})`) };
}

/** Like {@link rule} without echoing the value (header values are often credentials). */
export function secretRule(text: string): { error: () => string } {
  return { error: () => text };
}

/** The same as {@link rule} with `abort`: later checks of the field are skipped once this one fails. */
export function ruleAbort(text: string): { error: (issue: { input?: unknown }) => string; abort: true } {
  return { ...rule(text), abort: true };
}

/**
 * An object that rejects unknown fields, each reported at its own path ("unknown field; allowed: a, b"): a
 * misspelt field silently ignored would leave the client with something it did not ask for. `notObject` is the
 * message when the value is not an object at all.
 */
export function strictObject<S extends z.ZodRawShape>(shape: S, notObject: string, unknownLabel = 'unknown field') {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? allowed.length > 0
          ? `${unknownLabel}; allowed: ${allowed.join(', ')}`
          : unknownLabel
        : `${notObject} (got ${describe(issue.input)})`,
  });
}

/** A JSON object (not null, not a list): what a `when` guard checks before a refinement reads keys. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `retryPolicy.delays[1]`: keys joined with dots, list indexes in brackets, after an optional prefix. */
export function pathOf(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** zod issues as Herald's error details: one per problem (unknown keys one per key), duplicates dropped. */
export function toDetails(issues: readonly z.core.$ZodIssue[], prefix = ''): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const seen = new Set<string>();
  const add = (path: string, message: string) => {
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    details.push({ path, message });
  };
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add(pathOf(prefix, [...issue.path, key]), issue.message);
    } else {
      add(pathOf(prefix, issue.path), issue.message);
    }
  }
  return details;
}

/** Parses `input` with `schema`: the clean output value, or every problem with its path (starting at `prefix`). */
export function check<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): Result<z.output<S>, ErrorDetail[]> {
  const parsed = schema.safeParse(input);
  return parsed.success ? ok(parsed.data) : err(toDetails(parsed.error.issues, prefix));
}

/**
 * Parses `input` with `schema` or throws the 400 ValidationError listing every problem (paths start at
 * `prefix`: a header's name, say).
 *
 * @throws ValidationError when the input does not match
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, message = 'the request is invalid', prefix = ''): z.output<S> {
  const result = check(schema, input, prefix);
  if (!result.ok) throw new ValidationError(message, result.error);
  return result.value;
}
