import { describe, expect, it } from 'vitest';
import type { QueuedDelivery } from '../../../lambdas/ports';
import { holdEarly, notBeforeOf, secondsLeft } from '../../../lambdas/use-cases/deliver/hold-early';
import { jsonLogger } from '../../../lambdas/logger';
import { T0 } from './fakes';

const quiet = { ...jsonLogger, info: () => undefined, warn: () => undefined, error: () => undefined };

function deps(options: { failSend?: boolean } = {}) {
  const sent: QueuedDelivery[] = [];
  return {
    sent,
    deps: {
      clock: { now: () => T0 },
      log: quiet,
      queue: {
        send: async (messages: readonly QueuedDelivery[]) => {
          if (options.failSend) throw new Error('SQS unavailable');
          sent.push(...messages);
        },
      },
    },
  };
}

const rec = (messageId: string, body: unknown, groupId?: string) => ({
  messageId,
  body: JSON.stringify(body),
  ...(groupId === undefined ? {} : { attributes: { MessageGroupId: groupId } }),
});

describe('secondsLeft (a Retry-After means "not before")', () => {
  it.each([
    [T0, 0],
    [T0 - 5000, 0],
    [T0 + 1, 1],
    [T0 + 40_000, 40],
    [T0 + 40_001, 41],
    [T0 + 3_600_000, 900],
  ])('due at T0%+d ms → wait %i s', (notBefore, seconds) => {
    expect(secondsLeft(notBefore, T0)).toBe(seconds);
  });
});

describe('notBeforeOf', () => {
  it('reads the due time of a scheduled message and keeps every field', () => {
    expect(notBeforeOf('{"deliveryId":"d","attempt":3,"notBefore":1893456000000}')).toEqual({
      message: { deliveryId: 'd', attempt: 3, notBefore: 1893456000000 },
      notBefore: 1893456000000,
    });
  });
  it('ignores bodies without one, and malformed ones', () => {
    expect(notBeforeOf('{"deliveryId":"d","attempt":3}')).toBeUndefined();
    expect(notBeforeOf('{"deliveryId":"d","notBefore":12,')).toBeUndefined();
    expect(notBeforeOf('{"x":{"notBefore":12},"notBefore":"12"}')).toBeUndefined();
  });
});

describe('holdEarly', () => {
  it('GIVEN a message 40 s early THEN it is sent back unchanged with a 40 s timer and not processed', async () => {
    const { deps: d, sent } = deps();
    const early = rec('m1', { deliveryId: 'dlv_1', attempt: 2, notBefore: T0 + 40_000 }, 'ep_1');
    const due = rec('m2', { deliveryId: 'dlv_2', attempt: 2, notBefore: T0 - 1 });
    const plain = rec('m3', { deliveryId: 'dlv_3', attempt: 1 });
    const result = await holdEarly(d, [early, due, plain]);
    expect(result.due.map((r) => r.messageId)).toEqual(['m2', 'm3']);
    expect(result.failedMessageIds).toEqual([]);
    expect(sent).toEqual([{ message: { deliveryId: 'dlv_1', attempt: 2, notBefore: T0 + 40_000 }, groupId: 'ep_1', delaySeconds: 40 }]);
  });

  it('GIVEN an early message WHEN it cannot be sent back THEN it is reported failed, so SQS brings it back', async () => {
    const { deps: d } = deps({ failSend: true });
    const result = await holdEarly(d, [rec('m1', { deliveryId: 'dlv_1', attempt: 2, notBefore: T0 + 5000 })]);
    expect(result).toEqual({ due: [], failedMessageIds: ['m1'] });
  });
});
