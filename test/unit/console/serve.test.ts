import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { CONSOLE_ASSETS } from '../../../lambdas/console/assets';
import { CONSOLE_CSP, consoleResponse } from '../../../lambdas/console/serve';
import { ASSETS_MODULE, CONSOLE_DIR, readConsoleFiles, renderAssetsModule } from '../../../scripts/build-console';

function serve(path: string, request: Parameters<typeof consoleResponse>[1] = {}): APIGatewayProxyStructuredResultV2 {
  const response = consoleResponse(path, request);
  if (response === undefined || typeof response !== 'object') throw new Error(`no structured response for ${path}`);
  return response;
}

describe('consoleResponse', () => {
  it.each([
    ['/console/', 'index.html', 'text/html; charset=utf-8'],
    ['/console/index.html', 'index.html', 'text/html; charset=utf-8'],
    ['/console/app.js', 'app.js', 'text/javascript; charset=utf-8'],
    ['/console/styles.css', 'styles.css', 'text/css; charset=utf-8'],
    ['/console/favicon.svg', 'favicon.svg', 'image/svg+xml'],
  ])('serves %s as console/%s with %s', (path, file, contentType) => {
    const response = serve(path);
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toBe(contentType);
    expect(response.body).toBe(readFileSync(join(CONSOLE_DIR, file), 'utf8'));
    expect(response.isBase64Encoded ?? false).toBe(false);
    expect(response.headers?.['x-content-type-options']).toBe('nosniff');
    expect(response.headers?.['content-security-policy']).toBe(CONSOLE_CSP);
    expect(response.headers?.['cache-control']).toBe('no-cache');
    expect(response.headers?.etag).toBe(CONSOLE_ASSETS[file]?.etag);
    expect(response.headers?.etag).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('has a strict CSP: own origin only, no inline script or style, no framing, Trusted Types enforced', () => {
    const directives = Object.fromEntries(
      CONSOLE_CSP.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')];
      }),
    );
    expect(directives).toEqual({
      'default-src': "'none'",
      'script-src': "'self'",
      'style-src': "'self'",
      'connect-src': "'self'",
      'img-src': "'self'",
      'base-uri': "'none'",
      'form-action': "'none'",
      'frame-ancestors': "'none'",
      'require-trusted-types-for': "'script'",
      'trusted-types': "'none'",
    });
    expect(CONSOLE_CSP).not.toContain('unsafe');
  });

  it('redirects /console to the folder URL with a relative Location (works under a stage prefix)', () => {
    const response = serve('/console');
    expect(response.statusCode).toBe(301);
    expect(response.headers?.location).toBe('console/');
    expect(new URL(String(response.headers?.location), 'https://api.example.com/console').pathname).toBe('/console/');
    expect(response.body).toBe('');
  });

  it('answers 304 without a body when If-None-Match carries the current ETag', () => {
    const etag = CONSOLE_ASSETS['app.js']?.etag as string;
    const fresh = serve('/console/app.js', { headers: { 'if-none-match': etag } });
    expect(fresh.statusCode).toBe(304);
    expect(fresh.body).toBe('');
    expect(fresh.headers?.etag).toBe(etag);
    expect(serve('/console/app.js', { headers: { 'if-none-match': `"other", W/${etag}` } }).statusCode).toBe(304);
    const stale = serve('/console/app.js', { headers: { 'if-none-match': '"0123"' } });
    expect(stale.statusCode).toBe(200);
    expect(stale.body).toBe(CONSOLE_ASSETS['app.js']?.body);
  });

  it('serves HEAD without a body and leaves other methods to the API router', () => {
    const head = serve('/console/', { method: 'HEAD' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(consoleResponse('/console/', { method: 'POST' })).toBeUndefined();
    expect(consoleResponse('/console/app.js', { method: 'delete' })).toBeUndefined();
  });

  it('is a 404 in the API error format for other paths under /console/', () => {
    for (const path of ['/console/missing.js', '/console/app.js/x', '/console//app.js', '/console/../v1/endpoints']) {
      const response = serve(path);
      expect(response.statusCode).toBe(404);
      expect(response.headers?.['content-type']).toBe('application/json');
      expect(JSON.parse(String(response.body))).toEqual({ error: { code: 'not_found', message: `${path} not found`, details: [] } });
    }
  });

  it.each(['/', '/health', '/v1/endpoints', '/consoles', '/console.js', '/v1/console/', '/Console/'])('leaves %s to the API', (path) => {
    expect(consoleResponse(path)).toBeUndefined();
  });
});

describe('the console files', () => {
  it('lambdas/console/assets.ts is up to date with console/* (run `npm run build:console`)', () => {
    expect(readFileSync(ASSETS_MODULE, 'utf8')).toBe(renderAssetsModule(readConsoleFiles()));
  });

  it('the page loads only same-origin relative assets, with no inline script or style', () => {
    const html = CONSOLE_ASSETS['index.html']?.body as string;
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => m[1]?.trim())).toEqual(['type="module" src="app.js"']);
    expect(scripts.every((m) => m[2] === '')).toBe(true);
    expect(html).not.toMatch(/<style\b/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/\son[a-z]+=/);
    expect([...html.matchAll(/\b(?:href|src)="([^"#]+)"/g)].map((m) => m[1])).toEqual(['favicon.svg', 'styles.css', 'app.js']);
  });

  it('the script never parses strings as HTML and fetches nothing but the Herald API', () => {
    const js = CONSOLE_ASSETS['app.js']?.body as string;
    expect(js).not.toMatch(/\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(|createContextualFragment/);
    // No absolute URL, except the SVG namespace name (an identifier, never fetched) that createElementNS needs.
    expect(js.match(/https?:\/\/[^'"\s]*/g) ?? []).toEqual(['http://www.w3.org/2000/svg']);
    expect([...js.matchAll(/\bfetch\(/g)]).toHaveLength(1);
    expect(js).not.toMatch(/localStorage/);
  });

  it('the stylesheet loads nothing from elsewhere', () => {
    const css = CONSOLE_ASSETS['styles.css']?.body as string;
    expect(css).not.toMatch(/@import|url\(/);
  });
});
