/**
 * Target rules: which URLs an endpoint may have and which addresses Herald may connect to. This is
 * the SSRF guard: an endpoint URL is user input, and without these rules anyone allowed to create an
 * endpoint could make Herald POST to the cloud metadata service, to localhost, or into the VPC.
 *
 * A URL is checked when it is saved ({@link checkTargetUrl}); a host name is resolved at connect time
 * and every resolved address is checked again ({@link checkAddress}), and the connection goes to the
 * checked address, so DNS rebinding cannot slip past.
 */
import { err, ok, type Result } from './result';

export interface TargetRules {
  /** Allow http, loopback, private and other non-public addresses (local mode, tests). */
  readonly allowPrivate: boolean;
}

/**
 * Checks an endpoint URL.
 *
 * - It must parse as an absolute URL with scheme `https`, or `http` when private targets are allowed
 *   (webhooks carry signed business data; plain http only makes sense for a local receiver).
 * - No `user:password@`: credentials in URLs end up in logs and in list responses; endpoints take
 *   custom headers for authentication instead.
 * - A literal IP host is checked with {@link checkAddress}, and `localhost` / `*.localhost` (which
 *   always resolve to loopback, RFC 6761) is rejected unless private targets are allowed. Host names
 *   are checked after resolution, at connect time.
 *
 * Numeric IPv4 spellings (`http://2130706433/`, `http://0x7f.1/`) are normalised by the URL parser
 * to dotted decimal before the check, so they cannot hide an address.
 *
 * @returns the parsed URL, or a message saying what is wrong
 */
export function checkTargetUrl(url: string, rules: TargetRules): Result<URL, string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return err('URL is not a valid absolute URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return err(`URL scheme must be https${rules.allowPrivate ? ' or http' : ''}, got ${parsed.protocol.slice(0, -1)}`);
  }
  if (parsed.protocol === 'http:' && !rules.allowPrivate) {
    return err('URL scheme must be https (http is allowed only when the deployment allows private targets)');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return err('URL must not contain credentials (user:password@); use endpoint headers for authentication');
  }
  const host = parsed.hostname.replace(/\.$/, '');
  const literal = host.startsWith('[') ? host.slice(1, -1) : IPV4.test(host) ? host : undefined;
  if (literal !== undefined) {
    const reason = checkAddress(literal, rules);
    if (reason !== undefined) return err(`URL host ${host} is not allowed: ${reason}`);
  } else if (!rules.allowPrivate && (host === 'localhost' || host.endsWith('.localhost'))) {
    return err(`URL host ${host} is not allowed: loopback host name`);
  }
  return ok(parsed);
}

/**
 * Checks one IP address (IPv4 dotted decimal or IPv6, brackets and zone id tolerated) Herald is
 * about to connect to.
 *
 * Rejected unless private targets are allowed: IPv4 loopback 127/8, private 10/8, 172.16/12,
 * 192.168/16, link-local 169.254/16 (the cloud metadata service 169.254.169.254), shared CGNAT
 * 100.64/10, unspecified 0/8, broadcast, multicast 224/4, reserved 240/4, the IETF, documentation
 * and benchmarking blocks; IPv6 unspecified `::`, loopback `::1`, unique local fc00::/7 (includes
 * the AWS metadata service fd00:ec2::254), link-local fe80::/10, site-local fec0::/10, multicast
 * ff00::/8, documentation, IETF 2001::/23 (Teredo included), local-use NAT64 64:ff9b:1::/48, and
 * anything outside global unicast 2000::/3. Addresses that embed an IPv4 address are judged by it:
 * IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` and 6to4 `2002:AABB:CCDD::`; the deprecated
 * IPv4-compatible `::a.b.c.d` is rejected outright.
 *
 * A string that is not an IP address (including non-canonical IPv4 such as `010.0.0.1`, whose
 * meaning differs between parsers) is always rejected.
 *
 * @returns `undefined` when allowed, else the reason
 */
