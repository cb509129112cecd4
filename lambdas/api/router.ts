/**
 * The route table of the public API and the matcher behind it. Each route is one operation of
 * ./schemas/operations.ts (its method and path come from there), parses its input with that operation's
 * schemas, calls one use case and renders the result (./views).
 */
import { DEPLOYMENT_PRINCIPAL, type Principal } from '../core/access';
import { DEFAULT_ENVIRONMENT } from '../config';
import { MethodNotAllowedError, NotFoundError } from '../core/errors';
import { deleteEventType } from '../use-cases/api/delete-event-type';
import { getEventType } from '../use-cases/api/get-event-type';
import { listEventTypes } from '../use-cases/api/list-event-types';
import { putEventType } from '../use-cases/api/put-event-type';
import { createApiKey } from '../use-cases/api/create-api-key';
import { createPortalSession } from '../use-cases/api/create-portal-session';
import { overview } from '../use-cases/api/overview';
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
import { createApiKeyRequestSchema } from './schemas/api-key';
import { portalSessionRequestSchema } from './schemas/portal-session';
import { endpointRequestSchemas, type EndpointRules } from './schemas/endpoint';
import { eventTypeRequestSchema } from './schemas/event-type';
import { publishBatchRequestSchema, publishRequestSchema, testEventRequestSchema } from './schemas/event';
import { TOKEN_PATTERN } from './schemas/fields';
import { openApiDocument } from './schemas/openapi';
import { OPERATIONS, type Method, type Operation } from './schemas/operations';
import {
  emptyBodySchema,
  emptyQuerySchema,
  idempotencyKeySchema,
  listDeadLettersQuerySchema,
  listEndpointDeliveriesQuerySchema,
  listEndpointsQuerySchema,
  getEventQuerySchema,
  recoverRequestSchema,
} from './schemas/query';
import { parseOrThrow } from './schemas/zod-issues';
import { acceptedView, apiKeyView, deliveryView, endpointView, eventTypeView, eventView, listView, overviewView, sessionView, tenantContactsView } from './views';
import { contactsInputSchema } from './schemas/contacts';
import { deleteTenantContacts } from '../use-cases/api/delete-tenant-contacts';
import { getTenantContacts } from '../use-cases/api/get-tenant-contacts';
import { putTenantContacts } from '../use-cases/api/put-tenant-contacts';

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
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
  readonly method: Method;
  /** `/v1/endpoints/{id}`: `{name}` matches one non-empty path segment. */
  readonly path: string;
  readonly handler: (request: ApiRequest) => Promise<ApiResponse>;
}

