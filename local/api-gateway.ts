/**
 * Plays API Gateway (HTTP API, payload format 2.0) in front of the api handler: turns each HTTP request into
 * an APIGatewayProxyEventV2, invokes the handler in-process, and writes its result back.
 *
 * It refuses what never reaches the Lambda in AWS, with API Gateway's own answers (as reported for API
 * Gateway; not observed from here):
 * - a body over 10 MB: `413`, `HTTP content length exceeded 10485760 bytes.` as text;
 * - an event over Lambda's 6 MB invocation limit (the whole event JSON: headers, the body escaped as a JSON
 *   string or base64), although the body is under 10 MB: `413 {"message":"Request Too Long"}`.
 * Herald's own limit on bodies is far below both, so a client normally gets Herald's `payload_too_large`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { HTTP_API_MAX_BODY_BYTES, LAMBDA_MAX_PAYLOAD_BYTES } from '../lib/spec';
import { lambdaContext } from './lambda-context';
import { guardLoopback } from './loopback-guard';

export type HttpApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

const API_TIMEOUT_MS = 29_000;

/**
 * Whether the event is over what a Lambda invocation takes. JSON escaping makes a character at most six
 * bytes, so an event whose body is under a sixth of the limit cannot be over it, and is not measured.
 */
export function overLambdaLimit(event: APIGatewayProxyEventV2): boolean {
  if ((event.body?.length ?? 0) * 6 < LAMBDA_MAX_PAYLOAD_BYTES - 64 * 1024) return false;
  return Buffer.byteLength(JSON.stringify(event)) > LAMBDA_MAX_PAYLOAD_BYTES;
}

function isUtf8(buf: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}

/** Builds the API Gateway v2 event for a request, the way API Gateway does (lower-cased headers, joined repeats). */
export function toApiGatewayEvent(req: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (name === 'cookie') cookies.push(...value.split(/;\s*/));
    else headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  // API Gateway sets the scheme the client used, whatever the client sent; local mode serves plain HTTP.
  headers['x-forwarded-proto'] = 'http';
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const now = Date.now();
  const text = body.length > 0 && isUtf8(body);
  const method = (req.method ?? 'GET').toUpperCase();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !text,
  };
}

function writeResult(res: ServerResponse, result: APIGatewayProxyResultV2): void {
  if (typeof result === 'string' || result === null || typeof result !== 'object' || !('statusCode' in result)) {
    // API Gateway's inference for non-structured results: 200 with a JSON body.
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(typeof result === 'string' ? result : JSON.stringify(result));
    return;
  }
  const headers: Record<string, string | number | boolean | string[]> = { ...(result.headers ?? {}) };
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  res.writeHead(result.statusCode ?? 200, headers as Record<string, string | string[]>);
  const body = result.body ?? '';
  res.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

function plainError(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...extra });
  res.end(JSON.stringify({ error: { code, message, details: [] } }));
}

export interface ApiGatewayOptions {
  /** 0 (default) picks a free port. The listener is always on 127.0.0.1. */
  readonly port?: number;
  /**
   * Checked before the body is read: whether the request may go on (its API key is valid, or it needs none). A
   * request refused here gets the API's 401 at once and its body is never buffered, so a caller without a key
   * cannot make the process hold 10 MB per connection. The handler still authenticates every request itself.
   * @default every request goes on
   */
  readonly admit?: (request: { readonly method: string; readonly path: string; readonly authorization: string | undefined }) => Promise<boolean>;
}

export interface LocalApiGateway {
  readonly server: Server;
  readonly port: number;
  /** Stops accepting connections and waits for in-flight requests to finish. */
  close(): Promise<void>;
}

/**
 * Starts the local HTTP API on 127.0.0.1 (port 0 picks a free one), behind the loopback front: browsers are served
 * only from the API's own origin (the console), and only under a loopback Host.
 */
export async function startApiGateway(handler: HttpApiHandler, options: ApiGatewayOptions = {}): Promise<LocalApiGateway> {
  const server = createServer((req, res) => {
    if (options.admit === undefined) {
      invoke(handler, req, res);
      return;
    }
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    options.admit({ method: (req.method ?? 'GET').toUpperCase(), path, authorization: req.headers.authorization }).then(
      (admitted) => {
        if (admitted) {
          invoke(handler, req, res);
          return;
        }
        // The body is never read: the connection closes after the answer.
        plainError(res, 401, 'unauthorized', 'missing or invalid API key', { connection: 'close', 'www-authenticate': 'Bearer' });
        res.once('finish', () => req.destroy());
      },
      () => {
        plainError(res, 503, 'unavailable', 'Herald could not verify the API key; retry the request', { connection: 'close' });
        res.once('finish', () => req.destroy());
      },
    );
  });
  guardLoopback(server, { sameOrigin: true });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** Buffers the body (up to API Gateway's limit), invokes the handler and writes its answer. */
function invoke(handler: HttpApiHandler, req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > HTTP_API_MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(chunk);
  });
  req.on('error', () => res.destroy());
  req.on('end', () => {
    if (tooLarge) {
      res.writeHead(413, { 'content-type': 'text; charset=utf-8' });
      res.end(`HTTP content length exceeded ${HTTP_API_MAX_BODY_BYTES} bytes.`);
      return;
    }
    const event = toApiGatewayEvent(req, Buffer.concat(chunks));
    if (overLambdaLimit(event)) {
      res.writeHead(413, { 'content-type': 'application/json', 'x-amzn-errortype': 'BadRequestException' });
      res.end('{"message":"Request Too Long"}');
      return;
    }
    handler(event, lambdaContext('herald-api', API_TIMEOUT_MS)).then(
      (result) => writeResult(res, result),
      (error: unknown) => {
        // What API Gateway does when the integration fails: a bare 500, no details.
        console.error('api handler failed:', error instanceof Error ? error.message : error);
        plainError(res, 500, 'internal_error', 'Internal Server Error');
      },
    );
  });
}