export function checkAddress(ip: string, rules: TargetRules): string | undefined {
  const text = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  let reason: string | undefined;
  if (IPV4.test(text)) {
    const v4 = parseIPv4(text);
    if (v4 === undefined) return 'not an IP address';
    reason = ipv4Reason(v4);
  } else {
    const v6 = parseIPv6(text.replace(/%[0-9A-Za-z._~-]+$/, ''));
    if (v6 === undefined) return 'not an IP address';
    reason = ipv6Reason(v6);
  }
  return rules.allowPrivate ? undefined : reason;
}

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Dotted decimal to an unsigned 32-bit number; leading zeros are refused (octal ambiguity). */
function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** An IPv6 address (`::` compression and a dotted IPv4 tail allowed) to a 128-bit bigint. */
function parseIPv6(text: string): bigint | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string, last: boolean): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    for (const [index, piece] of pieces.entries()) {
      if (last && index === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4(piece);
        if (v4 === undefined) return undefined;
        groups.push(Math.floor(v4 / 65_536), v4 % 65_536);
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(piece)) {
        groups.push(Number.parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const head = parseGroups(halves[0] ?? '', halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '', true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(group), 0n);
}

type V4Range = readonly [base: string, bits: number, reason: string];

const PRIVATE = 'private address';
const RESERVED = 'reserved address';
const DOCUMENTATION = 'documentation address';

const IPV4_RANGES: readonly V4Range[] = [
  ['255.255.255.255', 32, 'broadcast address'],
  ['0.0.0.0', 8, 'unspecified address'],
  ['127.0.0.0', 8, 'loopback address'],
  ['10.0.0.0', 8, PRIVATE],
  ['172.16.0.0', 12, PRIVATE],
  ['192.168.0.0', 16, PRIVATE],
  ['169.254.0.0', 16, 'link-local address (includes the cloud metadata service)'],
  ['100.64.0.0', 10, 'shared address space (carrier-grade NAT)'],
  ['224.0.0.0', 4, 'multicast address'],
  ['240.0.0.0', 4, RESERVED],
  ['192.0.0.0', 24, RESERVED],
  ['192.88.99.0', 24, RESERVED],
  ['198.18.0.0', 15, 'benchmarking address'],
  ['192.0.2.0', 24, DOCUMENTATION],
  ['198.51.100.0', 24, DOCUMENTATION],
  ['203.0.113.0', 24, DOCUMENTATION],
];

const IPV4_TABLE = IPV4_RANGES.map(([base, bits, reason]) => ({ base: parseIPv4(base) ?? 0, bits, reason }));

function ipv4Reason(ip: number): string | undefined {
  for (const { base, bits, reason } of IPV4_TABLE) {
    const size = 2 ** (32 - bits);
    if (Math.floor(ip / size) === Math.floor(base / size)) return reason;
  }
  return undefined;
}

type V6Range = readonly [prefix: bigint, bits: number, reason: string | ((embedded: number) => string | undefined)];

const v6 = (text: string): bigint => parseIPv6(text) ?? 0n;
const embeddedLow = (label: string) => (embedded: number) => {
  const reason = ipv4Reason(embedded);
  return reason === undefined ? undefined : `${label} of an IPv4 ${reason}`;
};

const IPV6_RANGES: readonly V6Range[] = [
  [0n, 128, 'unspecified address'],
  [1n, 128, 'loopback address'],
  [v6('::ffff:0:0'), 96, embeddedLow('IPv4-mapped address')],
  [0n, 96, 'IPv4-compatible address (deprecated)'],
  [v6('64:ff9b::'), 96, embeddedLow('NAT64 address')],
  [v6('64:ff9b:1::'), 48, PRIVATE],
  [v6('fc00::'), 7, `${PRIVATE} (unique local)`],
  [v6('fe80::'), 10, 'link-local address'],
  [v6('fec0::'), 10, `${PRIVATE} (site-local)`],
  [v6('ff00::'), 8, 'multicast address'],
  [v6('2001:db8::'), 32, DOCUMENTATION],
  [v6('3fff::'), 20, DOCUMENTATION],
  [v6('2001::'), 23, RESERVED],
];

function ipv6Reason(ip: bigint): string | undefined {
  for (const [prefix, bits, reason] of IPV6_RANGES) {
    const shift = BigInt(128 - bits);
    if (ip >> shift !== prefix >> shift) continue;
    return typeof reason === 'string' ? reason : reason(Number(ip & 0xffff_ffffn));
  }
  if (ip >> 112n === 0x2002n) {
    // 6to4: 2002:AABB:CCDD::/48 carries IPv4 AA.BB.CC.DD.
    return embeddedLow('6to4 address')(Number((ip >> 80n) & 0xffff_ffffn));
  }
  if (ip >> 125n !== 1n) return `${RESERVED} (not global unicast)`;
  return undefined;
}

/**
 * A URL as it may be kept or shown outside the endpoint itself (dead-letter records, alerts, logs): scheme, host
 * and path only. User info and the query string are dropped because receivers put tokens there, and the fragment
 * is never sent anyway. An unparsable URL becomes `(invalid URL)` rather than being echoed.
 */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
