/**
 * The one place errors become HTTP responses.
 */
import type { MiddlewareObj } from '@middy/core';
import { HeraldError } from '../../core/errors';
import { errorFields, type Logger } from '../../logger';
import type { ApiEvent, ApiResult } from './types';

/** Every JSON answer of the API: never cached, and never content-sniffed into something a browser would run. */
export const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;

/** An error that adds response headers (e.g. `allow` on a 405). */
export interface WithHeaders {
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Maps the error of any middleware or route to `{"error": {"code", "message", "details"}}`.
 *
 * A HeraldError whose status is below 500 (and the 503 UnavailableError, whose message is Herald's own) is
 * answered with its status, code, message and details. Anything else is logged with its stack, redacted of
 * secrets, and answered with a bare 500: a 5xx never leaks a stack trace or an internal message. 5xx answers
 * are logged with their cause too.
 */
export function errorMapper(options: { readonly logger: Logger }): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: (request) => {
      const error = request.error;
      const route = `${request.event.requestContext?.http?.method ?? '?'} ${request.event.rawPath ?? '?'}`;
      const requestId = request.event.requestContext?.requestId;
      if (error instanceof HeraldError && error.expose) {
        if (error.status >= 500) options.logger.error('request failed', { route, requestId, status: error.status, ...errorFields(error) });
        request.response = {
          statusCode: error.status,
          headers: { ...JSON_HEADERS, ...(error as WithHeaders).headers },
          body: JSON.stringify({ error: { code: error.code, message: error.message, details: error.details } }),
        };
        return;
      }
      options.logger.error('unexpected error', { route, requestId, ...errorFields(error) });
      request.response = {
        statusCode: 500,
        headers: { ...JSON_HEADERS },
        body: JSON.stringify({ error: { code: 'internal_error', message: 'internal error', details: [] } }),
      };
    },
  };
}
