/**
 * The api Lambda's handler, built from its dependencies: the composition root (./handler.ts) passes AWS
 * clients, local mode and the tests pass their own.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RetryPolicyInput } from '../core/model';
import { DynamoCircuitStore } from '../adapters/dynamo/circuit-store';
import { DynamoEndpointStore } from '../adapters/dynamo/endpoint-store';
import { DynamoEventStore } from '../adapters/dynamo/event-store';
import { DynamoContactStore } from '../adapters/dynamo/contact-store';
import { NO_NOTICE_SUBSCRIPTIONS, type NoticeSubscriptions } from '../ports/tenant-notices';
import type { ApiKeys, Clock, DeliveryQueue, SecretBox } from '../ports';
import { DynamoEventTypeStore } from '../adapters/dynamo/event-type-store';
import { EventTypeCatalog } from '../use-cases/api/event-type-catalog';
import type { Metrics } from '../ports/metrics';
import type { DeliveryHistory, QueueDepths } from '../ports/operations';
import { flushMetrics } from '../flush-metrics';
import type { ApiUseCaseDeps } from '../use-cases/api/deps';
import { DEFAULT_ENVIRONMENT } from '../config';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './config';
import { jsonLogger, type Logger } from '../logger';
import { DynamoApiKeyStore } from '../adapters/dynamo/api-key-store';
import { Authenticator, PortalSessionPrincipals } from '../use-cases/api/authenticate';
import { HmacPortalTokens } from '../adapters/hmac-portal-tokens';
import { access } from './middleware/access';
import { auth } from './middleware/auth';
import { consoleAssets } from './middleware/console-assets';
import { JSON_HEADERS, errorMapper } from './middleware/error-mapper';
import { jsonBody } from './middleware/json-body';
import { isPublicRoute, type ApiEvent, type ApiResult } from './middleware/types';
import { Router, apiRoutes } from './router';
import { eventKeysOf } from '../use-cases/api/event-key';

export interface ApiDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly queue: DeliveryQueue;
  /** The deployment's own keys (admin over every tenant): Secrets Manager in AWS, HERALD_API_KEY locally. */
  readonly apiKeys: ApiKeys;
  /**
   * The secret portal session tokens are signed under (a key derived from it): Secrets Manager's AWSCURRENT in AWS,
   * a file in the data folder locally. Rotating it ends every portal session.
   */
  readonly portalSecret: () => Promise<string>;
  /** @default createAuthenticator(deps): the deployment's keys, the scoped keys in the table and portal sessions */
  readonly authenticator?: Authenticator;
  readonly clock: Clock;
  /** Cryptographically random bytes (`crypto.randomBytes` in production). */
  readonly randomBytes: (size: number) => Uint8Array;
  /** Seals signing secrets and header values before they are stored (envelope encryption, adapters/secret-box.ts). */
  readonly secrets: SecretBox;
  /** EMF metrics on stdout in AWS (handler.ts); flushed after every request. */
  readonly metrics: Metrics;
  /** The delivery lanes' depths for GET /v1/overview. @default none: the overview's queue figures are null */
  readonly queueDepths?: QueueDepths;
  /** Deliveries per period by outcome for GET /v1/overview (CloudWatch in AWS, the process locally). @default none: no charts */
  readonly history?: DeliveryHistory;
  /**
   * E-mail contacts' subscriptions: SNS e-mail subscriptions in AWS, printed mailboxes in local mode.
   * @default - none: a contact with an e-mail address is refused (503); URL contacts work
   */
  readonly subscriptions?: NoticeSubscriptions;
  readonly config: {
    /** Endpoint URLs may be http, loopback or private (local mode). */
    readonly allowPrivateTargets: boolean;
    /** TTL of events, deliveries and idempotency records. */
    readonly retentionDays: number;
    /** @default 262144 */
    readonly maxPayloadBytes?: number;
    /** The deployment's default retry policy (already validated): endpoint policies are checked merged over it. */
    readonly defaultRetryPolicy?: RetryPolicyInput;
    /** The deployment's environment name. @default "development" */
    readonly environment?: string;
  };
  /** @default JSON lines on stdout/stderr */
  readonly logger?: Logger;
}

/** The signer and verifier of portal session tokens over the deployment's portal session secret. */
export function portalTokens(deps: Pick<ApiDeps, 'portalSecret' | 'clock'>): HmacPortalTokens {
  return new HmacPortalTokens(deps.portalSecret, deps.clock);
}

/**
 * Who may call the API: the deployment's keys (`apiKeys`), the scoped keys stored in the table, and portal
 * sessions (a refused token is logged with its reason, and answered like any wrong key). Local mode builds one to
 * share it with its gateway's early key check.
 */
