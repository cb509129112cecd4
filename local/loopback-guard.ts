/**
 * The front every local listener sits behind: local mode serves this machine's own processes and the console's
 * own origin, nothing else. dynalite answers CORS preflights with `Access-Control-Allow-Origin: *` and fauxqs takes
 * form-encoded POSTs, so without this front any web page open in a browser on this machine could read the table
 * (every signing secret) or delete the dead-letter queue.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Host names that mean this machine's loopback interface. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface LoopbackGuardOptions {
  /**
   * Accept browser requests from the listener's own origin (`http://127.0.0.1:<port>` or `http://localhost:<port>`):
   * the console served by the local API. Emulators accept no browser at all.
   * @default false
   */
  readonly sameOrigin?: boolean;
}

/**
 * Why a request may not reach a local listener on `port`, or undefined when it may.
 *
 * - The `Host` must be a loopback name (127.0.0.1, localhost or [::1]), with the listener's port or none: a page
 *   whose DNS name was re-pointed at 127.0.0.1 (DNS rebinding) sends its own host name and is refused.
 * - A request carrying `Origin`, or a `Sec-Fetch-Site` other than `none` (what a browser sends on a fetch, a form
 *   post or an image load from a page), comes from a web page. It is refused, unless `sameOrigin` is set and the
 *   origin is this listener's own loopback origin.
 *
 * The AWS SDK, curl and Herald's own clients send neither header, so they pass.
 */
export function loopbackRefusal(req: Pick<IncomingMessage, 'headers'>, port: number, options: LoopbackGuardOptions = {}): string | undefined {
  const host = req.headers.host;
  if (host === undefined || !isLoopbackAuthority(host, port)) return 'the Host header must name this machine (127.0.0.1 or localhost)';
  const origin = req.headers.origin;
  const fetchSite = req.headers['sec-fetch-site'];
  const sameOrigin = options.sameOrigin === true && (origin === undefined || isOwnOrigin(origin, port));
  if (origin !== undefined && !sameOrigin) return 'requests from web pages (with an Origin header) are refused';
  if (fetchSite !== undefined && fetchSite !== 'none' && !(sameOrigin && fetchSite === 'same-origin')) {
    return 'requests from web pages (Sec-Fetch-Site) are refused';
  }
  return undefined;
}

function isLoopbackAuthority(authority: string, port: number): boolean {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(authority.trim().toLowerCase());
  if (match === null) return false;
  const [, hostname, hostPort] = match;
  return LOOPBACK_HOSTS.has(hostname ?? '') && (hostPort === undefined || Number(hostPort) === port);
}

function isOwnOrigin(origin: string, port: number): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return url.protocol === 'http:' && url.origin === origin && isLoopbackAuthority(url.host, port) && url.port === String(port);
}

/**
 * Puts the loopback front before every request listener of `server` (call it before `listen`): a refused request
 * gets a 403 with a one-line reason and never reaches the emulator or the API.
 */
export function guardLoopback(server: Server, options: LoopbackGuardOptions = {}): void {
  const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const address = server.address();
    const port = address !== null && typeof address === 'object' ? address.port : 0;
    const refusal = loopbackRefusal(req, port, options);
    if (refusal !== undefined) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end(`${refusal}\n`);
      req.resume();
      return;
    }
    for (const listener of listeners) listener.call(server, req, res);
  });
}
