/**
 * The webhook POST on node:http / node:https.
 *
 * - The host name is resolved once, every address is checked against the target rules, and the
 *   connection goes to the checked address (the `lookup` hook of the request returns it), while the
 *   Host header and TLS SNI keep the host name. A name that resolves to a forbidden address (the
 *   metadata service, the VPC, loopback) is never connected to: the outcome is `blocked`.
 * - One total timeout per request, DNS and connect included.
 * - Redirects are not followed: a 3xx is an outcome like any other.
 * - At most `maxResponseBytes` of the body are kept; a longer body ends the connection rather than
 *   being read to the end.
 * - Keep-alive agents live as long as the sender (one per Lambda container), so consecutive
 *   deliveries to one endpoint reuse the connection and skip the TLS handshake. A request that fails
 *   on a reused connection before any response (the receiver closed it while idle) is sent once more
 *   on a fresh connection.
 * - Transport failures are outcomes, never exceptions.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import type { Outcome } from '../core/model';
import { checkAddress, checkTargetUrl } from '../core/target';
import type { HttpSender, SendRequest, SendResult } from '../ports';

export const USER_AGENT = 'Herald-Webhooks/1';
export const DEFAULT_MAX_RESPONSE_BYTES = 4096;

/** Resolves a host name to all its addresses (dns.lookup with `all: true`); injectable for tests. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

export interface NodeHttpSenderOptions {
  /** Allow loopback, private and other non-public targets (local mode, tests). */
  readonly allowPrivate: boolean;
  readonly maxResponseBytes?: number;
  readonly resolver?: Resolver;
  /** Trust these CA certificates (PEM) in addition to the system ones; tests use it for a local TLS receiver. */
  readonly ca?: string | readonly string[];
  /** Most sockets per host; bounds the connections one container opens to one endpoint. */
  readonly maxSocketsPerHost?: number;
}