export function createAuthenticator(deps: Pick<ApiDeps, 'doc' | 'tableName' | 'apiKeys' | 'clock' | 'portalSecret' | 'logger'>): Authenticator {
  const logger = deps.logger ?? jsonLogger;
  const sessions = new PortalSessionPrincipals(portalTokens(deps), (reason) => logger.warn('portal session refused', { reason }));
  return new Authenticator(deps.apiKeys, new DynamoApiKeyStore(deps.doc, deps.tableName), deps.clock, [sessions]);
}

/**
 * Builds the API Gateway (HTTP API, payload v2) handler. Middlewares, in order: header names lower-cased,
 * errors mapped to the error shape (the only place that happens), the web console's static files, bearer-key
 * authentication (who: all routes but GET /health), JSON body parsing with the size limit, the scope checks (what:
 * the route × scope table of ./middleware/access.ts); then the router calls the route's use case.
 */
export function createApiHandler(deps: ApiDeps) {
  const useCaseDeps: ApiUseCaseDeps = {
    endpoints: new DynamoEndpointStore(deps.doc, deps.tableName),
    circuits: new DynamoCircuitStore(deps.doc, deps.tableName),
    events: new DynamoEventStore(deps.doc, deps.tableName, deps.config.retentionDays),
    queue: deps.queue,
    clock: deps.clock,
    randomBytes: deps.randomBytes,
    secrets: deps.secrets,
    apiKeys: new DynamoApiKeyStore(deps.doc, deps.tableName),
    catalog: new EventTypeCatalog(new DynamoEventTypeStore(deps.doc, deps.tableName), deps.clock),
    metrics: deps.metrics,
    portalTokens: portalTokens(deps),
    ...(deps.queueDepths === undefined ? {} : { queueDepths: deps.queueDepths }),
    ...(deps.history === undefined ? {} : { history: deps.history }),
    contacts: new DynamoContactStore(deps.doc, deps.tableName),
    subscriptions: deps.subscriptions ?? NO_NOTICE_SUBSCRIPTIONS,
  };
  const authenticator = deps.authenticator ?? createAuthenticator(deps);
  const router = new Router(
    apiRoutes(
      useCaseDeps,
      {
        allowPrivateTargets: deps.config.allowPrivateTargets,
        defaultRetryPolicy: deps.config.defaultRetryPolicy,
        retentionDays: deps.config.retentionDays,
      },
      { forgetKey: (id) => authenticator.forget(id) },
      { environment: deps.config.environment ?? DEFAULT_ENVIRONMENT },
    ),
  );
  const tenantOf = async (kind: 'endpoint' | 'event' | 'delivery', id: string, tenantHint: string): Promise<string | undefined> => {
    if (kind === 'endpoint') return (await useCaseDeps.endpoints.get(id))?.tenant;
    if (kind === 'event') {
      // A Herald id locates its event; a client's own id is scoped by tenant, named by `?tenant=`.
      for (const key of eventKeysOf(id, tenantHint)) {
        const event = await useCaseDeps.events.getEvent(key);
        if (event !== undefined && event.id === id) return event.tenant;
      }
      return undefined;
    }
    return (await useCaseDeps.events.getDelivery(id))?.delivery.tenant;
  };

  return middy<ApiEvent, ApiResult>()
    .use(flushMetrics(deps.metrics))
    .use(httpHeaderNormalizer())
    .use(errorMapper({ logger: deps.logger ?? jsonLogger }))
    .use(consoleAssets())
    .use(auth({ principals: authenticator, isPublic: isPublicRoute }))
    .use(jsonBody({ maxBytes: deps.config.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES }))
    .use(access({ match: (method, path) => routePattern(router, method, path), tenantOf }))
    .handler(async (event: ApiEvent): Promise<ApiResult> => {
      const method = event.requestContext.http.method.toUpperCase();
      const { route, params } = router.match(method, event.rawPath);
      const response = await route.handler({
        method,
        path: event.rawPath,
        params,
        query: event.queryStringParameters ?? {},
        headers: event.headers ?? {},
        body: event.jsonBody,
        ...(event.principal === undefined ? {} : { principal: event.principal }),
      });
      return {
        statusCode: response.status,
        headers: { ...JSON_HEADERS, ...response.headers },
        body: JSON.stringify(response.body),
      };
    });
}

function routePattern(router: Router, method: string, path: string): { pattern: string; params: Record<string, string> } {
  const { route, params } = router.match(method, path);
  return { pattern: route.path, params };
}
