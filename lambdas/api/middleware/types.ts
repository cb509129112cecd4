/**
 * The event the api's middlewares and router share: API Gateway's v2 event plus the parsed JSON body.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Principal } from '../../core/access';
import { OPERATIONS, type Operation } from '../schemas/operations';

export type ApiEvent = APIGatewayProxyEventV2 & {
  /** The request body parsed by the json-body middleware; undefined when there was none. */
  jsonBody?: unknown;
  /** Who is calling (set by the auth middleware; absent on public routes). */
  principal?: Principal;
};

export type ApiResult = APIGatewayProxyStructuredResultV2;

const PUBLIC_ROUTES = new Set(
  Object.values(OPERATIONS as Record<string, Operation>)
    .filter((op) => op.public === true)
    .map((op) => `${op.method} ${op.path}`),
);

/**
 * The operations marked public in ./schemas/operations.ts need no API key: GET /health (load balancers and
 * uptime checks call it) and GET /v1/openapi.json (generators and the CLI read it before they have a key).
 */
export function isPublicRoute(event: APIGatewayProxyEventV2): boolean {
  return PUBLIC_ROUTES.has(`${event.requestContext.http.method} ${event.rawPath.replace(/\/+$/, '')}`);
}

/**
 * Whether a request needs an API key: everything but the public operations (GET /health, GET /v1/openapi.json)
 * and the console's static files (GET or HEAD under /console, which the page itself needs before it can ask for
 * the key).
 */
export function needsApiKey(method: string, path: string): boolean {
  const m = method.toUpperCase();
  if (PUBLIC_ROUTES.has(`${m} ${path.replace(/\/+$/, '')}`)) return false;
  return !((m === 'GET' || m === 'HEAD') && (path === '/console' || path.startsWith('/console/')));
}
