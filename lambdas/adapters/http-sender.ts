/**
 * The webhook POST on node:http / node:https.
 *
 * - The host name is resolved once, every address is checked against the target rules, and the
 *   connection goes to a checked address (the `lookup` hook of the request returns it), while the
 *   Host header and TLS SNI keep the host name. A name that resolves to a forbidden address (the
 *   metadata service, the VPC, loopback) is never connected to: the outcome is `blocked`.
 * - The addresses are tried in turn, IPv4 first (a Lambda outside a VPC has no IPv6 route), until
 *   one accepts the connection; only a failure to connect moves on to the next (refused,
 *   unreachable, no route), never a failure after the request may have reached the receiver. The
 *   address that answered is tried first next time.
 * - A checked target is cached per URL: an IP literal for the sender's lifetime (nothing about it can
 *   change), a host name for `targetTtlMs` (30 s), after which the name is resolved and every address
 *   checked again, so a DNS change, to a new address or to a forbidden one, is followed within the
 *   TTL. Repeat deliveries to an endpoint skip the URL parse, the rules and the lookup; a connection
 *   still only ever goes to an address that passed the rules. Failures are not cached.
 * - One total timeout per request, DNS and connect included.
 * - Redirects are not followed: a 3xx is an outcome like any other.
 * - At most `maxResponseBytes` of the body are kept; a longer body ends the connection rather than
 *   being read to the end.
 * - Keep-alive agents live as long as the sender (one per Lambda container), so consecutive
 *   deliveries to one endpoint reuse the connection and skip the TLS handshake. A connection idle
 *   for `idleSocketMs` (3.5 s, less when the receiver announces a shorter `Keep-Alive: timeout`) is
 *   closed before a typical server's keep-alive timeout (5 s) would close it under us. A request that
 *   fails on a reused connection before any response (the receiver closed it while idle anyway) is
 *   sent once more on a fresh connection.
 * - Transport failures are outcomes, never exceptions.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type AgentOptions, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions as HttpsRequestOptions } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import type { Outcome } from '../core/model';
import { checkAddress, checkTargetUrl, type TargetRules } from '../core/target';
import { systemClock, type Clock, type HttpSender, type SendRequest, type SendResult } from '../ports';

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
  /**
   * How long the checked address of a host name is reused before the name is resolved and checked
   * again; 0 resolves on every send.
   *
   * @default 30 000 ms ({@link DEFAULT_TARGET_TTL_MS})
   */
  readonly targetTtlMs?: number;
  /** Clock of the target cache (tests move it past the TTL). @default the system clock */
  readonly clock?: Clock;
  /**
   * How long a pooled connection may stay idle before it is closed.
   *
   * @default 3500 ms ({@link DEFAULT_IDLE_SOCKET_MS})
   */
  readonly idleSocketMs?: number;
}

/** Default of {@link NodeHttpSenderOptions.idleSocketMs}: below the 5 s keep-alive timeout of Node and Apache servers. */
export const DEFAULT_IDLE_SOCKET_MS = 3500;

/** Default of {@link NodeHttpSenderOptions.targetTtlMs}: short, so a DNS change reaches deliveries within half a minute. */
export const DEFAULT_TARGET_TTL_MS = 30_000;

/** Checked targets kept at most; past it the oldest entry makes room (a container rarely serves this many endpoint URLs). */
const MAX_CACHED_TARGETS = 1000;

/** Headers the sender sets itself; an endpoint's own headers cannot replace them. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'user-agent', 'host', 'connection', 'transfer-encoding']);

class TimeoutError extends Error {
  readonly code = 'HERALD_TIMEOUT';
}

class BlockedError extends Error {
  readonly code = 'HERALD_BLOCKED';
}

/** A URL that passed the target rules, with the checked address its connections go to. */
interface Target {
  readonly https: boolean;
  /** Host name or IP literal (without brackets): the Host header and TLS SNI. */
  readonly hostname: string;
  readonly port: number;
  readonly path: string;
  readonly address: string;
  readonly family: number;
  /** TLS server name: the host name, absent for an IP literal. */
  readonly servername: string | undefined;
  /** The connection's `lookup` hook: answers with the checked address, whatever a second resolution would say. */
  readonly lookup: LookupFunction;
  /** The host name's other checked addresses, in the order they are tried when this one cannot be connected to. */
  readonly fallbacks: readonly Target[];
}

interface CachedTarget {
  readonly target: Target;
  readonly checkedAt: number;
  readonly expiresAt: number;
}

