/**
 * Local stand-in for the alert e-mail: the SNS alert topic is subscribed by a queue (see provision.ts); this prints
 * every message that arrives on it, so a person sees what would have been e-mailed.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface AlertPrinter {
  stop(): Promise<void>;
}

/** Formats an SNS notification (as delivered to an SQS subscriber) for the console. */
export function formatAlert(body: string): string {
  let subject = '(no subject)';
  let message = body;
  try {
    const n = JSON.parse(body) as { Subject?: string; Message?: string };
    subject = n.Subject ?? subject;
    message = n.Message ?? body;
  } catch {
    // not an SNS envelope: print as is
  }
  const rule = '─'.repeat(72);
  return `\n${rule}\nALERT (would be e-mailed): ${subject}\n${message}\n${rule}`;
}

export function startAlertPrinter(sqs: SQSClient, inboxUrl: string, print: (text: string) => void = console.log): AlertPrinter {
  let running = true;
  const abort = new AbortController();
  const loop = (async () => {
    while (running) {
      try {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: inboxUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }), {
          abortSignal: abort.signal,
        });
        for (const m of out.Messages ?? []) {
          print(formatAlert(m.Body ?? ''));
          await sqs.send(new DeleteMessageCommand({ QueueUrl: inboxUrl, ReceiptHandle: m.ReceiptHandle! }));
        }
      } catch {
        if (running) await new Promise((r) => setTimeout(r, 500));
      }
    }
  })();
  return {
    async stop() {
      running = false;
      abort.abort();
      await loop;
    },
  };
}
