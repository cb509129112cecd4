import { Webhook } from 'standardwebhooks';
import { describe, expect, it, vi } from 'vitest';
import { buildBody, buildEnvelope, isoMicroseconds } from '../../../lambdas/core/envelope';
import { generateSecret, webhookHeaders } from '../../../lambdas/core/signing';

const createdAt = Date.UTC(2024, 4, 17, 9, 30, 15, 123);

describe('buildEnvelope', () => {
  it('renders id, type, ISO timestamp of acceptance, tenant and data, in that order', () => {
    expect(
      buildEnvelope({ id: 'evt_1', type: 'dir_sync.user.update.success', tenant: 'acme', data: { user: { id: 'u_1' } }, createdAt }),
    ).toBe(
      '{"id":"evt_1","type":"dir_sync.user.update.success","timestamp":"2024-05-17T09:30:15.123Z","tenant":"acme","data":{"user":{"id":"u_1"}}}',
    );
  });

  it('sends "tenant": null when the event has none: the same keys in every body', () => {
    expect(buildEnvelope({ id: 'evt_2', type: 't', tenant: '', data: [1, 2], createdAt: 0 })).toBe(
      '{"id":"evt_2","type":"t","timestamp":"1970-01-01T00:00:00.000Z","tenant":null,"data":[1,2]}',
    );
  });

  it.each([
    [null, 'null'],
    [undefined, 'null'],
    ['text', '"text"'],
    [0, '0'],
    [false, 'false'],
    [{ 'quote"': 'é\n🚀' }, '{"quote\\"":"é\\n🚀"}'],
  ])('keeps data %o as %s', (data, json) => {
    expect(buildEnvelope({ id: 'evt_3', type: 't', tenant: '', data, createdAt: 0 })).toBe(
      `{"id":"evt_3","type":"t","timestamp":"1970-01-01T00:00:00.000Z","tenant":null,"data":${json}}`,
    );
  });

  it('is the same string on every call (every retry signs and sends the same body)', () => {
    const event = { id: 'evt_4', type: 'x.y', tenant: 't', data: { b: 2, a: 1 }, createdAt };
    expect(buildEnvelope(event)).toBe(buildEnvelope({ ...event }));
    expect(JSON.parse(buildEnvelope(event))).toEqual({ id: 'evt_4', type: 'x.y', timestamp: '2024-05-17T09:30:15.123Z', tenant: 't', data: { b: 2, a: 1 } });
  });
});

/**
 * Cryptr's "Example of received event" (Cryptr's set-up page), as far as its shape goes: the top-level keys in
 * the document's order and the type of each value. `issued_at` has microseconds (`2023-06-13T09:03:18.750478Z`
 * in Cryptr's listing of sent events).
 */
const CRYPTR_EXAMPLE = {
  __domain__: '3-belges',
  __environment__: 'sandbox',
  __type__: 'Event',
  code: 'dir_sync.user.update.success',
  data: {
    __type__: 'DirectorySyncEvent',
    change: 'update',
    directory_sync_id: '2cbd4ad8-1f3c-4ea0-84b6-691d4d469e57',
    provider: 'okta',
  },
  errors: [],
  params: {},
  issued_at: '2023-06-13T09:03:18.750000Z',
  webhook_id: 'ep_01H2XKQ0000000000000000000',
};

describe('buildBody: payload formats', () => {
  const event = {
    id: 'evt_9',
    type: CRYPTR_EXAMPLE.code,
    tenant: CRYPTR_EXAMPLE.__domain__,
    data: CRYPTR_EXAMPLE.data,
    createdAt: Date.parse('2023-06-13T09:03:18.750Z'),
  };
  const context = { environment: 'sandbox', endpointId: CRYPTR_EXAMPLE.webhook_id };

  it('cryptr: the document example field by field, keys in the document order', () => {
    const body = buildBody(event, { ...context, format: 'cryptr' });
    const parsed = JSON.parse(body) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual([
      '__domain__',
      '__environment__',
      '__type__',
      'code',
      'data',
      'errors',
      'params',
      'issued_at',
      'webhook_id',
    ]);
    for (const [key, value] of Object.entries(CRYPTR_EXAMPLE)) expect([key, parsed[key]]).toEqual([key, value]);
    expect(parsed.issued_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
  });

  it('cryptr: published params and errors are carried, an event without a tenant has a null domain', () => {
    const parsed = JSON.parse(
      buildBody({ ...event, tenant: '', params: { page: 2 }, errors: [{ code: 'scim_conflict' }] }, { ...context, format: 'cryptr' }),
    ) as Record<string, unknown>;
    expect(parsed).toMatchObject({ __domain__: null, params: { page: 2 }, errors: [{ code: 'scim_conflict' }] });
  });

  it('data: the data alone; standard: the envelope', () => {
    expect(buildBody(event, { ...context, format: 'data' })).toBe(JSON.stringify(CRYPTR_EXAMPLE.data));
    expect(buildBody({ ...event, data: undefined }, { ...context, format: 'data' })).toBe('null');
    expect(buildBody(event, { ...context, format: 'standard' })).toBe(buildEnvelope(event));
  });

  it.each(['standard', 'cryptr', 'data'] as const)('%s: signed over the exact bytes, verified by the standardwebhooks library', (format) => {
    const body = buildBody(event, { ...context, format });
    const secret = generateSecret(new Uint8Array(32).fill(7));
    const now = Date.parse('2023-06-13T09:03:20Z');
    const headers = webhookHeaders({ id: event.id, timestampSeconds: Math.floor(now / 1000), body, secrets: [secret] });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(now);
    try {
      expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
      expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
    } finally {
      vi.useRealTimers();
    }
  });

  it('isoMicroseconds pads milliseconds to six digits', () => {
    expect(isoMicroseconds(Date.UTC(2024, 0, 2, 3, 4, 5, 67))).toBe('2024-01-02T03:04:05.067000Z');
  });
});
