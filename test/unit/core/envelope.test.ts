import { describe, expect, it } from 'vitest';
import { buildEnvelope } from '../../../lambdas/core/envelope';

const createdAt = Date.UTC(2024, 4, 17, 9, 30, 15, 123);

describe('buildEnvelope', () => {
  it('renders id, type, ISO timestamp of acceptance, tenant and data, in that order', () => {
    expect(
      buildEnvelope({ id: 'evt_1', type: 'dir_sync.user.update.success', tenant: 'acme', data: { user: { id: 'u_1' } }, createdAt }),
    ).toBe(
      '{"id":"evt_1","type":"dir_sync.user.update.success","timestamp":"2024-05-17T09:30:15.123Z","tenant":"acme","data":{"user":{"id":"u_1"}}}',
    );
  });

  it('omits tenant when the event has none', () => {
    expect(buildEnvelope({ id: 'evt_2', type: 't', tenant: '', data: [1, 2], createdAt: 0 })).toBe(
      '{"id":"evt_2","type":"t","timestamp":"1970-01-01T00:00:00.000Z","data":[1,2]}',
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
      `{"id":"evt_3","type":"t","timestamp":"1970-01-01T00:00:00.000Z","data":${json}}`,
    );
  });

  it('is the same string on every call (every retry signs and sends the same body)', () => {
    const event = { id: 'evt_4', type: 'x.y', tenant: 't', data: { b: 2, a: 1 }, createdAt };
    expect(buildEnvelope(event)).toBe(buildEnvelope({ ...event }));
    expect(JSON.parse(buildEnvelope(event))).toEqual({ id: 'evt_4', type: 'x.y', timestamp: '2024-05-17T09:30:15.123Z', tenant: 't', data: { b: 2, a: 1 } });
  });
});
