/**
 * JSON request bodies.
 */
import type { MiddlewareObj } from '@middy/core';
import { MalformedJsonError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../../core/errors';
import type { ApiEvent, ApiResult } from './types';

/** `application/json`, or any `application/<something>+json`, with optional parameters (charset). */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;.*)?$/i;
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

export interface JsonBodyOptions {
  /** Largest accepted body, in bytes of the raw (decoded) body. */
  readonly maxBytes: number;
}

/**
 * Parses the body of POST, PUT and PATCH requests into `event.jsonBody` (left undefined when the body is
 * empty; routes that need one say so). Checks, in order: the size of the raw body in bytes (413), the
 * content type (415), UTF-8 and JSON syntax (400 `malformed_json`). Expects lower-cased header names.
 */
export function jsonBody(options: JsonBodyOptions): MiddlewareObj<ApiEvent, ApiResult> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return {
    before: (request) => {
      const event = request.event;
      event.jsonBody = undefined;
      if (!METHODS_WITH_BODY.has(event.requestContext.http.method)) return;
      const raw = event.body;
      if (raw === undefined || raw === null || raw === '') return;
      const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
      if (bytes.length > options.maxBytes) throw new PayloadTooLargeError(options.maxBytes);
      if (bytes.length === 0) return;
      if (!JSON_MEDIA_TYPE.test(event.headers?.['content-type'] ?? '')) throw new UnsupportedMediaTypeError();
      let text: string;
      try {
        text = decoder.decode(bytes);
      } catch {
        throw new MalformedJsonError('request body is not valid UTF-8');
      }
      try {
        event.jsonBody = JSON.parse(text) as unknown;
      } catch (error) {
        throw new MalformedJsonError(`request body is not valid JSON: ${(error as Error).message}`);
      }
    },
  };
}
