import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deliveryId, idTime, isId, keyShard, makeId, parseDeliveryId, storageKeyFromDigest } from '../../../lambdas/core/ids';

const zeros = new Uint8Array(10);
const ones = new Uint8Array(10).fill(0xff);

describe('makeId', () => {
  it('encodes time then randomness in Crockford base32, like a ULID', () => {
    // The ULID specification's example time 1469918176385 encodes as 01ARYZ6S41.
    expect(makeId('evt', 1_469_918_176_385, zeros)).toBe('evt_01ARYZ6S410000000000000000');
    expect(makeId('ep', 0, zeros)).toBe('ep_00000000000000000000000000');
    expect(makeId('msg', 2 ** 48 - 1, ones)).toBe('msg_7ZZZZZZZZZZZZZZZZZZZZZZZZZ');
    expect(makeId('msg', 0, Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]))).toBe('msg_00000000000000000000000001');
    expect(makeId('msg', 0, Uint8Array.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toBe('msg_0000000000G000000000000000');
  });

  it('has the right shape for every prefix', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('ep' as const, 'evt' as const, 'msg' as const),
        fc.integer({ min: 0, max: 2 ** 48 - 1 }),
        fc.uint8Array({ minLength: 10, maxLength: 10 }),
        (prefix, now, random) => {
          const id = makeId(prefix, now, random);
          expect(id).toMatch(new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`));
          expect(isId(prefix, id)).toBe(true);
          expect(idTime(id)).toBe(now);
        },
      ),
    );
  });

  it('sorts by time as plain strings, whatever the random bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 48 - 2 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.uint8Array({ minLength: 10, maxLength: 10 }),
        fc.uint8Array({ minLength: 10, maxLength: 10 }),
        (t, gap, r1, r2) => {
          const later = Math.min(2 ** 48 - 1, t + gap);
          expect(makeId('evt', t, r1) < makeId('evt', later, r2)).toBe(true);
        },
      ),
    );
    const ids = [5, 1_700_000_000_000, 1_700_000_000_001, 1_600_000_000_000].map((t) => makeId('msg', t, ones));
    expect([...ids].sort()).toEqual([ids[0], ids[3], ids[1], ids[2]]);
  });

  it.each([
    [-1, zeros],
    [2 ** 48, zeros],
    [1.5, zeros],
    [Number.NaN, zeros],
    [0, new Uint8Array(9)],
    [0, new Uint8Array(11)],
  ])('refuses time %d with %d random bytes', (now, random) => {
    expect(() => makeId('evt', now, random)).toThrowError(RangeError);
  });
});

describe('isId / idTime', () => {
  const id = makeId('evt', 1_700_000_000_000, ones);

  it.each([
    ['evt', id, true],
    ['dlv', id, false],
    ['evt', id.toLowerCase(), false],
    ['evt', `${id}0`, false],
    ['evt', id.slice(0, -1), false],
    ['evt', id.replace(/.$/, 'U'), false],
    ['evt', 'evt_80000000000000000000000000', false],
    ['evt', '', false],
  ] as const)('isId(%s, %s) → %s', (prefix, value, expected) => {
    expect(isId(prefix, value)).toBe(expected);
  });

  it('reads the time back, or undefined for something that is not an id', () => {
    expect(idTime(id)).toBe(1_700_000_000_000);
    expect(idTime('evt_nope')).toBeUndefined();
    expect(idTime('usr_00000000000000000000000000')).toBeUndefined();
  });
});

describe('storage keys and delivery ids', () => {
  it('encodes a 16-byte digest as an id body: 26 characters, the first 0-7', () => {
    expect(storageKeyFromDigest(new Uint8Array(16))).toBe('00000000000000000000000000');
    expect(storageKeyFromDigest(new Uint8Array(16).fill(0xff))).toBe('7ZZZZZZZZZZZZZZZZZZZZZZZZZ');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (digest) => {
        expect(isId('evt', `evt_${storageKeyFromDigest(digest)}`)).toBe(true);
      }),
    );
    expect(() => storageKeyFromDigest(new Uint8Array(15))).toThrowError(RangeError);
  });

  it('names the event key and the endpoint in a delivery id, and reads them back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.uint8Array({ minLength: 10, maxLength: 10 }), (digest, t, r) => {
        const key = storageKeyFromDigest(digest);
        const endpoint = makeId('ep', t, r);
        const id = deliveryId(key, endpoint);
        expect(id).toHaveLength(4 + 26 + 26);
        expect(isId('dlv', id)).toBe(true);
        expect(parseDeliveryId(id)).toEqual({ eventKey: key, endpointId: endpoint });
      }),
    );
    expect(parseDeliveryId('dlv_1')).toBeUndefined();
    expect(parseDeliveryId(makeId('evt', 0, zeros))).toBeUndefined();
  });

  it('spreads keys evenly over shards by their last character', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 32; i++) counts[keyShard(`0000000000000000000000000${'0123456789ABCDEFGHJKMNPQRSTVWXYZ'[i]}`, 8)]!++;
    expect(counts).toEqual(new Array<number>(8).fill(4));
  });
});
