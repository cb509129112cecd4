import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  activeSecrets,
  generateSecret,
  secretKey,
  sign,
  signatureHeader,
  verifySignature,
  webhookHeaders,
} from '../../../lambdas/core/signing';

// The Standard Webhooks specification's test vector.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const T = 1_700_000_000;
const bytes = (fill: (i: number) => number, length = 32) => Uint8Array.from({ length }, (_, i) => fill(i));
const SECRET_A = generateSecret(bytes((i) => i));
const SECRET_B = generateSecret(bytes((i) => 255 - i));
const SECRET_C = generateSecret(bytes((i) => (i * 7) % 256));
const BODY = JSON.stringify({ id: 'evt_1', type: 'user.created', data: { name: 'Zoë 🚀', n: 1 } });

// The verifier checks the timestamp against its own clock; pin Date so the check is about signatures only.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T * 1000);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('generateSecret', () => {
  it('is whsec_ + base64 of the key bytes', () => {
    expect(SECRET_A).toBe('whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=');
    expect(secretKey(SECRET_A)).toEqual(Buffer.from(bytes((i) => i)));
  });

  it.each([24, 32, 64])('accepts %d bytes', (length) => {
    expect(secretKey(generateSecret(bytes(() => 1, length)))).toHaveLength(length);
  });

  it.each([0, 16, 23, 65])('refuses %d bytes', (length) => {
    expect(() => generateSecret(bytes(() => 1, length))).toThrowError(RangeError);
  });
});

describe('secretKey', () => {
  it.each(['', 'whsec_', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_not base64!', 'whsec_abc=d'])('refuses %o', (secret) => {
    expect(() => secretKey(secret)).toThrowError('a signing secret must be "whsec_" followed by base64');
  });
});

describe('signing: the specification test vector', () => {
  it('produces the published signature', () => {
    expect(sign(VECTOR.id, VECTOR.timestamp, VECTOR.body, VECTOR.secret)).toBe(VECTOR.signature);
    expect(signatureHeader(VECTOR.id, VECTOR.timestamp, VECTOR.body, [VECTOR.secret])).toBe(VECTOR.signature);
  });

  it('is accepted by the standardwebhooks verifier', () => {
    vi.setSystemTime(VECTOR.timestamp * 1000);
    const headers = webhookHeaders({ id: VECTOR.id, timestampSeconds: VECTOR.timestamp, body: VECTOR.body, secrets: [VECTOR.secret] });
    expect(headers).toEqual({
      'webhook-id': VECTOR.id,
      'webhook-timestamp': '1614265330',
      'webhook-signature': VECTOR.signature,
    });
    expect(new Webhook(VECTOR.secret).verify(VECTOR.body, headers)).toEqual({ test: 2432232314 });
  });
});

describe('signing: verified by the standardwebhooks library', () => {
  const headersFor = (secrets: string[], body = BODY) => webhookHeaders({ id: 'evt_01TEST', timestampSeconds: T, body, secrets });

  it('accepts a single-secret signature, with a UTF-8 body', () => {
    expect(new Webhook(SECRET_A).verify(BODY, headersFor([SECRET_A]))).toEqual(JSON.parse(BODY));
  });

  it('matches the library’s own signing', () => {
    expect(headersFor([SECRET_A])['webhook-signature']).toBe(new Webhook(SECRET_A).sign('evt_01TEST', new Date(T * 1000), BODY));
  });

  it('rotation: both secrets sign, and each one alone verifies', () => {
    const headers = headersFor([SECRET_B, SECRET_A]);
    const entries = headers['webhook-signature']?.split(' ') ?? [];
    expect(entries).toHaveLength(2);
    expect(entries.every((entry) => /^v1,[A-Za-z0-9+/]{43}=$/.test(entry))).toBe(true);
    expect(new Webhook(SECRET_A).verify(BODY, headers)).toEqual(JSON.parse(BODY));
    expect(new Webhook(SECRET_B).verify(BODY, headers)).toEqual(JSON.parse(BODY));
    expect(() => new Webhook(SECRET_C).verify(BODY, headers)).toThrowError('No matching signature found');
  });

  it('is rejected for a changed body, id or timestamp', () => {
    const headers = headersFor([SECRET_A]);
    expect(() => new Webhook(SECRET_A).verify(BODY.replace('1}', '2}'), headers)).toThrowError('No matching signature found');
    expect(() => new Webhook(SECRET_A).verify(BODY, { ...headers, 'webhook-id': 'evt_other' })).toThrowError(
      'No matching signature found',
    );
    expect(() => new Webhook(SECRET_A).verify(BODY, { ...headers, 'webhook-timestamp': String(T - 1) })).toThrowError(
      'No matching signature found',
    );
  });

  it('refuses to sign without a secret, or with a timestamp that is not whole seconds', () => {
    expect(() => signatureHeader('evt_1', T, BODY, [])).toThrowError('cannot sign a webhook without an active secret');
    expect(() => sign('evt_1', T + 0.5, BODY, SECRET_A)).toThrowError(RangeError);
    expect(() => sign('evt_1', -1, BODY, SECRET_A)).toThrowError(RangeError);
  });
});

