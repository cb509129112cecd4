/**
 * The route table of the public API and the matcher behind it. Each route parses its input with the request
 * schemas (./validation), calls one use case and renders the result (./views).
 */
import { DEPLOYMENT_PRINCIPAL, type Principal } from '../core/access';
import { DEFAULT_ENVIRONMENT } from '../config';
import { MethodNotAllowedError, NotFoundError, ValidationError } from '../core/errors';
import { createApiKey } from '../use-cases/api/create-api-key';
import { listApiKeys } from '../use-cases/api/list-api-keys';
import { revokeApiKey } from '../use-cases/api/revoke-api-key';
import { createEndpoint } from '../use-cases/api/create-endpoint';
import { deleteEndpoint } from '../use-cases/api/delete-endpoint';
import type { ApiUseCaseDeps } from '../use-cases/api/deps';
import { getDelivery } from '../use-cases/api/get-delivery';
import { getEndpoint } from '../use-cases/api/get-endpoint';
import { endpointStats } from '../use-cases/api/endpoint-stats';
import { getEvent } from '../use-cases/api/get-event';
import { listDeadDeliveries } from '../use-cases/api/list-dead-deliveries';
import { listEndpointDeliveries } from '../use-cases/api/list-endpoint-deliveries';
import { listEndpoints } from '../use-cases/api/list-endpoints';
import { publishBatch, publishEvent } from '../use-cases/api/publish-event';
import { recoverDeliveries } from '../use-cases/api/recover-deliveries';
import { retryDelivery } from '../use-cases/api/retry-delivery';
import { rotateSecret } from '../use-cases/api/rotate-secret';
import { sendTestEvent } from '../use-cases/api/send-test-event';
import { updateEndpoint } from '../use-cases/api/update-endpoint';
import { validateEventTypeInput } from '../core/event-catalog';
import { deleteEventType } from '../use-cases/api/delete-event-type';
import { getEventType } from '../use-cases/api/get-event-type';
import { listEventTypes } from '../use-cases/api/list-event-types';
import { putEventType } from '../use-cases/api/put-event-type';
import {
  orThrow,
  TOKEN_PATTERN,
  validateCreateApiKey,
  validateCreateEndpoint,
  validateEmptyBody,
  validateIdempotencyKey,
  validateListQuery,
  validatePublish,
  validatePublishBatch,
  validateRecover,
  validateStatusParam,
  validateTenantParam,
  validateTestEvent,
  validateUpdateEndpoint,
  type EndpointRules,
  type Query,
} from './validation';
import { acceptedView, apiKeyView, deliveryView, endpointView, eventTypeView, eventView, listView } from './views';

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Query;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The parsed JSON body; undefined when there was none. */
  readonly body: unknown;
  /** Who is calling (absent on public routes). */
  readonly principal?: Principal;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `/v1/endpoints/{id}`: `{name}` matches one non-empty path segment. */
  readonly path: string;
  readonly handler: (request: ApiRequest) => Promise<ApiResponse>;
}

/** 405 with the `allow` header listing the methods the path has. */
export class RouteMethodNotAllowedError extends MethodNotAllowedError {
  readonly headers: Readonly<Record<string, string>>;

  constructor(method: string, path: string, allowed: readonly string[]) {
    super(method, path);
    this.headers = { allow: allowed.join(', ') };
  }
}

interface CompiledRoute extends Route {
  readonly segments: readonly string[];
}

/** Matches a method and path against a route table: the route and its path parameters, or a 404 / 405. */
export class Router {
  private readonly routes: readonly CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.routes = routes.map((r) => ({ ...r, segments: split(r.path) }));
  }

  /**
   * @throws NotFoundError (404) when no route has this path
   * @throws RouteMethodNotAllowedError (405) when routes have this path but not this method
   */
  match(method: string, path: string): { route: Route; params: Record<string, string> } {
    const segments = split(path);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (params === undefined) continue;
      if (route.method === method) {
        // Every Herald id (and a client-chosen event id) is a short token; anything else cannot name a
        // stored record, and must not reach DynamoDB (an over-long key is an error there, not a miss).
        if (Object.values(params).some((value) => !TOKEN_PATTERN.test(value))) throw new NotFoundError('resource');
        return { route, params };
      }
      allowed.push(route.method);
    }
    if (allowed.length > 0) throw new RouteMethodNotAllowedError(method, path, allowed);
    throw new NotFoundError('route');
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function matchSegments(pattern: readonly string[], actual: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const a = actual[i] as string;
    if (p.startsWith('{') && p.endsWith('}')) {
      let value: string;
      try {
        value = decodeURIComponent(a);
      } catch {
        return undefined;
      }
      params[p.slice(1, -1)] = value;
    } else if (p !== a) {
      return undefined;
    }
  }
  return params;
}

