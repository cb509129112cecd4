import { describe, expect, it } from 'vitest';
import type { RateState } from '../../../lambdas/core/rate-limit';
import type { RateStore } from '../../../lambdas/ports/rate-store';
import { BatchRates } from '../../../lambdas/use-cases/deliver/rate-gate';

const T0 = Date.UTC(2030, 0, 1);

/** The endpoint item's `rateTat`, with the conditional write the DynamoDB adapter makes. */
class MemoryRates implements RateStore {
  state = new Map<string, RateState>();
  saves = 0;
  /** Saves to fail as if another container had written first (it moves the state on by `bump` ms). */
  conflicts = 0;
  async load(id: string) {
    return this.state.get(id);
  }
  async save(id: string, expected: RateState | undefined, next: RateState) {
    this.saves++;
    if (this.conflicts > 0) {
      this.conflicts--;
      this.state.set(id, { tat: (this.state.get(id)?.tat ?? T0) + 500 });
      return 'conflict' as const;
    }
    if (this.state.get(id)?.tat !== expected?.tat) return 'conflict' as const;
    this.state.set(id, next);
    return 'saved' as const;
  }
}

async function takeAll(rates: BatchRates, store: RateStore, n: number, limit: number, now: number) {
  for (let i = 0; i < n; i++) rates.expect('ep_1');
  const out = [];
  for (let i = 0; i < n; i++) out.push(await rates.take(store, 'ep_1', limit, now));
  return out;
}

describe('the rate gate: one shared admission per endpoint per batch', () => {
  it('admits the burst of an idle endpoint in one write; the rest wait, one interval apart', async () => {
    const store = new MemoryRates();
    const slots = await takeAll(new BatchRates(), store, 6, 2, T0);
    // 2/s with 500 ms of slack: 1 + 0.5 × 2 = 2 at once.
    expect(slots.slice(0, 2)).toEqual([{ kind: 'send' }, { kind: 'send' }]);
    expect(slots.slice(2)).toEqual([
      { kind: 'wait', at: T0 + 500 },
      { kind: 'wait', at: T0 + 1000 },
      { kind: 'wait', at: T0 + 1500 },
      { kind: 'wait', at: T0 + 2000 },
    ]);
    expect(store.saves).toBe(1);
    expect(store.state.get('ep_1')).toEqual({ tat: T0 + 1000 });
  });

  it('two batches (two containers) share the state: the second one at the same moment gets nothing', async () => {
    const store = new MemoryRates();
    await takeAll(new BatchRates(), store, 3, 2, T0);
    const second = await takeAll(new BatchRates(), store, 2, 2, T0);
    expect(second.every((s) => s.kind === 'wait')).toBe(true);
    // A second later the limiter has room for two again.
    const later = await takeAll(new BatchRates(), store, 2, 2, T0 + 1000);
    expect(later).toEqual([{ kind: 'send' }, { kind: 'send' }]);
  });

  it('a conflicting write (another container admitted sends) re-reads and tries again', async () => {
    const store = new MemoryRates();
    store.conflicts = 1;
    const slots = await takeAll(new BatchRates(), store, 1, 10, T0);
    expect(slots).toEqual([{ kind: 'send' }]);
    expect(store.saves).toBe(2);
  });

  it('an endpoint whose state keeps moving under it lets the batch wait rather than overspend', async () => {
    const store = new MemoryRates();
    store.conflicts = 10;
    const [slot] = await takeAll(new BatchRates(), store, 1, 10, T0);
    expect(slot!.kind).toBe('wait');
  });
});
