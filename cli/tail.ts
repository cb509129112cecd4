/**
 * `herald tail`: follows new delivery attempts live, by polling. Each round lists the endpoints (or the ones
 * named), the newest deliveries of each, and reads the attempts of every delivery whose attempt count grew;
 * attempts that existed when tail started are not printed.
 */
import type { AttemptBody, DeliveryBody, HeraldClient } from '../client/index';
import type { Output } from './output';

export interface TailOptions {
  readonly endpointIds?: readonly string[];
  readonly intervalMs: number;
  readonly json: boolean;
  /** Stops the loop (Ctrl-C in the CLI). */
  readonly signal: AbortSignal;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Deliveries read per endpoint and round (newest first). @default 50 */
  readonly perEndpoint?: number;
}

/** One printed line per attempt: time, delivery, endpoint, type, attempt number, result, latency, what next. */
export function attemptLine(delivery: DeliveryBody, attempt: AttemptBody): string {
  const next = attempt.next;
  const then =
    next.kind === 'retry' ? `retry at ${next.at} (${next.basis})` : next.kind === 'dead' ? `dead: ${next.detail}` : next.kind === 'canceled' ? 'canceled' : 'delivered';
  return [attempt.startedAt ?? '-', delivery.id, delivery.endpointId, delivery.eventType, `#${attempt.number}`, String(attempt.statusCode ?? attempt.outcome), `${attempt.latencyMs}ms`, then].join('  ');
}

async function endpointIds(client: HeraldClient, named: readonly string[] | undefined): Promise<string[]> {
  if (named !== undefined && named.length > 0) return [...named];
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listEndpoints({ limit: 100, ...(cursor === undefined ? {} : { cursor }) });
    ids.push(...page.data.map((e) => e.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && ids.length < 1000);
  return ids;
}

/** Runs until the signal aborts. Returns how many attempts it printed. */
export async function tail(client: HeraldClient, output: Output, options: TailOptions): Promise<number> {
  const seen = new Map<string, number>();
  let first = true;
  let printed = 0;
  if (!options.json) output.err('following new attempts (Ctrl-C to stop)');
  while (!options.signal.aborted) {
    for (const endpointId of await endpointIds(client, options.endpointIds)) {
      const page = await client.listEndpointDeliveries(endpointId, { limit: options.perEndpoint ?? 50 });
      for (const delivery of page.data) {
        const before = seen.get(delivery.id) ?? 0;
        seen.set(delivery.id, Math.max(before, delivery.attemptCount));
        if (first || delivery.attemptCount <= before) continue;
        const full = await client.getDelivery(delivery.id);
        for (const attempt of (full.attempts ?? []).filter((a) => a.number > before).sort((a, b) => a.number - b.number)) {
          output.out(options.json ? JSON.stringify({ delivery: { ...full, attempts: undefined }, attempt }) : attemptLine(full, attempt));
          printed++;
        }
      }
    }
    first = false;
    await options.sleep(options.intervalMs, options.signal);
  }
  return printed;
}