export class NodeHttpSender implements HttpSender {
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;
  private readonly idlePool: IdlePool;
  private readonly resolver: Resolver;
  private readonly maxResponseBytes: number;
  private readonly rules: TargetRules;
  private readonly targetTtlMs: number;
  private readonly clock: Clock;
  /** Checked targets by URL: IP literals for the sender's lifetime, host names for `targetTtlMs`. */
  private readonly targets = new Map<string, CachedTarget>();

  constructor(private readonly options: NodeHttpSenderOptions) {
    // No agent `timeout` (it re-arms a socket timer on every read and write of every request): the
    // idle pool closes idle connections instead.
    const agentOptions: AgentOptions = {
      keepAlive: true,
      maxSockets: options.maxSocketsPerHost ?? 50,
      maxFreeSockets: 10,
      scheduling: 'lifo',
    };
    this.idlePool = new IdlePool(options.idleSocketMs ?? DEFAULT_IDLE_SOCKET_MS);
    this.httpAgent = new PooledHttpAgent(agentOptions, this.idlePool);
    this.httpsAgent = new PooledHttpsAgent(
      {
        ...agentOptions,
        ...(options.ca === undefined ? {} : { ca: typeof options.ca === 'string' ? options.ca : [...options.ca] }),
      },
      this.idlePool,
    );
    this.idlePool.watch(this.httpAgent, this.httpsAgent);
    this.resolver = options.resolver ?? systemResolver;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.rules = { allowPrivate: options.allowPrivate };
    this.targetTtlMs = options.targetTtlMs ?? DEFAULT_TARGET_TTL_MS;
    this.clock = options.clock ?? systemClock;
  }

