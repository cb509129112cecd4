/** The batch's park log writes and the log's rule on entries (lambdas/use-cases/deliver/park-log.ts). */
import { describe, expect, it } from 'vitest';
import type { ParkEntry } from '../../../lambdas/ports/circuit-store';
import { BatchParkLog, BatchParkTally, parkEntry, parkedAsLogged, settled } from '../../../lambdas/use-cases/deliver/park-log';
import { recoverAfterRestart } from '../../../lambdas/use-cases/restart-recovery';
import type { Delivery } from '../../../lambdas/core/model';
import type { QueuedDelivery } from '../../../lambdas/ports';

const entry = (id: string, attemptCount = 0): ParkEntry => ({ deliveryId: id, attemptCount, position: 1000 });

describe('BatchParkLog', () => {
  it('writes the parks asked for in the same turn as one item per endpoint', async () => {
    const writes: { endpointId: string; ids: string[] }[] = [];
    const circuits = { logParked: async (endpointId: string, entries: readonly ParkEntry[]) => void writes.push({ endpointId, ids: entries.map((e) => e.deliveryId) }) };
    const log = new BatchParkLog();
    await Promise.all([log.add(circuits, 'a', entry('1'), 0), log.add(circuits, 'b', entry('2'), 0), log.add(circuits, 'a', entry('3'), 0)]);
    expect(writes).toEqual([
      { endpointId: 'a', ids: ['1', '3'] },
      { endpointId: 'b', ids: ['2'] },
    ]);
    // A later park is a new item.
    await log.add(circuits, 'a', entry('4'), 0);
    expect(writes[2]).toEqual({ endpointId: 'a', ids: ['4'] });
  });

  it('fails every park of a write that failed, so none of them is parked', async () => {
    const circuits = { logParked: async () => Promise.reject(new Error('throttled')) };
    const log = new BatchParkLog();
    const results = await Promise.allSettled([log.add(circuits, 'a', entry('1'), 0), log.add(circuits, 'a', entry('2'), 0)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});

describe('BatchParkTally', () => {
  it('logs a batch\'s parks once per endpoint and reason, then starts over', () => {
    const lines: { message: string; fields: Record<string, unknown> }[] = [];
    const log = { info: (message: string, fields: Record<string, unknown> = {}) => void lines.push({ message, fields }), warn: () => {}, error: () => {} };
    const tally = new BatchParkTally();
    for (let i = 0; i < 9; i++) tally.note('a', 'circuit open', false);
    tally.note('a', 'circuit open', true);
    tally.note('a', 'another worker is probing', false);
    tally.note('b', 'circuit open', false);
    tally.log({ log });
    expect(lines).toEqual([
      { message: 'deliveries parked', fields: { endpointId: 'a', parked: 9, parkedAgain: 1, reason: 'circuit open' } },
      { message: 'deliveries parked', fields: { endpointId: 'a', parked: 1, reason: 'another worker is probing' } },
      { message: 'deliveries parked', fields: { endpointId: 'b', parked: 1, reason: 'circuit open' } },
    ]);
    tally.log({ log });
    expect(lines).toHaveLength(3);
  });
});

describe('the log rule', () => {
  it('places a gate park by its round, a park after an attempt at the back with the new count', () => {
    const d = { id: 'd', attemptCount: 2, roundStartedAt: 500 };
    expect(parkEntry(d)).toEqual({ deliveryId: 'd', attemptCount: 2, position: 500 });
    expect(parkEntry(d, { attemptCount: 3, now: 9000 })).toEqual({ deliveryId: 'd', attemptCount: 3, position: 9000 });
  });

  it('lets an entry go only when its delivery can no longer be parked with its count', () => {
    const e = entry('d', 1);
    expect(settled(e, { status: 'delivered', attemptCount: 2 }, true)).toBe(true);
    expect(settled(e, { status: 'parked', attemptCount: 2 }, true)).toBe(true);
    expect(settled(e, undefined, false)).toBe(true);
    // Being parked right now (the entry is written first), or waiting for a retry at the same count: it stays.
    expect(settled(e, { status: 'retrying', attemptCount: 1 }, true)).toBe(false);
    expect(settled(entry('d', 0), { status: 'pending', attemptCount: 0 }, false)).toBe(false);
    expect(parkedAsLogged(e, { status: 'parked', attemptCount: 1 }, true)).toBe(true);
    expect(parkedAsLogged(e, { status: 'parked', attemptCount: 2 }, true)).toBe(false);
  });
});

describe('restart recovery and parked deliveries', () => {
  it('sends a parked delivery back to the queue (its log entry may have gone with a lost release)', async () => {
    const parked = { id: 'dlv_x', endpointId: 'ep_1', status: 'parked', attemptCount: 1, updatedAt: 0 } as unknown as Delivery;
    const sent: QueuedDelivery[] = [];
    const result = await recoverAfterRestart({
      unfinished: async () => [parked],
      queue: { send: async (m) => void sent.push(...m) },
      clock: { now: () => 10_000 },
      shortDelaySeconds: 900,
    });
    expect(result.requeued).toBe(1);
    expect(sent).toEqual([{ message: { deliveryId: 'dlv_x', attempt: 2, redelivery: true }, groupId: 'ep_1' }]);
  });
});
