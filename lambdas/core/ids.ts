/**
 * Resource ids: `<prefix>_` + a 26-character ULID (48-bit millisecond time + 80 random bits,
 * Crockford base32), so ids sort by creation time as strings and in DynamoDB sort keys.
 */

export type IdPrefix = 'ep' | 'evt' | 'dlv' | 'msg' | 'key' | 'ps';
/** Kinds of ids that are one ULID (a delivery id is two bodies: see {@link deliveryId}). */
export type UlidPrefix = Exclude<IdPrefix, 'dlv'>;

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
const MAX_TIME = 2 ** 48 - 1;

/**
 * Makes an id like `evt_01HZX3K5B2W8Q4N7M9R6T0V1YA`.
 *
 * The first 10 characters encode `now` (ms), the last 16 the 10 random bytes. Two ids made in
 * different milliseconds sort by time; within one millisecond their order is random.
 *
 * @param now epoch milliseconds, 0 to 2^48 - 1 (year 10889)
 * @param random10 exactly 10 bytes from a cryptographic random source
 * @throws RangeError on a time out of range or a wrong number of random bytes
 */
export function makeId(prefix: UlidPrefix, now: number, random10: Uint8Array): string {
  if (!Number.isSafeInteger(now) || now < 0 || now > MAX_TIME) {
    throw new RangeError(`id time must be an integer from 0 to 2^48 - 1 ms, got ${now}`);
  }
  if (random10.length !== 10) {
    throw new RangeError(`an id needs exactly 10 random bytes, got ${random10.length}`);
  }
  let time = '';
  let rest = now;
  for (let i = 0; i < TIME_CHARS; i++) {
    time = ALPHABET.charAt(rest % 32) + time;
    rest = Math.floor(rest / 32);
  }
  // 80 bits = 16 groups of 5 bits, read big-endian.
  let bits = 0n;
  for (const byte of random10) bits = (bits << 8n) | BigInt(byte);
  let random = '';
  for (let i = 0; i < RANDOM_CHARS; i++) {
    random = ALPHABET.charAt(Number(bits & 31n)) + random;
    bits >>= 5n;
  }
  return `${prefix}_${time}${random}`;
}

/** One id body: 26 Crockford base32 characters whose first is 0-7 (48 bits of time fit, or 128 bits of a digest). */
const BODY = `[0-7][${ALPHABET}]{25}`;
const ID_PATTERNS: Record<IdPrefix, RegExp> = {
  ep: new RegExp(`^ep_${BODY}$`),
  evt: new RegExp(`^evt_${BODY}$`),
  msg: new RegExp(`^msg_${BODY}$`),
  key: new RegExp(`^key_${BODY}$`),
  ps: new RegExp(`^ps_${BODY}$`),
  // A delivery names its event's storage key and its endpoint: `dlv_<k><endpoint id body>`.
  dlv: new RegExp(`^dlv_(${BODY})(${BODY})$`),
};

/** Whether `id` is a well-formed id of the given kind (for path parameters). */
export function isId(prefix: IdPrefix, id: string): boolean {
  return typeof id === 'string' && ID_PATTERNS[prefix].test(id);
}

/** The creation time (epoch ms) encoded in an `ep`, `evt` or `msg` id, or `undefined` when it is not one. */
export function idTime(id: string): number | undefined {
  const match = /^(?:ep|evt|msg)_([0-7][0-9A-HJKMNP-TV-Z]{9})[0-9A-HJKMNP-TV-Z]{16}$/.exec(id);
  if (match === null) return undefined;
  let time = 0;
  for (const char of match[1] ?? '') time = time * 32 + ALPHABET.indexOf(char);
  return time;
}

/** The 26-character body of a well-formed `ep`, `evt` or `msg` id (what follows the prefix). */
export function idBody(id: string): string {
  return id.slice(id.indexOf('_') + 1);
}

/**
 * An event's storage key from a 16-byte digest (see use-cases/api/event-key.ts): 128 bits as 26 Crockford base32
 * characters, the first carrying 3 bits, so the key is shaped like a ULID and `evt_<key>` is a well-formed id.
 */
export function storageKeyFromDigest(digest16: Uint8Array): string {
  if (digest16.length !== 16) throw new RangeError(`a storage key needs exactly 16 digest bytes, got ${digest16.length}`);
  let bits = 0n;
  for (const byte of digest16) bits = (bits << 8n) | BigInt(byte);
  let out = '';
  for (let i = 0; i < 25; i++) {
    out = ALPHABET.charAt(Number(bits & 31n)) + out;
    bits >>= 5n;
  }
  return ALPHABET.charAt(Number(bits & 7n)) + out;
}

/**
 * The id of the delivery of the event stored under `eventKey` to `endpointId`: `dlv_<eventKey><endpoint body>`.
 * Deterministic, and it locates the delivery without an index: the event (`EVT#<eventKey>`), the endpoint and the
 * shard all follow from it.
 */
export function deliveryId(eventKey: string, endpointId: string): string {
  return `dlv_${eventKey}${idBody(endpointId)}`;
}

/** The event storage key and the endpoint id a delivery id names, or undefined when it is not a delivery id. */
export function parseDeliveryId(id: string): { readonly eventKey: string; readonly endpointId: string } | undefined {
  const match = ID_PATTERNS.dlv.exec(id);
  if (match === null) return undefined;
  return { eventKey: match[1] as string, endpointId: `ep_${match[2] as string}` };
}

/**
 * Which of `shards` partitions a storage key lives in: its last character (random in a ULID, a digest in a
 * derived key), so keys spread evenly.
 */
export function keyShard(eventKey: string, shards: number): number {
  return ALPHABET.indexOf(eventKey.charAt(eventKey.length - 1)) % shards;
}
