/**
 * The event the api's middlewares and router share: API Gateway's v2 event plus the parsed JSON body.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Principal } from '../../core/access';

export type ApiEvent = APIGatewayProxyEventV2 & {
  /** The request body parsed by the json-body middleware; undefined when there was none. */
  jsonBody?: unknown;
  /** Who is calling (set by the auth middleware; absent on public routes). */
  principal?: Principal;
};

export type ApiResult = APIGatewayProxyStructuredResultV2;

/** GET /health is the one route without authentication (load balancers and uptime checks call it). */
export function isPublicRoute(event: APIGatewayProxyEventV2): boolean {
  return event.requestContext.http.method === 'GET' && event.rawPath.replace(/\/+$/, '') === '/health';
}

/**
 * Whether a request needs an API key: everything but GET /health and the console's static files (GET or HEAD
 * under /console, which the page itself needs before it can ask for the key).
 */
export function needsApiKey(method: string, path: string): boolean {
  const m = method.toUpperCase();
  if (m === 'GET' && path.replace(/\/+$/, '') === '/health') return false;
  return !((m === 'GET' || m === 'HEAD') && (path === '/console' || path.startsWith('/console/')));
}
