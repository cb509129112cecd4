/**
 * The event the api's middlewares and router share: API Gateway's v2 event plus the parsed JSON body.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type ApiEvent = APIGatewayProxyEventV2 & {
  /** The request body parsed by the json-body middleware; undefined when there was none. */
  jsonBody?: unknown;
};

export type ApiResult = APIGatewayProxyStructuredResultV2;

/** GET /health is the one route without authentication (load balancers and uptime checks call it). */
export function isPublicRoute(event: APIGatewayProxyEventV2): boolean {
  return event.requestContext.http.method === 'GET' && event.rawPath.replace(/\/+$/, '') === '/health';
}