/** Headers the sender sets itself; an endpoint's own headers cannot replace them. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'user-agent', 'host', 'connection', 'transfer-encoding']);

class TimeoutError extends Error {
  readonly code = 'HERALD_TIMEOUT';
}

class BlockedError extends Error {
  readonly code = 'HERALD_BLOCKED';
}

interface Target {
  readonly url: URL;
  readonly hostname: string;
  readonly address: string;
  readonly family: number;
}

export class NodeHttpSender implements HttpSender {
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;
  private readonly resolver: Resolver;
  private readonly maxResponseBytes: number;

  constructor(private readonly options: NodeHttpSenderOptions) {
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSocketsPerHost ?? 50,
      maxFreeSockets: 10,
      scheduling: 'lifo' as const,
      // Idle sockets are closed before a typical server's keep-alive timeout would close them under us.
      timeout: 4000,
    };
    this.httpAgent = new HttpAgent(agentOptions);
    this.httpsAgent = new HttpsAgent({
      ...agentOptions,
      ...(options.ca === undefined ? {} : { ca: typeof options.ca === 'string' ? options.ca : [...options.ca] }),
    });
    this.resolver = options.resolver ?? systemResolver;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  /** Closes the pooled connections (local mode shutdown, tests). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  async send(request: SendRequest): Promise<SendResult> {
    const started = performance.now();
    const deadline = started + request.timeoutMs;
    const elapsed = () => Math.max(0, Math.round(performance.now() - started));
    try {
      const target = await withDeadline(this.resolveTarget(request.url), deadline);
      const result = await this.post(target, request, deadline);
      return { ...result, latencyMs: elapsed() };
    } catch (error) {
      const outcome = outcomeOfError(error);
      return { outcome, latencyMs: elapsed(), error: describeError(error, request.timeoutMs) };
    }
  }

  /** Parses and checks the URL, resolves the host once and checks every address. */
  private async resolveTarget(rawUrl: string): Promise<Target> {
    const rules = { allowPrivate: this.options.allowPrivate };
    const checked = checkTargetUrl(rawUrl, rules);
    if (!checked.ok) throw new BlockedError(checked.error);
    const url = checked.value;
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const literal = isIP(hostname);
    const addresses: LookupAddress[] = literal !== 0 ? [{ address: hostname, family: literal }] : await this.resolver(hostname);
    if (addresses.length === 0) throw Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' });
    for (const { address } of addresses) {
      const reason = checkAddress(address, rules);
      // One forbidden address blocks the name: a mix of public and private answers is how DNS tricks look.
      if (reason !== undefined) throw new BlockedError(`${hostname} resolves to ${address}: ${reason}`);
    }
    const first = addresses[0]!;
    return { url, hostname, address: first.address, family: first.family };
  }

  private async post(target: Target, request: SendRequest, deadline: number): Promise<Omit<SendResult, 'latencyMs'>> {
    try {
      return await this.attempt(target, request, deadline, false);
    } catch (error) {
      if (error instanceof ReusedSocketError) return this.attempt(target, request, deadline, true);
      throw error;
    }
  }

  private attempt(
    target: Target,
    request: SendRequest,
    deadline: number,
    freshConnection: boolean,
  ): Promise<Omit<SendResult, 'latencyMs'>> {
    const { url } = target;
    const https = url.protocol === 'https:';
    const body = Buffer.from(request.body, 'utf8');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!RESERVED_HEADERS.has(name.toLowerCase())) headers[name] = value;
    }
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
    headers['user-agent'] = USER_AGENT;

    // The connection goes to the address checked above, whatever a second resolution would say.
    const lookup: LookupFunction = (_hostname, opts, callback) => {
      if ((opts as { all?: boolean }).all) {
        (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, [{ address: target.address, family: target.family }]);
      } else {
        callback(null, target.address, target.family);
      }
    };

    return new Promise((resolve, reject) => {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        reject(new TimeoutError('timed out before connecting'));
        return;
      }
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const options = {
        method: 'POST',
        host: target.hostname,
        port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
        path: `${url.pathname}${url.search}`,
        headers,
        lookup,
        agent: freshConnection ? false : https ? this.httpsAgent : this.httpAgent,
        ...(https && freshConnection && this.options.ca !== undefined
          ? { ca: typeof this.options.ca === 'string' ? this.options.ca : [...this.options.ca] }
          : {}),
        ...(https && isIP(target.hostname) === 0 ? { servername: target.hostname } : {}),
      };
      const req: ClientRequest = (https ? httpsRequest : httpRequest)(options);
      const timer = setTimeout(() => {
        req.destroy(new TimeoutError(`no complete response within ${Math.round(remaining)} ms`));
      }, remaining);

      let responded = false;
      req.on('error', (error) => {
        // Once the status is known the attempt has an outcome; a broken body only shortens the excerpt.
        if (responded) return;
        finish(() => {
          const code = (error as NodeJS.ErrnoException).code;
          if (req.reusedSocket && !freshConnection && (code === 'ECONNRESET' || code === 'EPIPE')) {
            reject(new ReusedSocketError(error.message));
          } else {
            reject(error);
          }
        });
      });
      req.on('response', (res: IncomingMessage) => {
        responded = true;
        this.readExcerpt(res, req).then(
          (excerpt) =>
            finish(() => {
              const retryAfter = headerValue(res.headers['retry-after']);
              const outcome: Outcome = {
                kind: 'http',
                status: res.statusCode ?? 0,
                ...(retryAfter === undefined ? {} : { retryAfter }),
              };
              resolve({ outcome, ...(excerpt === '' ? {} : { responseExcerpt: excerpt }) });
            }),
          (error: unknown) => finish(() => reject(error)),
        );
      });
      req.end(body);
    });
  }

  /**
   * Reads the body up to the cap. Past the cap, or at the deadline, the connection is destroyed
   * (the status is already known, so that is not a failure of the attempt).
   */
  private readExcerpt(res: IncomingMessage, req: ClientRequest): Promise<string> {
    return new Promise((resolve) => {
      const decoder = new StringDecoder('utf8');
      const chunks: Buffer[] = [];
      let kept = 0;
      let done = false;
      const end = () => {
        if (done) return;
        done = true;
        resolve(decoder.write(Buffer.concat(chunks)));
      };
      res.on('data', (chunk: Buffer) => {
        if (done) return;
        const room = this.maxResponseBytes - kept;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          kept += room;
          end();
          res.destroy();
          req.destroy();
          return;
        }
        chunks.push(chunk);
        kept += chunk.length;
      });
      res.on('end', end);
      // A body cut short (timeout, reset) still leaves the status and what arrived.
      res.on('error', end);
      res.on('close', end);
      res.on('aborted', end);
    });
  }
}

class ReusedSocketError extends Error {}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Rejects with a timeout once `deadline` (performance.now() ms) passes. */
function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  const remaining = deadline - performance.now();
  if (remaining <= 0) return Promise.reject(new TimeoutError('timed out before connecting'));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`no address within ${Math.round(remaining)} ms`)), remaining);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'HOSTNAME_MISMATCH',
  'EPROTO',
]);

/**
 * Maps a transport error to its outcome kind: our own timer or ETIMEDOUT → `timeout`; ECONNREFUSED
 * (and unreachable host or network, which also mean "could not connect") → `connect_refused`;
 * ECONNRESET, EPIPE, "socket hang up" → `connect_reset`; ENOTFOUND, EAI_AGAIN → `dns`; certificate
 * and handshake errors → `tls`; HTTP parse errors (HPE_*) → `invalid_response`. Anything else is
 * counted as a reset connection: the exchange broke off for a reason the receiver's side caused.
 */
export function outcomeOfError(error: unknown): Outcome {
  if (error instanceof BlockedError) return { kind: 'blocked' };
  if (error instanceof TimeoutError) return { kind: 'timeout' };
  const code = String((error as { code?: unknown } | undefined)?.code ?? '');
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return { kind: 'timeout' };
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EHOSTDOWN') {
    return { kind: 'connect_refused' };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NODATA' || code === 'ENODATA') {
    return { kind: 'dns' };
  }
  if (TLS_CODES.has(code) || code.startsWith('CERT_') || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) {
    return { kind: 'tls' };
  }
  if (code.startsWith('HPE_')) return { kind: 'invalid_response' };
  return { kind: 'connect_reset' };
}

function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof TimeoutError) return `timeout after ${timeoutMs} ms (${error.message})`;
  if (error instanceof BlockedError) return error.message;
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const text = code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
  return text.slice(0, 500);
}
