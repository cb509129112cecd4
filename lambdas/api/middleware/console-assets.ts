import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { consoleResponse } from '../../console/serve';
import type { ApiEvent, ApiResult } from './types';

/**
 * Serves the web console's static files (GET/HEAD `/console...`) before authentication: the page is public and
 * asks the person for the API key, which it then sends on every API call it makes. Returning early from
 * `before` ends the middy chain, so no other middleware or route sees these requests.
 */
export function consoleAssets(): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    before: (request) => {
      const { rawPath, requestContext, headers } = request.event;
      const response = consoleResponse(rawPath, { method: requestContext.http.method, headers: headers ?? {} });
      return response === undefined ? undefined : (response as APIGatewayProxyStructuredResultV2);
    },
  };
}
