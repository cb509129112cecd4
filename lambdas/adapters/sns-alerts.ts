import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Alerts } from '../ports';

/** SNS limits a subject to 100 printable ASCII characters on one line. */
export const MAX_SUBJECT_LENGTH = 100;

/**
 * Makes a subject SNS accepts: other characters become `?`, runs of whitespace one space, and a
 * subject that is too long is cut with an ellipsis (the full text is in the message).
 */
export function snsSubject(subject: string): string {
  const clean = subject
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  if (clean.length === 0) return 'Herald alert';
  return clean.length <= MAX_SUBJECT_LENGTH ? clean : `${clean.slice(0, MAX_SUBJECT_LENGTH - 3)}...`;
}

/** The alert topic on SNS: e-mailed to the operator in AWS, printed by local mode. */
export class SnsAlerts implements Alerts {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(subject: string, message: string): Promise<void> {
    await this.sns.send(new PublishCommand({ TopicArn: this.topicArn, Subject: snsSubject(subject), Message: message }));
  }
}