  /** Closes the pooled connections (local mode shutdown, tests). */
  close(): void {
    this.idlePool.stop();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  async send(request: SendRequest): Promise<SendResult> {
    const started = performance.now();
    const deadline = started + request.timeoutMs;
    try {
      const target = this.cachedTarget(request.url) ?? (await this.checkTarget(request.url, deadline));
      const body = Buffer.from(request.body, 'utf8');
      const headers = requestHeaders(request.headers, body.length);
      let exchanged: Exchanged;
      try {
        exchanged = await this.exchange(target, headers, body, deadline, false);
      } catch (error) {
        if (target.fallbacks.length === 0 || !couldNotConnect(error)) throw error;
        exchanged = await this.exchangeWithFallbacks(request.url, target, headers, body, deadline, error);
      }
      const { outcome, excerpt } = exchanged;
      const latencyMs = elapsedMs(started);
      return excerpt === '' ? { outcome, latencyMs } : { outcome, responseExcerpt: excerpt, latencyMs };
    } catch (error) {
      return { outcome: outcomeOfError(error), latencyMs: elapsedMs(started), error: describeError(error, request.timeoutMs) };
    }
  }

  /** One POST to the target's address; a pooled connection the receiver had closed is replaced by a fresh one, once. */
  private async exchange(target: Target, headers: Record<string, string>, body: Buffer, deadline: number, fresh: boolean): Promise<Exchanged> {
    try {
      return await this.attempt(target, headers, body, deadline, fresh);
    } catch (error) {
      if (fresh || !(error instanceof ReusedSocketError)) throw error;
      return this.attempt(target, headers, body, deadline, true);
    }
  }

  /**
   * After the first address could not be connected to: the others in turn, each on a fresh
   * connection, within the same deadline. The first that answers becomes the one tried first
   * (while the checked target stays cached). When none can be connected to, the last error stands.
   */
  private async exchangeWithFallbacks(
    rawUrl: string,
    target: Target,
    headers: Record<string, string>,
    body: Buffer,
    deadline: number,
    firstError: unknown,
  ): Promise<Exchanged> {
    let last = firstError;
    for (let i = 0; i < target.fallbacks.length; i++) {
      try {
        const exchanged = await this.exchange(target.fallbacks[i]!, headers, body, deadline, true);
        this.prefer(rawUrl, target, i);
        return exchanged;
      } catch (error) {
        if (!couldNotConnect(error)) throw error;
        last = error;
      }
    }
    throw last;
  }

  /** Makes fallback `index` the address tried first for this URL, keeping the cache entry's times. */
  private prefer(rawUrl: string, target: Target, index: number): void {
    const cached = this.targets.get(rawUrl);
    if (cached === undefined || cached.target !== target) return;
    const chosen = target.fallbacks[index]!;
    const { fallbacks: _none, ...primary } = target;
    const rest = [{ ...primary, fallbacks: [] }, ...target.fallbacks.filter((_, i) => i !== index)];
    this.targets.set(rawUrl, { ...cached, target: { ...chosen, fallbacks: rest } });
  }

  /** The target of a URL checked earlier, unless its time is up (or the clock went back). */
  private cachedTarget(url: string): Target | undefined {
    const cached = this.targets.get(url);
    if (cached === undefined) return undefined;
    const now = this.clock.now();
    if (now < cached.expiresAt && now >= cached.checkedAt) return cached.target;
    this.targets.delete(url);
    return undefined;
  }

  /**
   * Parses and checks the URL, resolves the host once (within the deadline) and checks every address;
   * the target is then cached. An IP literal needs no lookup and never changes; a host name's answer
   * is reused for `targetTtlMs`. Failures (blocked, DNS errors, timeouts) are not cached.
   */
  private checkTarget(rawUrl: string, deadline: number): Target | Promise<Target> {
    const checked = checkTargetUrl(rawUrl, this.rules);
    if (!checked.ok) throw new BlockedError(checked.error);
    const url = checked.value;
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const literal = isIP(hostname);
    if (literal !== 0) {
      const reason = checkAddress(hostname, this.rules);
      if (reason !== undefined) throw new BlockedError(`${hostname} resolves to ${hostname}: ${reason}`);
      return this.remember(rawUrl, makeTarget(url, hostname, hostname, literal, false, []), Number.POSITIVE_INFINITY);
    }
    return withDeadline(this.resolver(hostname), deadline).then((addresses) => {
      if (addresses.length === 0) throw Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' });
      for (const { address } of addresses) {
        const reason = checkAddress(address, this.rules);
        // One forbidden address blocks the name: a mix of public and private answers is how DNS tricks look.
        if (reason !== undefined) throw new BlockedError(`${hostname} resolves to ${address}: ${reason}`);
      }
      // IPv4 first, each family in the resolver's order: a Lambda outside a VPC cannot reach IPv6.
      const ordered = [...addresses.filter((a) => a.family === 4), ...addresses.filter((a) => a.family !== 4)];
      const [first, ...others] = ordered as [LookupAddress, ...LookupAddress[]];
      const fallbacks = others.map((a) => makeTarget(url, hostname, a.address, a.family, true, []));
      return this.remember(rawUrl, makeTarget(url, hostname, first.address, first.family, true, fallbacks), this.targetTtlMs);
    });
  }

  private remember(rawUrl: string, target: Target, ttlMs: number): Target {
    if (ttlMs <= 0) return target;
    if (this.targets.size >= MAX_CACHED_TARGETS && !this.targets.has(rawUrl)) {
      const oldest = this.targets.keys().next();
      if (oldest.done !== true) this.targets.delete(oldest.value);
    }
    const now = this.clock.now();
    this.targets.set(rawUrl, { target, checkedAt: now, expiresAt: now + ttlMs });
    return target;
  }

  /** One POST on a pooled connection, or on a fresh one (`freshConnection`) for the resend. */
  private attempt(
    target: Target,
    headers: Record<string, string>,
    body: Buffer,
    deadline: number,
    freshConnection: boolean,
  ): Promise<Exchanged> {
    return new Promise((resolve, reject) => {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        reject(new TimeoutError('timed out before connecting'));
        return;
      }
      const https = target.https;
      const options: HttpsRequestOptions = {
        method: 'POST',
        host: target.hostname,
        port: target.port,
        path: target.path,
        headers,
        lookup: target.lookup,
        agent: freshConnection ? false : https ? this.httpsAgent : this.httpAgent,
      };
      if (https) {
        if (target.servername !== undefined) options.servername = target.servername;
        if (freshConnection && this.options.ca !== undefined) {
          options.ca = typeof this.options.ca === 'string' ? this.options.ca : [...this.options.ca];
        }
      }
      const req: ClientRequest = (https ? httpsRequest : httpRequest)(options);
      new Exchange(req, { freshConnection, remaining, maxResponseBytes: this.maxResponseBytes, resolve, reject });
      req.end(body);
    });
  }
}

const IDLE_SINCE = Symbol('heraldIdleSince');
const IDLE_LIMIT = Symbol('heraldIdleLimit');

