import { describe, expect, it } from 'vitest';
import { deliveryId, makeId } from '../../../lambdas/core/ids';
import { carriedEvent, INLINE_EVENT_MAX_BYTES, inlineEvent } from '../../../lambdas/core/inline-event';
import type { HeraldEvent } from '../../../lambdas/core/model';

const zeros = new Uint8Array(10);
const ep1 = makeId('ep', 1_000, zeros);
const ep2 = makeId('ep', 2_000, zeros);
const ep3 = makeId('ep', 3_000, zeros);
const key = '7'.repeat(26);

const event: HeraldEvent = {
  id: 'evt_order-42',
  key,
  type: 'order.paid',
  tenant: 'acme',
  data: { order: 42, total: 1e20, note: 'é' },
  params: { source: 'api' },
  errors: [],
  createdAt: Date.UTC(2030, 0, 1),
  idempotencyKey: 'order-42',
  fingerprint: 'fp',
  fanOut: [{ endpointId: ep1 }, { endpointId: ep2 }, { endpointId: ep3, skipped: true }],
};

/** The copy as the worker parses it out of the message body. */
const throughQueue = (copy: HeraldEvent | undefined, endpointId: string) => carriedEvent(JSON.parse(JSON.stringify(copy)), deliveryId(key, endpointId));

describe('inlineEvent: what an intake message carries', () => {
  it('carries a keyed event with its fan-out reduced to the message\'s endpoint', () => {
    expect(inlineEvent(event, true, ep2)).toEqual({ ...event, fanOut: [{ endpointId: ep2 }] });
  });

  it('carries nothing for an unkeyed event (deleted again when its intake fails), a skipped endpoint or one not in the fan-out', () => {
    expect(inlineEvent(event, false, ep1)).toBeUndefined();
    expect(inlineEvent(event, true, ep3)).toBeUndefined();
    expect(inlineEvent(event, true, makeId('ep', 9_000, zeros))).toBeUndefined();
  });

  it('carries an event up to the size bound and not one byte over it', () => {
    const sized = (bytes: number): HeraldEvent => {
      const base = JSON.stringify({ ...event, data: '', fanOut: [{ endpointId: ep1 }] }).length;
      return { ...event, data: 'x'.repeat(bytes - base) };
    };
    expect(inlineEvent(sized(INLINE_EVENT_MAX_BYTES), true, ep1)).toBeDefined();
    expect(inlineEvent(sized(INLINE_EVENT_MAX_BYTES + 1), true, ep1)).toBeUndefined();
  });
});

describe('carriedEvent: what the worker takes from a message', () => {
  it('gives back the event as stored (numbers, unicode, params and errors included) through the JSON of a message', () => {
    expect(throughQueue(inlineEvent(event, true, ep1), ep1)).toEqual({ ...event, fanOut: [{ endpointId: ep1 }] });
  });

  it('ignores a copy that belongs to another event or another endpoint', () => {
    const copy = inlineEvent(event, true, ep1);
    expect(throughQueue(copy, ep2)).toBeUndefined();
    expect(carriedEvent(JSON.parse(JSON.stringify(copy)), deliveryId('6'.repeat(26), ep1))).toBeUndefined();
  });

  it('ignores a malformed copy', () => {
    const copy = JSON.parse(JSON.stringify(inlineEvent(event, true, ep1))) as Record<string, unknown>;
    const id = deliveryId(key, ep1);
    expect(carriedEvent(null, id)).toBeUndefined();
    expect(carriedEvent([copy], id)).toBeUndefined();
    expect(carriedEvent({ ...copy, createdAt: '2030-01-01' }, id)).toBeUndefined();
    expect(carriedEvent({ ...copy, type: 7 }, id)).toBeUndefined();
    expect(carriedEvent({ ...copy, params: [] }, id)).toBeUndefined();
    expect(carriedEvent({ ...copy, errors: {} }, id)).toBeUndefined();
    expect(carriedEvent({ ...copy, fanOut: [{ endpointId: ep1 }, { endpointId: ep2 }] }, id)).toBeUndefined();
    expect(carriedEvent({ ...copy, fanOut: [{ endpointId: ep1, skipped: true }] }, id)).toBeUndefined();
    const { data: _data, ...withoutData } = copy;
    expect(carriedEvent(withoutData, id)).toBeUndefined();
    expect(carriedEvent(copy, 'dlv_nonsense')).toBeUndefined();
  });
});
