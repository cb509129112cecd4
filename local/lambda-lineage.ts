/**
 * Lambda's recursive loop detection, modelled for local mode's SQS poller.
 *
 * In AWS, the trace header of an invocation carries a lineage count. A message a function sends
 * while it runs (through a supported AWS SDK) carries the count one higher, in its `AWSTraceHeader`
 * system attribute; when the function is invoked with a message whose count has reached about 16,
 * and its `RecursiveLoop` setting is `Terminate` (the default), Lambda does not invoke it: the chain
 * SQS → function → same queue is stopped. Services that are not Lambda functions (the API, the
 * Scheduler) start a new lineage.
 *
 * fauxqs does not keep trace headers, so the count travels beside the queue: an SDK middleware on
 * the SQS client notes, for each message sent during an invocation, the invocation's count + 1,
 * under the message id SQS returns; the poller reads it back when it receives the message.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { SQSClient } from '@aws-sdk/client-sqs';

/** Message ids remembered at most; past it the oldest are forgotten (their count is then taken as 0). */
const MAX_TRACKED = 100_000;

export class LambdaLineage {
  private readonly invocation = new AsyncLocalStorage<number>();
  private readonly counts = new Map<string, number>();

  /**
   * Runs `fn` as an invocation triggered by messages of lineage count `hops`: what it sends carries
   * `hops + 1`.
   */
  invoke<T>(hops: number, fn: () => Promise<T>): Promise<T> {
    return this.invocation.run(hops + 1, fn);
  }

  /** The lineage count of a received message: 0 for one sent outside any invocation. */
  hopsOf(messageId: string): number {
    return this.counts.get(messageId) ?? 0;
  }

  /** Forgets a message (deleted from its queue). */
  forget(messageId: string): void {
    this.counts.delete(messageId);
  }

  /** Adds the middleware that notes the count of every message `client` sends inside an invocation. */
  track(client: SQSClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const hops = this.invocation.getStore();
        if (hops === undefined) return result;
        const output = result.output as { MessageId?: string; Successful?: { MessageId?: string }[] };
        if (context.commandName === 'SendMessageCommand' && output.MessageId !== undefined) this.note(output.MessageId, hops);
        if (context.commandName === 'SendMessageBatchCommand') {
          for (const entry of output.Successful ?? []) if (entry.MessageId !== undefined) this.note(entry.MessageId, hops);
        }
        return result;
      },
      { step: 'initialize', name: 'heraldLambdaLineage', override: true },
    );
  }

  private note(messageId: string, hops: number): void {
    if (this.counts.size >= MAX_TRACKED) {
      const oldest = this.counts.keys().next();
      if (oldest.done !== true) this.counts.delete(oldest.value);
    }
    this.counts.set(messageId, hops);
  }
}

/**
 * The `AWSTraceHeader` attribute Lambda shows a record of lineage count `hops` with (none for a
 * message that started a lineage).
 */
export function traceHeader(hops: number, messageId: string): string | undefined {
  if (hops === 0) return undefined;
  return `Root=1-00000000-${messageId.replace(/-/g, '').slice(0, 24).padEnd(24, '0')};Sampled=0;Lineage=00000000:${hops}`;
}
