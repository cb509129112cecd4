/**
 * Plays the Lambda SQS event source mapping in local mode: long-polls the queue, hands batches to the handler,
 * deletes what succeeded and leaves the rest to reappear after the visibility timeout (so the queue's redrive
 * policy sends poison messages to the dead-letter queue after maxReceiveCount receives), exactly like
 * `ReportBatchItemFailures` in AWS. A handler that throws, or answers with an invalid response, fails the whole batch.
 *
 * With a {@link LambdaLineage} it also counts hops as Lambda's recursive loop detection does: a record shows its
 * count in `AWSTraceHeader`, and under `recursiveLoop: 'Terminate'` a record that has been through the function
 * {@link LAMBDA_RECURSION_HOPS} times is not passed to it; it stays on the queue, and the redrive policy moves it to
 * the dead-letter queue after maxReceiveCount receives.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { LAMBDA_RECURSION_HOPS } from '../lib/spec';
import { lambdaContext } from './lambda-context';
import { traceHeader, type LambdaLineage } from './lambda-lineage';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly handler: SqsHandler;
  /** Records per invocation (AWS: BatchSize). */
  readonly batchSize?: number;
  /** Parallel pollers, like the mapping's concurrency. */
  readonly concurrency?: number;
  /** Long-poll wait per receive. */
  readonly waitTimeSeconds?: number;
  /** Function timeout given to the handler's context. */
  readonly timeoutMs?: number;
  readonly region?: string;
  /** Called with errors of the poller itself (the queue unreachable, ...). */
  readonly onError?: (error: unknown) => void;
  /** Counts hops (Lambda's recursive loop detection); without it every record counts as a first hop. */
  readonly lineage?: LambdaLineage;
  /** The function's RecursiveLoop setting. @default 'Terminate' (Lambda's default) */
  readonly recursiveLoop?: 'Allow' | 'Terminate';
  /** Called for a record Lambda's loop detection keeps from the function. */
  readonly onRecursionStopped?: (messageId: string, hops: number) => void;
}

export interface PollerStats {
  batches: number;
  received: number;
  deleted: number;
  failed: number;
  /** Records not passed to the function because they reached the recursion limit. */
  recursionStopped: number;
}

function toRecord(m: Message, queueArn: string, region: string, hops: number): SQSRecord {
  const attrs = m.Attributes ?? {};
  const trace = traceHeader(hops, m.MessageId!);
  return {
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attrs.ApproximateReceiveCount ?? '1',
      SentTimestamp: attrs.SentTimestamp ?? String(Date.now()),
      SenderId: attrs.SenderId ?? '000000000000',
      ApproximateFirstReceiveTimestamp: attrs.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attrs.MessageGroupId ? { MessageGroupId: attrs.MessageGroupId } : {}),
      ...(trace === undefined ? {} : { AWSTraceHeader: trace }),
    },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** Which message ids the response marks as failed; undefined when the response is invalid (whole batch fails). */
function failedIds(response: SQSBatchResponse | void, batch: readonly SQSRecord[]): Set<string> | undefined {
  if (response === undefined || response === null) return new Set();
  const failures = (response as SQSBatchResponse).batchItemFailures;
  if (failures === undefined) return new Set();
  if (!Array.isArray(failures)) return undefined;
  const ids = new Set<string>();
  const known = new Set(batch.map((r) => r.messageId));
  for (const f of failures) {
    if (!f || typeof f.itemIdentifier !== 'string' || !known.has(f.itemIdentifier)) return undefined;
    ids.add(f.itemIdentifier);
  }
  return ids;
}

export class SqsEventSourcePoller {
  readonly stats: PollerStats = { batches: 0, received: 0, deleted: 0, failed: 0, recursionStopped: 0 };
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly abort = new AbortController();

  constructor(private readonly options: PollerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const n = this.options.concurrency ?? 2;
    for (let i = 0; i < n; i++) this.loops.push(this.loop());
  }

  /** Stops polling; batches already handed to the handler finish (and are acknowledged) first. */
  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** Receives and processes one batch now; returns the number of records handled. For tests and drains. */
  async pollOnce(waitTimeSeconds = 0): Promise<number> {
    const { sqs, queueUrl } = this.options;
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, this.options.batchSize ?? 10),
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
      }),
      { abortSignal: this.abort.signal },
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) return 0;
    await this.process(messages);
    return messages.length;
  }

  private async process(messages: Message[]): Promise<void> {
    const { handler, queueArn, queueUrl, sqs, lineage } = this.options;
    const terminate = (this.options.recursiveLoop ?? 'Terminate') === 'Terminate';
    let hops = 0;
    const records: SQSRecord[] = [];
    for (const m of messages) {
      const count = lineage?.hopsOf(m.MessageId!) ?? 0;
      if (terminate && count >= LAMBDA_RECURSION_HOPS) {
        this.stats.recursionStopped++;
        this.options.onRecursionStopped?.(m.MessageId!, count);
        continue;
      }
      hops = Math.max(hops, count);
      records.push(toRecord(m, queueArn, this.options.region ?? 'us-east-1', count));
    }
    if (records.length === 0) return;
    this.stats.batches++;
    this.stats.received += records.length;
    let failed: Set<string> | undefined;
    try {
      const invoke = () => handler({ Records: records }, lambdaContext('herald-deliver', this.options.timeoutMs ?? 60_000));
      const response = await (lineage === undefined ? invoke() : lineage.invoke(hops, invoke));
      failed = failedIds(response, records);
    } catch (error) {
      console.error('deliver handler failed; the whole batch will be retried:', error instanceof Error ? error.message : error);
      failed = undefined;
    }
    const done = failed === undefined ? [] : records.filter((r) => !failed.has(r.messageId));
    this.stats.failed += records.length - done.length;
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
      this.stats.deleted += done.length;
      for (const r of done) lineage?.forget(r.messageId);
    }
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        await this.pollOnce(this.options.waitTimeSeconds ?? 1);
      } catch (error) {
        if (!this.running) break;
        this.options.onError?.(error);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}
