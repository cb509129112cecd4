/**
 * Where each endpoint's rate limiter state lives (core/rate-limit.ts): one number, the theoretical arrival time, on
 * the endpoint item. Every worker container shares it, so the limit holds for the deployment, not per container.
 * The DynamoDB adapter implements it (lambdas/adapters/dynamo/rate-store.ts).
 */
import type { RateState } from '../core/rate-limit';

export interface RateStore {
  /** The endpoint's limiter state (strongly consistent); undefined when it has none yet. */
  load(endpointId: string): Promise<RateState | undefined>;
  /**
   * Saves `next` if the stored state is still `expected` (undefined: none stored). `conflict` when another worker
   * admitted sends meanwhile (or the endpoint is gone).
   */
  save(endpointId: string, expected: RateState | undefined, next: RateState): Promise<'saved' | 'conflict'>;
}