/** A pooled socket with when it went idle (epoch ms) and how long it may stay so; `_httpMessage` is Node's own field. */
interface PooledSocket extends Duplex {
  [IDLE_SINCE]?: number;
  [IDLE_LIMIT]?: number;
  readonly _httpMessage?: { readonly res?: IncomingMessage } | null;
}

/**
 * Closes pooled connections once idle for `idleMs`, or for the receiver's announced
 * `Keep-Alive: timeout=N` less one second when that is shorter (the rule Node's agent applies to its
 * `timeout` option). Without this a connection stays pooled until the receiver closes it, and a
 * container that delivered to many endpoints would keep their sockets (file descriptors) open.
 * Node's agent `timeout` would close them too, but it re-arms a socket timer on every read and
 * write of every request; this only stamps a socket when it goes into the pool, and sweeps the pools
 * every `idleMs / 7` (at least 10 ms, at most 500 ms) while any socket is pooled.
 */
class IdlePool {
  private readonly agents: HttpAgent[] = [];
  private readonly sweepMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly idleMs: number) {
    this.sweepMs = Math.min(500, Math.max(10, Math.round(idleMs / 7)));
  }

  watch(...agents: HttpAgent[]): void {
    this.agents.push(...agents);
  }

  /** A socket went into a pool (called from the agents' `keepSocketAlive`). */
  pooled(socket: PooledSocket): void {
    socket[IDLE_SINCE] = Date.now();
    const hint = keepAliveHintMs(socket._httpMessage?.res?.headers['keep-alive']);
    socket[IDLE_LIMIT] = hint === undefined ? this.idleMs : Math.min(this.idleMs, hint);
    if (this.timer === undefined) {
      this.timer = setInterval(sweepIdlePool, this.sweepMs, this);
      this.timer.unref();
    }
  }

  /** Destroys the sockets idle for too long (or stamped in the future: the clock went back); stops when no socket is left pooled. */
  sweep(): void {
    const now = Date.now();
    let left = 0;
    for (const agent of this.agents) {
      for (const name in agent.freeSockets) {
        for (const socket of agent.freeSockets[name] ?? []) {
          const pooled = socket as PooledSocket;
          const since = pooled[IDLE_SINCE] ?? now;
          if (now < since || now - since >= (pooled[IDLE_LIMIT] ?? this.idleMs)) {
            socket.destroy();
          } else {
            left++;
          }
        }
      }
    }
    if (left === 0) this.stop();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

function sweepIdlePool(pool: IdlePool): void {
  pool.sweep();
}

/** `Keep-Alive: timeout=N` as the idle time Node's agent derives from it (N - 1 s), or undefined. */
function keepAliveHintMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const match = /^timeout=(\d+)/.exec(value);
  return match === null ? undefined : Math.max(0, Number.parseInt(match[1]!, 10) * 1000 - 1000);
}

/** Node's keep-alive agent, with its pooled sockets watched by an {@link IdlePool}. */
class PooledHttpAgent extends HttpAgent {
  constructor(
    options: AgentOptions,
    private readonly idlePool: IdlePool,
  ) {
    super(options);
  }

  override keepSocketAlive(socket: Duplex): boolean {
    // Node's implementation returns whether the socket may be kept (the typings say void).
    const keep = super.keepSocketAlive(socket) as unknown as boolean;
    if (keep) this.idlePool.pooled(socket);
    return keep;
  }
}

/** The same for https. */
class PooledHttpsAgent extends HttpsAgent {
  constructor(
    options: ConstructorParameters<typeof HttpsAgent>[0],
    private readonly idlePool: IdlePool,
  ) {
    super(options);
  }

  override keepSocketAlive(socket: Duplex): boolean {
    const keep = super.keepSocketAlive(socket) as unknown as boolean;
    if (keep) this.idlePool.pooled(socket);
    return keep;
  }
}

/** What an exchange that got a response yields: the outcome and the kept body. */
interface Exchanged {
  readonly outcome: Outcome;
  readonly excerpt: string;
}

interface ExchangeSettings {
  readonly freshConnection: boolean;
  /** Time left until the deadline, ms. */
  readonly remaining: number;
  readonly maxResponseBytes: number;
  readonly resolve: (value: Exchanged) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * One request and its response: the deadline timer, the outcome, and the body read up to the cap.
 * Past the cap, or at the deadline, the connection is destroyed (the status is already known, so
 * that is not a failure of the attempt). Listeners are bound methods rather than closures made per
 * request.
 */
class Exchange {
  private settled = false;
  private responded = false;
  private bodyDone = false;
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly req: ClientRequest,
    private readonly settings: ExchangeSettings,
  ) {
    // Whole milliseconds: Node keeps one timer list per distinct duration, and requests share them.
    this.timer = setTimeout(onExchangeTimeout, Math.ceil(settings.remaining), this);
    req.on('error', this.onRequestError.bind(this));
    req.on('response', this.onResponse.bind(this));
  }

