/**
 * Local mode's SQS poller counts hops as Lambda's recursive loop detection does, so a chain SQS → function →
 * same queue behaves as in AWS: stopped at the 17th invocation under Lambda's default (`Terminate`), carried on
 * under `Allow`, which is what the deliver function is deployed with (lib/spec.ts, asserted by the template test).
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DELIVER_RECURSIVE_LOOP, LAMBDA_RECURSION_HOPS } from '../../../lib/spec';
import { LambdaLineage } from '../../../local/lambda-lineage';
import { SqsEventSourcePoller } from '../../../local/sqs-poller';
import { startTestEnvironment, type TestEnvironment } from '../../support/emulators';

describe('SQS poller: Lambda recursive loop detection', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await startTestEnvironment();
  });
  afterAll(async () => {
    await env?.stop();
  });
  beforeEach(async () => {
    await env.purgeQueues();
  });

  /**
   * A function that, like the deliver worker's retries, sends the next step of its work back to the queue that
   * invokes it, up to `steps`; returns the steps it was invoked for and the trace headers it saw.
   */
  async function runChain(recursiveLoop: 'Allow' | 'Terminate', steps: number) {
    const lineage = new LambdaLineage();
    lineage.track(env.clients.sqs);
    const invoked: number[] = [];
    const traces: (string | undefined)[] = [];
    const poller = new SqsEventSourcePoller({
      sqs: env.clients.sqs,
      queueUrl: env.resources.deliveryQueueUrl,
      queueArn: env.resources.deliveryQueueArn,
      lineage,
      recursiveLoop,
      handler: async (event: SQSEvent) => {
        for (const record of event.Records) {
          const { n } = JSON.parse(record.body) as { n: number };
          invoked.push(n);
          traces.push(record.attributes.AWSTraceHeader);
          if (n + 1 < steps) {
            await env.clients.sqs.send(new SendMessageCommand({ QueueUrl: env.resources.deliveryQueueUrl, MessageBody: JSON.stringify({ n: n + 1 }) }));
          }
        }
      },
    });
    // The first message comes from outside any invocation (the API, a sweep): a new lineage.
    await env.clients.sqs.send(new SendMessageCommand({ QueueUrl: env.resources.deliveryQueueUrl, MessageBody: JSON.stringify({ n: 0 }) }));
    for (let idle = 0; idle < 3 && invoked.length < steps && poller.stats.recursionStopped === 0; ) {
      idle = (await poller.pollOnce(1)) === 0 ? idle + 1 : 0;
    }
    return { invoked, traces, stats: poller.stats };
  }

  it('GIVEN RecursiveLoop Terminate (Lambda default) WHEN the chain goes on THEN the 17th invocation never happens', async () => {
    const { invoked, traces, stats } = await runChain('Terminate', 30);
    expect(invoked).toEqual(Array.from({ length: LAMBDA_RECURSION_HOPS }, (_, i) => i));
    expect(stats.recursionStopped).toBe(1);
    expect(traces[0]).toBeUndefined();
    expect(traces[1]).toMatch(/;Lineage=00000000:1$/);
    expect(traces[15]).toMatch(/;Lineage=00000000:15$/);
  });

  it('GIVEN RecursiveLoop Allow WHEN the chain goes on THEN every step runs', async () => {
    const { invoked, stats } = await runChain('Allow', 25);
    expect(invoked).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(stats.recursionStopped).toBe(0);
  });

  it('the deliver function is deployed (and run locally) with Allow: a delivery retried more than 16 times is not stopped', () => {
    expect(DELIVER_RECURSIVE_LOOP).toBe('Allow');
  });
});