describe('activeSecrets', () => {
  const now = T * 1000;
  it('orders newest first and drops expired secrets (expiresAt <= now)', () => {
    expect(
      activeSecrets(
        [
          { secret: 'whsec_old', createdAt: 1, expiresAt: now },
          { secret: 'whsec_rotated', createdAt: 2, expiresAt: now + 1 },
          { secret: 'whsec_new', createdAt: 3 },
          { secret: 'whsec_ancient', createdAt: 0, expiresAt: now - 86_400_000 },
        ],
        now,
      ),
    ).toEqual(['whsec_new', 'whsec_rotated']);
  });

  it('returns nothing when every secret expired', () => {
    expect(activeSecrets([{ secret: 'whsec_x', createdAt: 1, expiresAt: 5 }], 5)).toEqual([]);
    expect(activeSecrets([], now)).toEqual([]);
  });
});

describe('verifySignature (Herald’s own receiver-side check)', () => {
  const now = T * 1000;
  const headers = webhookHeaders({ id: 'evt_1', timestampSeconds: T, body: BODY, secrets: [SECRET_B, SECRET_A] });

  it.each([
    ['valid with the newer secret', headers, BODY, [SECRET_B], now, undefined],
    ['valid with the older secret', headers, BODY, [SECRET_A], now, undefined],
    ['valid with either of several', headers, BODY, [SECRET_C, SECRET_A], now, undefined],
    ['at the edge of the tolerance', headers, BODY, [SECRET_A], now + 300_000, undefined],
    ['past the tolerance', headers, BODY, [SECRET_A], now + 301_000, 'timestamp_out_of_tolerance'],
    ['ahead of the tolerance', headers, BODY, [SECRET_A], now - 301_000, 'timestamp_out_of_tolerance'],
    ['wrong secret', headers, BODY, [SECRET_C], now, 'no_matching_signature'],
    ['changed body', headers, `${BODY} `, [SECRET_A], now, 'no_matching_signature'],
    ['missing signature', { ...headers, 'webhook-signature': undefined }, BODY, [SECRET_A], now, 'missing_headers'],
    ['missing id', { ...headers, 'webhook-id': '' }, BODY, [SECRET_A], now, 'missing_headers'],
    ['non-numeric timestamp', { ...headers, 'webhook-timestamp': '12a' }, BODY, [SECRET_A], now, 'bad_timestamp'],
    ['unknown version only', { ...headers, 'webhook-signature': headers['webhook-signature']?.replaceAll('v1,', 'v2,') }, BODY, [SECRET_A], now, 'no_matching_signature'],
  ] as const)('%s', (_label, h, body, secrets, at, expected) => {
    expect(verifySignature({ headers: h, body, secrets, now: at })).toBe(expected);
  });

  it('accepts what the standardwebhooks library signs', () => {
    const signature = new Webhook(SECRET_C).sign('msg_1', new Date(T * 1000), BODY);
    expect(
      verifySignature({
        headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': String(T), 'webhook-signature': signature },
        body: BODY,
        secrets: [SECRET_C],
        now,
      }),
    ).toBeUndefined();
  });
});