  timeout(): void {
    this.req.destroy(new TimeoutError(`no complete response within ${Math.round(this.settings.remaining)} ms`));
  }

  private onRequestError(error: NodeJS.ErrnoException): void {
    // Once the status is known the attempt has an outcome; a broken body only shortens the excerpt.
    if (this.responded || this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    const code = error.code;
    if (this.req.reusedSocket && !this.settings.freshConnection && (code === 'ECONNRESET' || code === 'EPIPE')) {
      this.settings.reject(new ReusedSocketError(error.message));
    } else {
      this.settings.reject(error);
    }
  }

  private onResponse(res: IncomingMessage): void {
    this.responded = true;
    const end = this.onBodyEnd.bind(this, res);
    res.on('data', this.onData.bind(this, res));
    res.on('end', end);
    // A body cut short (timeout, reset) still leaves the status and what arrived.
    res.on('error', end);
    res.on('close', end);
    res.on('aborted', end);
  }

  private onData(res: IncomingMessage, chunk: Buffer): void {
    if (this.bodyDone) return;
    const room = this.settings.maxResponseBytes - this.kept;
    if (chunk.length > room) {
      this.chunks.push(chunk.subarray(0, room));
      this.kept += room;
      this.onBodyEnd(res);
      res.destroy();
      this.req.destroy();
      return;
    }
    this.chunks.push(chunk);
    this.kept += chunk.length;
  }

  private onBodyEnd(res: IncomingMessage): void {
    if (this.bodyDone) return;
    this.bodyDone = true;
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    const status = res.statusCode ?? 0;
    const retryAfter = headerValue(res.headers['retry-after']);
    const outcome: Outcome = retryAfter === undefined ? { kind: 'http', status } : { kind: 'http', status, retryAfter };
    this.settings.resolve({ outcome, excerpt: decodeExcerpt(this.chunks) });
  }
}

function onExchangeTimeout(exchange: Exchange): void {
  exchange.timeout();
}

function makeTarget(url: URL, hostname: string, address: string, family: number, named: boolean, fallbacks: readonly Target[]): Target {
  const https = url.protocol === 'https:';
  const lookup: LookupFunction = (_hostname, opts, callback) => {
    if ((opts as { all?: boolean }).all) {
      (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, [{ address, family }]);
    } else {
      callback(null, address, family);
    }
  };
  return {
    https,
    hostname,
    port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    address,
    family,
    servername: named ? hostname : undefined,
    lookup,
    fallbacks,
  };
}

/** Connection failures after which the next address is tried: nothing of the request can have reached the receiver. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'EADDRNOTAVAIL', 'EAFNOSUPPORT']);

function couldNotConnect(error: unknown): boolean {
  return CONNECT_FAILURES.has(String((error as { code?: unknown } | undefined)?.code ?? ''));
}

/** The request headers: the endpoint's own (less the reserved ones), then the sender's. */
function requestHeaders(own: Readonly<Record<string, string>>, contentLength: number): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name in own) {
    if (Object.hasOwn(own, name) && !RESERVED_HEADERS.has(name.toLowerCase())) headers[name] = own[name]!;
  }
  headers['content-type'] = 'application/json';
  headers['content-length'] = String(contentLength);
  headers['user-agent'] = USER_AGENT;
  return headers;
}

/**
 * The kept bytes as text. A trailing multi-byte character cut by the cap is left out (StringDecoder
 * holds it back); when the last byte is ASCII nothing can be cut, and a plain decode gives the same text.
 */
function decodeExcerpt(chunks: readonly Buffer[]): string {
  if (chunks.length === 0) return '';
  const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  if (bytes.length === 0) return '';
  if (bytes[bytes.length - 1]! < 0x80) return bytes.toString('utf8');
  return new StringDecoder('utf8').write(bytes);
}

function elapsedMs(started: number): number {
  return Math.max(0, Math.round(performance.now() - started));
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
    timer = setTimeout(() => reject(new TimeoutError(`no address within ${Math.round(remaining)} ms`)), Math.ceil(remaining));
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
