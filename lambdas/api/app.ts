/**
 * The api Lambda's handler, built from its dependencies: the composition root (./handler.ts) passes AWS
 * clients, local mode and the tests pass their own.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RetryPolicyInput } from '../core/model';
import { DynamoEndpointStore } from '../adapters/dynamo/endpoint-store';
import { DynamoEventStore } from '../adapters/dynamo/event-store';
import type { ApiKeys, Clock, DeliveryQueue, SecretBox } from '../ports';
import type { ApiUseCaseDeps } from '../use-cases/api/deps';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './config';
import { jsonLogger, type Logger } from '../logger';
import { auth } from './middleware/auth';
import { consoleAssets } from './middleware/console-assets';
import { JSON_HEADERS, errorMapper } from './middleware/error-mapper';
import { jsonBody } from './middleware/json-body';
import { isPublicRoute, type ApiEvent, type ApiResult } from './middleware/types';
import { Router, apiRoutes } from './router';

export interface ApiDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly queue: DeliveryQueue;
  readonly apiKeys: ApiKeys;
  readonly clock: Clock;
  /** Cryptographically random bytes (`crypto.randomBytes` in production). */
  readonly randomBytes: (size: number) => Uint8Array;
  /** Seals signing secrets and header values before they are stored (envelope encryption, adapters/secret-box.ts). */
  readonly secrets: SecretBox;
  readonly config: {
    /** Endpoint URLs may be http, loopback or private (local mode). */
    readonly allowPrivateTargets: boolean;
    /** TTL of events, deliveries and idempotency records. */
    readonly retentionDays: number;
    /** @default 262144 */
    readonly maxPayloadBytes?: number;
    /** The deployment's default retry policy (already validated): endpoint policies are checked merged over it. */
    readonly defaultRetryPolicy?: RetryPolicyInput;
  };
  /** @default JSON lines on stdout/stderr */
  readonly logger?: Logger;
}

/**
 * Builds the API Gateway (HTTP API, payload v2) handler. Middlewares, in order: header names lower-cased,
 * errors mapped to the error shape (the only place that happens), the web console's static files, bearer-key authentication (all routes but
 * GET /health), JSON body parsing with the size limit; then the router calls the route's use case.
 */
export function createApiHandler(deps: ApiDeps) {
  const useCaseDeps: ApiUseCaseDeps = {
    endpoints: new DynamoEndpointStore(deps.doc, deps.tableName),
    events: new DynamoEventStore(deps.doc, deps.tableName, deps.config.retentionDays),
    queue: deps.queue,
    clock: deps.clock,
    randomBytes: deps.randomBytes,
    secrets: deps.secrets,
  };
  const router = new Router(
    apiRoutes(useCaseDeps, {
      allowPrivateTargets: deps.config.allowPrivateTargets,
      defaultRetryPolicy: deps.config.defaultRetryPolicy,
    }),
  );

  return middy<ApiEvent, ApiResult>()
    .use(httpHeaderNormalizer())
    .use(errorMapper({ logger: deps.logger ?? jsonLogger }))
    .use(consoleAssets())
    .use(auth({ apiKeys: deps.apiKeys, isPublic: isPublicRoute }))
    .use(jsonBody({ maxBytes: deps.config.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES }))
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
      });
      return {
        statusCode: response.status,
        headers: { ...JSON_HEADERS, ...response.headers },
        body: JSON.stringify(response.body),
      };
    });
}