/** A route of the API: the operation's method and path with the handler that serves it. */
function route(operation: Operation, handler: Route['handler']): Route & { readonly operationId: string } {
  return { method: operation.method, path: operation.path, operationId: operation.operationId, handler };
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

/**
 * The API's public origin as the client reached it: API Gateway passes the domain in `host` and the scheme in
 * `x-forwarded-proto` (https); local mode's gateway sets both the same way (http).
 */
function publicBaseUrl(request: ApiRequest): string {
  const proto = request.headers['x-forwarded-proto'] === 'http' ? 'http' : 'https';
  return `${proto}://${request.headers.host ?? 'localhost'}`;
}

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
 * The routes of the public API (v1) over the given use-case dependencies: one per operation. `GET /health` also
 * names the deployment's environment, so the console (and a person with two deployments) can tell them apart.
 */
export function apiRoutes(
  deps: ApiUseCaseDeps,
  rules: EndpointRules,
  keys: KeyRouteOptions = { forgetKey: () => undefined },
  deployment: DeploymentInfo = { environment: DEFAULT_ENVIRONMENT },
): (Route & { readonly operationId: string })[] {
  const endpointRequests = endpointRequestSchemas(rules);
  const contactsRequest = contactsInputSchema(rules);
  let document: unknown;
  return [
    route(OPERATIONS.health, async () => ({ status: 200, body: { status: 'ok', environment: deployment.environment } })),
    route(OPERATIONS.openApi, async () => {
      document ??= openApiDocument();
      return { status: 200, body: document };
    }),

    route(OPERATIONS.createEndpoint, async (request) => {
      const input = parseOrThrow(endpointRequests.create, request.body, 'invalid endpoint');
      const { endpoint, secret, contactSecret } = await createEndpoint(deps, input);
      return { status: 201, body: endpointView(endpoint, secret, { showHeaders: true, contactSecret }) };
    }),
    route(OPERATIONS.listEndpoints, async (request) => {
      const query = parseOrThrow(listEndpointsQuerySchema, request.query);
      const page = await listEndpoints(deps, query);
      return { status: 200, body: listView(page.items, page.nextCursor, (ep) => endpointView(ep)) };
    }),
    route(OPERATIONS.getEndpoint, async (request) => {
      const endpoint = await getEndpoint(deps, param(request, 'id'));
      const parked = await deps.circuits?.countParked(endpoint.id);
      return { status: 200, body: endpointView(endpoint, undefined, { parked }) };
    }),
    route(OPERATIONS.updateEndpoint, async (request) => {
      const patch = parseOrThrow(endpointRequests.update, request.body, 'invalid endpoint change');
      const { endpoint, contactSecret } = await updateEndpoint(deps, param(request, 'id'), patch);
      return { status: 200, body: endpointView(endpoint, undefined, { contactSecret }) };
    }),
    route(OPERATIONS.deleteEndpoint, async (request) => {
      const id = param(request, 'id');
      const { canceled } = await deleteEndpoint(deps, id);
      return { status: 200, body: { id, deleted: true, canceledDeliveries: canceled } };
    }),
    route(OPERATIONS.rotateSecret, async (request) => {
      parseOrThrow(emptyBodySchema, request.body ?? {});
      const { endpoint, secret } = await rotateSecret(deps, param(request, 'id'));
      return { status: 200, body: endpointView(endpoint, secret) };
    }),
    route(OPERATIONS.testEndpoint, async (request) => {
      const { type } = parseOrThrow(testEventRequestSchema, request.body ?? {}, 'invalid test event');
      return { status: 202, body: acceptedView(await sendTestEvent(deps, param(request, 'id'), type)) };
    }),
    route(OPERATIONS.recoverEndpoint, async (request) => {
      const { since } = parseOrThrow(recoverRequestSchema, request.body, 'invalid recover request');
      const result = await recoverDeliveries(deps, param(request, 'id'), since);
      return { status: 202, body: { count: result.count, deliveryIds: result.deliveryIds, more: result.more } };
    }),
    route(OPERATIONS.endpointStats, async (request) => ({ status: 200, body: await endpointStats(deps, param(request, 'id')) })),
    route(OPERATIONS.listEndpointDeliveries, async (request) => {
      const query = parseOrThrow(listEndpointDeliveriesQuerySchema, request.query);
      const page = await listEndpointDeliveries(deps, param(request, 'id'), query);
      return { status: 200, body: listView(page.items, page.nextCursor, (d) => deliveryView(d)) };
    }),

    route(OPERATIONS.publish, async (request) => {
      const input = parseOrThrow(publishRequestSchema, request.body, 'invalid event');
      const header = request.headers['idempotency-key'];
      const idempotencyKey = header === undefined ? undefined : parseOrThrow(idempotencyKeySchema, header, 'the request is invalid', 'Idempotency-Key');
      const accepted = await publishEvent(deps, { ...input, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) });
      return {
        status: 202,
        body: acceptedView(accepted),
        ...(accepted.replayed ? { headers: { 'idempotent-replayed': 'true' } } : {}),
      };
    }),
    route(OPERATIONS.publishBatch, async (request) => {
      const { events } = parseOrThrow(publishBatchRequestSchema, request.body, 'invalid events');
      const header = request.headers['idempotency-key'];
      const idempotencyKey = header === undefined ? undefined : parseOrThrow(idempotencyKeySchema, header, 'the request is invalid', 'Idempotency-Key');
      const accepted = await publishBatch(deps, events, idempotencyKey);
      return { status: 202, body: { events: accepted.map(acceptedView) } };
    }),
    route(OPERATIONS.getEvent, async (request) => {
      const { tenant } = parseOrThrow(getEventQuerySchema, request.query);
      const { event, deliveries } = await getEvent(deps, param(request, 'id'), tenant ?? '');
      return { status: 200, body: eventView(event, deliveries) };
    }),

    route(OPERATIONS.listDeadLetters, async (request) => {
      const query = parseOrThrow(listDeadLettersQuerySchema, request.query);
      const page = await listDeadDeliveries(deps, { limit: query.limit, ...(query.cursor === undefined ? {} : { cursor: query.cursor }) });
      return { status: 200, body: listView(page.items, page.nextCursor, (d) => deliveryView(d)) };
    }),
    route(OPERATIONS.getDelivery, async (request) => {
      const { delivery, attempts } = await getDelivery(deps, param(request, 'id'));
      return { status: 200, body: deliveryView(delivery, attempts) };
    }),
    route(OPERATIONS.retryDelivery, async (request) => {
      parseOrThrow(emptyBodySchema, request.body ?? {});
      return { status: 202, body: deliveryView(await retryDelivery(deps, param(request, 'id'))) };
    }),

    route(OPERATIONS.putEventType, async (request) => {
      const input = parseOrThrow(eventTypeRequestSchema, request.body, 'invalid event type');
      const { definition, created } = await putEventType(deps, param(request, 'type'), input);
      return { status: created ? 201 : 200, body: eventTypeView(definition) };
    }),
    route(OPERATIONS.getEventType, async (request) => ({ status: 200, body: eventTypeView(await getEventType(deps, param(request, 'type'))) })),
    route(OPERATIONS.deleteEventType, async (request) => {
      const type = param(request, 'type');
      await deleteEventType(deps, type);
      return { status: 200, body: { type, deleted: true } };
    }),
    route(OPERATIONS.listEventTypes, async (request) => {
      const query = parseOrThrow(emptyQuerySchema, request.query);
      const page = await listEventTypes(deps, { limit: query.limit, ...(query.cursor === undefined ? {} : { cursor: query.cursor }) });
      return { status: 200, body: listView(page.items, page.nextCursor, eventTypeView) };
    }),

    route(OPERATIONS.putTenantContacts, async (request) => {
      const input = parseOrThrow(contactsRequest, request.body, 'invalid contacts');
      const { record, urlSecret, created } = await putTenantContacts(deps, param(request, 'tenant'), input);
      return { status: created ? 201 : 200, body: tenantContactsView(record, urlSecret) };
    }),
    route(OPERATIONS.getTenantContacts, async (request) => ({ status: 200, body: tenantContactsView(await getTenantContacts(deps, param(request, 'tenant'))) })),
    route(OPERATIONS.deleteTenantContacts, async (request) => {
      const tenant = param(request, 'tenant');
      await deleteTenantContacts(deps, tenant);
      return { status: 200, body: { tenant, deleted: true } };
    }),

    route(OPERATIONS.createApiKey, async (request) => {
      const input = parseOrThrow(createApiKeyRequestSchema, request.body, 'invalid API key');
      const { apiKey, key } = await createApiKey(deps, { name: input.name, grants: input.scopes }, request.principal ?? DEPLOYMENT_PRINCIPAL);
      return { status: 201, body: apiKeyView(apiKey, key) };
    }),
    route(OPERATIONS.listApiKeys, async (request) => {
      parseOrThrow(emptyQuerySchema, request.query);
      return { status: 200, body: listView(await listApiKeys(deps), undefined, (k) => apiKeyView(k)) };
    }),
    route(OPERATIONS.revokeApiKey, async (request) => {
      const id = param(request, 'id');
      await revokeApiKey(deps, id, keys.forgetKey);
      return { status: 200, body: { id, revoked: true } };
    }),

    route(OPERATIONS.createPortalSession, async (request) => {
      const { ttlSeconds, title } = parseOrThrow(portalSessionRequestSchema, request.body ?? {}, 'invalid portal session request');
      const session = await createPortalSession(deps, {
        tenant: param(request, 'tenant'),
        ttlSeconds,
        ...(title === undefined ? {} : { title }),
        baseUrl: publicBaseUrl(request),
      });
      return { status: 201, body: { token: session.token, url: session.url, expiresAt: new Date(session.expiresAt).toISOString() } };
    }),
    route(OPERATIONS.getSession, async (request) => ({ status: 200, body: sessionView(request.principal ?? DEPLOYMENT_PRINCIPAL) })),
    route(OPERATIONS.getOverview, async () => ({ status: 200, body: overviewView(await overview(deps)) })),
  ];
}
