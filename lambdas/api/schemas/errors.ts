/**
 * The one error body every failure answers with, and the codes per status.
 */
import * as z from 'zod';

export const errorDetailSchema = z.object({
  path: z.string().meta({ description: 'The field, e.g. retryPolicy.backoff.baseSeconds or eventTypes[0]; empty for the whole body.' }),
  message: z.string(),
});

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Machine-readable: validation_failed, malformed_json, unauthorized, not_found, conflict, payload_too_large, unavailable, ...' }),
      message: z.string(),
      details: z.array(errorDetailSchema),
    }),
  })
  .meta({ title: 'Error' });

export type ErrorBody = z.infer<typeof errorBodySchema>;

const example = (code: string, message: string, details: { path: string; message: string }[] = []): ErrorBody => ({ error: { code, message, details } });

/** What each error status means on any route, with an example body. */
export const ERROR_RESPONSES: Readonly<Record<number, { readonly description: string; readonly example: ErrorBody }>> = {
  400: {
    description: 'The request is invalid: every problem is listed in details, each with the path of its field.',
    example: example('validation_failed', 'the request is invalid', [{ path: 'url', message: 'is required' }]),
  },
  401: { description: 'The Authorization header is missing or the API key is wrong.', example: example('unauthorized', 'missing or invalid API key') },
  403: {
    description: 'The API key lacks the scope this route needs, or is limited to other tenants.',
    example: example('forbidden', 'key key_01M8QY lacks the admin scope'),
  },
  404: { description: 'No such resource.', example: example('not_found', 'endpoint not found') },
  409: {
    description: 'The request conflicts with the current state (see the message).',
    example: example('conflict', 'this idempotency key was already used with a different request'),
  },
  413: { description: 'The body is larger than the deployment allows.', example: example('payload_too_large', 'request body is larger than 262144 bytes') },
  415: { description: 'A body that is not application/json.', example: example('unsupported_media_type', 'content-type must be application/json') },
  500: { description: 'An unexpected error; nothing about it is exposed.', example: example('internal_error', 'internal error') },
  503: {
    description: 'A dependency failed; retry (with the same Idempotency-Key). Nothing half-written is left behind.',
    example: example('unavailable', 'Herald could not store the request; retry with the same Idempotency-Key'),
  },
};
