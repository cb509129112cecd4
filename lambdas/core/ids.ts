/**
 * Resource ids: `<prefix>_` + a 26-character ULID (48-bit millisecond time + 80 random bits,
 * Crockford base32), so ids sort by creation time as strings and in DynamoDB sort keys.
 */

export type IdPrefix = 'ep' | 'evt' | 'dlv' | 'msg' | 'key';

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
export function makeId(prefix: IdPrefix, now: number, random10: Uint8Array): string {
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

/** Whether `id` is a well-formed id of the given kind (for path parameters). */
export function isId(prefix: IdPrefix, id: string): boolean {
  return typeof id === 'string' && new RegExp(`^${prefix}_[0-7][${ALPHABET}]{25}$`).test(id);
}

/** The creation time (epoch ms) encoded in an id, or `undefined` when it is not a well-formed id. */
export function idTime(id: string): number | undefined {
  const match = /^(?:ep|evt|dlv|msg)_([0-7][0-9A-HJKMNP-TV-Z]{9})[0-9A-HJKMNP-TV-Z]{16}$/.exec(id);
  if (match === null) return undefined;
  let time = 0;
  for (const char of match[1] ?? '') time = time * 32 + ALPHABET.indexOf(char);
  return time;
}
