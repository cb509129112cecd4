/**
 * Serves the web console from the api Lambda (and so from local mode): `/console/` and its assets, from the
 * strings bundled at build time in ./assets.ts. The page is public (it holds no data and asks for the API key);
 * every API call it makes carries the key like any other client.
 */
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { CONSOLE_ASSETS, type ConsoleAsset } from './assets';

/**
 * The console's Content-Security-Policy: only its own script, styles and API calls (same origin); no inline
 * script or style, no framing, no forms posting elsewhere, and Trusted Types with no policy, so the browser
 * itself refuses any HTML-string sink (`innerHTML` and friends): event data can only ever become text.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * Files are not content-addressed in their URLs, so browsers revalidate on every load (`no-cache`) and get a
 * 304 when the ETag still matches: a new deployment is picked up at once, an unchanged one costs no body.
 */
const CACHE_CONTROL = 'no-cache';

const ROUTES: Readonly<Record<string, string>> = {
  '/console/': 'index.html',
  '/console/index.html': 'index.html',
  '/console/app.js': 'app.js',
  '/console/styles.css': 'styles.css',
  '/console/favicon.svg': 'favicon.svg',
};

export interface ConsoleRequest {
  /** The HTTP method; only GET and HEAD are served (anything else is left to the API router). Default GET. */
  readonly method?: string;
  /** Request headers, lower-cased names as API Gateway delivers them; `if-none-match` enables 304s. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

function assetResponse(asset: ConsoleAsset, request: ConsoleRequest, head: boolean): APIGatewayProxyResultV2 {
  const headers = { ...SECURITY_HEADERS, 'cache-control': CACHE_CONTROL, etag: asset.etag };
  if (etagMatches(request.headers?.['if-none-match'], asset.etag)) {
    return { statusCode: 304, headers, body: '' };
  }
  return { statusCode: 200, headers: { ...headers, 'content-type': asset.contentType }, body: head ? '' : asset.body };
}

/**
 * The response for a console path, or undefined when `rawPath` is not the console's (the API router handles it).
 *
 * - `/console` redirects to `/console/` (relative Location, so it also works under a stage prefix): the page
 *   loads its assets and calls the API with relative URLs, which resolve correctly only from the folder URL.
 * - `/console/`, `/console/index.html`, `/console/app.js`, `/console/styles.css`, `/console/favicon.svg` serve the bundled files with
 *   their content type, the security headers above and an ETag.
 * - Any other `/console/...` path is a 404 in the API's error format.
 */
export function consoleResponse(rawPath: string, request: ConsoleRequest = {}): APIGatewayProxyResultV2 | undefined {
  if (rawPath !== '/console' && !rawPath.startsWith('/console/')) return undefined;
  const method = (request.method ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  if (rawPath === '/console') {
    return { statusCode: 301, headers: { ...SECURITY_HEADERS, location: 'console/', 'cache-control': 'max-age=3600' }, body: '' };
  }
  const file = ROUTES[rawPath];
  const asset = file === undefined ? undefined : CONSOLE_ASSETS[file];
  if (asset === undefined) {
    return {
      statusCode: 404,
      headers: { ...SECURITY_HEADERS, 'content-type': 'application/json', 'cache-control': CACHE_CONTROL },
      body: JSON.stringify({ error: { code: 'not_found', message: `${rawPath} not found`, details: [] } }),
    };
  }
  return assetResponse(asset, request, method === 'HEAD');
}