const param = (request: ApiRequest, name: string): string => request.params[name] ?? '';

/** What the key routes need beyond the use-case dependencies. */
export interface KeyRouteOptions {
  /** Forgets a revoked key in this container's authentication cache. */
  readonly forgetKey: (id: string) => void;
}

/** What the API says about the deployment itself. */
export interface DeploymentInfo {
  /** The deployment's environment name (`sandbox`, `production`, `development` in local mode). */
  readonly environment: string;
}

/**
 * The routes of the public API (v1) over the given use-case dependencies. `GET /health` also names the
 * deployment's environment, so the console (and a person with two deployments) can tell them apart.
 */
export function apiRoutes(
  deps: ApiUseCaseDeps,
  rules: EndpointRules,
  keys: KeyRouteOptions = { forgetKey: () => undefined },
  deployment: DeploymentInfo = { environment: DEFAULT_ENVIRONMENT },
): Route[] {
  return [
    { method: 'GET', path: '/health', handler: async () => ({ status: 200, body: { status: 'ok', environment: deployment.environment } }) },

    {
      method: 'POST',
      path: '/v1/endpoints',
      handler: async (request) => {
        const input = orThrow(validateCreateEndpoint(request.body, rules), 'invalid endpoint');
        const { endpoint, secret } = await createEndpoint(deps, input);
        return { status: 201, body: endpointView(endpoint, secret, { showHeaders: true }) };
      },
    },
    {
      method: 'GET',
      path: '/v1/endpoints',
      handler: async (request) => {
        const query = orThrow(validateListQuery(request.query, ['tenant'] as const));
        const tenant = orThrow(validateTenantParam(query.params.tenant));
        const page = await listEndpoints(deps, {
          limit: query.limit,
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
          ...(tenant === undefined ? {} : { tenant }),
        });
        return { status: 200, body: listView(page.items, page.nextCursor, (ep) => endpointView(ep)) };
      },
    },
    {
      method: 'GET',
      path: '/v1/endpoints/{id}',
      handler: async (request) => ({ status: 200, body: endpointView(await getEndpoint(deps, param(request, 'id'))) }),
    },
    {
      method: 'PATCH',
      path: '/v1/endpoints/{id}',
      handler: async (request) => {
        const patch = orThrow(validateUpdateEndpoint(request.body, rules), 'invalid endpoint change');
        return { status: 200, body: endpointView(await updateEndpoint(deps, param(request, 'id'), patch)) };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/endpoints/{id}',
      handler: async (request) => {
        const id = param(request, 'id');
        const { canceled } = await deleteEndpoint(deps, id);
        return { status: 200, body: { id, deleted: true, canceledDeliveries: canceled } };
      },
    },
    {
      method: 'POST',
      path: '/v1/endpoints/{id}/rotate-secret',
      handler: async (request) => {
        orThrow(validateEmptyBody(request.body));
        const { endpoint, secret } = await rotateSecret(deps, param(request, 'id'));
        return { status: 200, body: endpointView(endpoint, secret) };
      },
    },
    {
      method: 'POST',
      path: '/v1/endpoints/{id}/test',
      handler: async (request) => {
        const { type } = orThrow(validateTestEvent(request.body), 'invalid test event');
        return { status: 202, body: acceptedView(await sendTestEvent(deps, param(request, 'id'), type)) };
      },
    },
    {
      method: 'POST',
      path: '/v1/endpoints/{id}/recover',
      handler: async (request) => {
        const { since } = orThrow(validateRecover(request.body), 'invalid recover request');
        const result = await recoverDeliveries(deps, param(request, 'id'), since);
        return { status: 202, body: { count: result.count, deliveryIds: result.deliveryIds, more: result.more } };
      },
    },
    {
      method: 'GET',
      path: '/v1/endpoints/{id}/stats',
      handler: async (request) => ({ status: 200, body: await endpointStats(deps, param(request, 'id')) }),
    },
    {
      method: 'GET',
      path: '/v1/endpoints/{id}/deliveries',
      handler: async (request) => {
        const query = orThrow(validateListQuery(request.query, ['status'] as const));
        const status = orThrow(validateStatusParam(query.params.status));
        const page = await listEndpointDeliveries(deps, param(request, 'id'), {
          limit: query.limit,
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
          ...(status === undefined ? {} : { status }),
        });
        return { status: 200, body: listView(page.items, page.nextCursor, (d) => deliveryView(d)) };
      },
    },

    {
      method: 'PUT',
      path: '/v1/event-types/{type}',
      handler: async (request) => {
        const type = param(request, 'type');
        const input = orThrow(validateEventTypeInput(request.body), 'invalid event type');
        const { definition, created } = await putEventType(deps, type, input);
        return { status: created ? 201 : 200, body: eventTypeView(definition) };
      },
    },
    {
      method: 'GET',
      path: '/v1/event-types/{type}',
      handler: async (request) => {
        const type = param(request, 'type');
        return { status: 200, body: eventTypeView(await getEventType(deps, type)) };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/event-types/{type}',
      handler: async (request) => {
        const type = param(request, 'type');
        await deleteEventType(deps, type);
        return { status: 200, body: { type, deleted: true } };
      },
    },
    {
      method: 'GET',
      path: '/v1/event-types',
      handler: async (request) => {
        const query = orThrow(validateListQuery(request.query, [] as const));
        const page = await listEventTypes(deps, { limit: query.limit, ...(query.cursor === undefined ? {} : { cursor: query.cursor }) });
        return { status: 200, body: listView(page.items, page.nextCursor, eventTypeView) };
      },
    },

    {
      method: 'POST',
      path: '/v1/events',
      handler: async (request) => {
        const input = orThrow(validatePublish(request.body), 'invalid event');
        const idempotencyKey = orThrow(validateIdempotencyKey(request.headers['idempotency-key']));
        const accepted = await publishEvent(deps, { ...input, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) });
        return {
          status: 202,
          body: acceptedView(accepted),
          ...(accepted.replayed ? { headers: { 'idempotent-replayed': 'true' } } : {}),
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/events/batch',
      handler: async (request) => {
        const events = orThrow(validatePublishBatch(request.body), 'invalid events');
        const idempotencyKey = orThrow(validateIdempotencyKey(request.headers['idempotency-key']));
        const accepted = await publishBatch(deps, events, idempotencyKey);
        return { status: 202, body: { events: accepted.map(acceptedView) } };
      },
    },
    {
      method: 'GET',
      path: '/v1/events/{id}',
      handler: async (request) => {
        const query = orThrow(validateListQuery(request.query, ['tenant'] as const));
        const tenant = orThrow(validateTenantParam(query.params.tenant));
        const { event, deliveries } = await getEvent(deps, param(request, 'id'), tenant ?? '');
        return { status: 200, body: eventView(event, deliveries) };
      },
    },

    {
      method: 'GET',
      path: '/v1/deliveries',
      handler: async (request) => {
        const query = orThrow(validateListQuery(request.query, ['status'] as const));
        // Across endpoints only dead letters are indexed (the console's dead-letter view).
        if (query.params.status !== 'dead') {
          throw new ValidationError('the request is invalid', [
            {
              path: 'status',
              message: 'must be dead: only dead letters are listed across endpoints (use /v1/endpoints/{id}/deliveries?status= for one endpoint)',
            },
          ]);
        }
        const page = await listDeadDeliveries(deps, { limit: query.limit, ...(query.cursor === undefined ? {} : { cursor: query.cursor }) });
        return { status: 200, body: listView(page.items, page.nextCursor, (d) => deliveryView(d)) };
      },
    },
    {
      method: 'GET',
      path: '/v1/deliveries/{id}',
      handler: async (request) => {
        const { delivery, attempts } = await getDelivery(deps, param(request, 'id'));
        return { status: 200, body: deliveryView(delivery, attempts) };
      },
    },
    {
      method: 'POST',
      path: '/v1/deliveries/{id}/retry',
      handler: async (request) => {
        orThrow(validateEmptyBody(request.body));
        return { status: 202, body: deliveryView(await retryDelivery(deps, param(request, 'id'))) };
      },
    },

    {
      method: 'POST',
      path: '/v1/keys',
      handler: async (request) => {
        const input = orThrow(validateCreateApiKey(request.body), 'invalid API key');
        const { apiKey, key } = await createApiKey(deps, input, request.principal ?? DEPLOYMENT_PRINCIPAL);
        return { status: 201, body: apiKeyView(apiKey, key) };
      },
    },
    {
      method: 'GET',
      path: '/v1/keys',
      handler: async (request) => {
        orThrow(validateListQuery(request.query, [] as const));
        return { status: 200, body: listView(await listApiKeys(deps), undefined, (k) => apiKeyView(k)) };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/keys/{id}',
      handler: async (request) => {
        const id = param(request, 'id');
        await revokeApiKey(deps, id, keys.forgetKey);
        return { status: 200, body: { id, revoked: true } };
      },
    },
  ];
}
