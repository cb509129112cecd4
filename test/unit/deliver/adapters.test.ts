import { describe, expect, it } from 'vitest';
import { outcomeOfError } from '../../../lambdas/adapters/http-sender';
import { atExpression } from '../../../lambdas/adapters/scheduler';
import { snsSubject } from '../../../lambdas/adapters/sns-alerts';
import { ConfigError } from '../../../lambdas/config';
import { deliverSettings, parseDeliverConfig } from '../../../lambdas/deliver/config';
import { deadLetterAlert, displayUrl, summaryAlert } from '../../../lambdas/use-cases/deliver/alerts';

describe('outcomeOfError', () => {
  const withCode = (code: string) => Object.assign(new Error(code), { code });
  it.each([
    ['ETIMEDOUT', 'timeout'],
    ['ECONNREFUSED', 'connect_refused'],
    ['EHOSTUNREACH', 'connect_refused'],
    ['ENETUNREACH', 'connect_refused'],
    ['ECONNRESET', 'connect_reset'],
    ['EPIPE', 'connect_reset'],
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['CERT_HAS_EXPIRED', 'tls'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'tls'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
    ['EPROTO', 'tls'],
    ['HPE_INVALID_CONSTANT', 'invalid_response'],
    ['HPE_HEADER_OVERFLOW', 'invalid_response'],
    ['ESOMETHINGELSE', 'connect_reset'],
  ])('%s → %s', (code, kind) => {
    expect(outcomeOfError(withCode(code))).toEqual({ kind });
  });

  it('maps an error without a code to a reset connection', () => {
    expect(outcomeOfError(new Error('socket hang up'))).toEqual({ kind: 'connect_reset' });
    expect(outcomeOfError('weird')).toEqual({ kind: 'connect_reset' });
  });
});

describe('atExpression', () => {
  it.each([
    [Date.UTC(2030, 0, 15, 12, 0, 0), 'at(2030-01-15T12:00:00)'],
    [Date.UTC(2030, 0, 15, 12, 0, 0) + 1, 'at(2030-01-15T12:01:00)'],
    [Date.UTC(2030, 0, 15, 12, 0, 30), 'at(2030-01-15T12:01:00)'],
    [Date.UTC(2030, 0, 15, 12, 0, 59, 999), 'at(2030-01-15T12:01:00)'],
    [Date.UTC(2030, 11, 31, 23, 59, 59, 500), 'at(2031-01-01T00:00:00)'],
  ])('%i → %s (UTC, rounded up to the whole minute)', (at, expected) => {
    expect(atExpression(at)).toBe(expected);
  });

  it('GIVEN the Scheduler fires anywhere in the minute of the expression THEN it never fires before the time asked for', () => {
    for (let at = Date.UTC(2030, 0, 15, 12, 0, 0); at < Date.UTC(2030, 0, 15, 12, 3, 0); at += 997) {
      const m = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(atExpression(at))!;
      const minuteStart = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
      expect(m[6]).toBe('00');
      expect(minuteStart, new Date(at).toISOString()).toBeGreaterThanOrEqual(at);
      expect(minuteStart - at).toBeLessThan(60_000);
    }
  });
});

describe('snsSubject', () => {
  it('keeps a short ASCII subject', () => {
    expect(snsSubject('Herald: endpoint disabled (a.example.com)')).toBe('Herald: endpoint disabled (a.example.com)');
  });
  it('replaces non-ASCII characters and folds line breaks', () => {
    expect(snsSubject('Herald:\ndead for bücher.example')).toBe('Herald: dead for b?cher.example');
  });
  it('cuts at 100 characters', () => {
    const s = snsSubject(`Herald: ${'x'.repeat(200)}`);
    expect(s).toHaveLength(100);
    expect(s.endsWith('...')).toBe(true);
  });
  it('never sends an empty subject', () => {
    expect(snsSubject('  \n ')).toBe('Herald alert');
  });
});

describe('parseDeliverConfig', () => {
  const env = {
    HERALD_TABLE_NAME: 't',
    HERALD_DELIVERY_QUEUE_URL: 'https://sqs/q',
    HERALD_DELIVERY_QUEUE_ARN: 'arn:aws:sqs:eu-west-1:123456789012:q',
    HERALD_SLOW_DELIVERY_QUEUE_URL: 'https://sqs/q-slow',
    HERALD_SLOW_DELIVERY_QUEUE_ARN: 'arn:aws:sqs:eu-west-1:123456789012:q-slow',
    HERALD_DLQ_URL: 'https://sqs/dlq',
    HERALD_DLQ_ARN: 'arn:aws:sqs:eu-west-1:123456789012:dlq',
    HERALD_ALERT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:alerts',
    HERALD_TENANT_NOTICE_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:tenant-notices',
    HERALD_SCHEDULE_GROUP: 'herald',
    HERALD_SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/s',
  };

  it('reads the variables and applies the documented defaults', () => {
    const config = parseDeliverConfig(env);
    expect(config).toMatchObject({
      tableName: 't',
      deliveryQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:q',
      deadLetterQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:dlq',
      shortDelaySeconds: 900,
      disableAfterSeconds: 432_000,
      alertWindowSeconds: 300,
      allowPrivateTargets: false,
      breaker: { failureThreshold: 5, probeIntervalSeconds: 60 },
    });
    expect(deliverSettings(config)).toMatchObject({ maxTimeoutMs: 50_000, concurrency: 10, shortDelaySeconds: 900 });
  });

  it.each(['HERALD_DLQ_URL', 'HERALD_DLQ_ARN', 'HERALD_SCHEDULER_ROLE_ARN', 'HERALD_DELIVERY_QUEUE_ARN', 'HERALD_SLOW_DELIVERY_QUEUE_URL', 'HERALD_SLOW_DELIVERY_QUEUE_ARN'])('fails naming a missing %s', (name) => {
    expect(() => parseDeliverConfig({ ...env, [name]: undefined })).toThrow(new ConfigError(`missing required environment variable ${name}`));
  });

  it('accepts shortDelaySeconds 0 and refuses more than the SQS maximum', () => {
    expect(parseDeliverConfig({ ...env, HERALD_SHORT_DELAY_SECONDS: '0' }).shortDelaySeconds).toBe(0);
    expect(() => parseDeliverConfig({ ...env, HERALD_SHORT_DELAY_SECONDS: '901' })).toThrow(/HERALD_SHORT_DELAY_SECONDS/);
  });

  it('reads the breaker defaults and refuses values out of range, naming the variable', () => {
    expect(parseDeliverConfig({ ...env, HERALD_BREAKER_FAILURE_THRESHOLD: '3', HERALD_BREAKER_PROBE_SECONDS: '10' }).breaker).toEqual({
      failureThreshold: 3,
      probeIntervalSeconds: 10,
    });
    expect(() => parseDeliverConfig({ ...env, HERALD_BREAKER_FAILURE_THRESHOLD: '0' })).toThrow(/HERALD_BREAKER_FAILURE_THRESHOLD/);
    expect(() => parseDeliverConfig({ ...env, HERALD_BREAKER_PROBE_SECONDS: '1.5' })).toThrow(/HERALD_BREAKER_PROBE_SECONDS/);
  });

  it('fails at cold start on an invalid default retry policy', () => {
    expect(() => parseDeliverConfig({ ...env, HERALD_DEFAULT_RETRY_POLICY: '{"maxAttemps": 3}' })).toThrow(ConfigError);
    expect(() => parseDeliverConfig({ ...env, HERALD_DEFAULT_RETRY_POLICY: '{"maxAttemps": 3}' })).toThrow(/HERALD_DEFAULT_RETRY_POLICY/);
  });
});

describe('alert texts', () => {
  const record = {
    kind: 'delivery_dead' as const,
    deliveryId: 'dlv_9',
    eventId: 'evt_9',
    eventType: 'invoice.paid',
    tenant: 'acme',
    endpointId: 'ep_9',
    endpointUrl: 'https://user:pw@hooks.example.com:8443/in?sig=1#x',
    attempts: 8,
    lastOutcome: { kind: 'timeout' as const },
    reason: 'exhausted: 8 of 8 attempts made, last: timeout',
    deadAt: '2030-01-01T00:00:00.000Z',
  };

  it('displayUrl drops credentials, query and fragment', () => {
    expect(displayUrl(record.endpointUrl)).toBe('https://hooks.example.com:8443/in');
    expect(displayUrl('::')).toBe('(invalid URL)');
  });

  it('the first dead letter of a window says what happened and what to do', () => {
    const alert = deadLetterAlert(record, 300);
    expect(alert.subject).toBe('Herald: webhook delivery dead-lettered for hooks.example.com:8443');
    expect(alert.message.split('\n')).toEqual([
      'Herald gave up on a webhook delivery and put it on the dead-letter queue.',
      '',
      'Endpoint:     ep_9 https://hooks.example.com:8443/in',
      'Delivery:     dlv_9',
      'Event:        evt_9 (invoice.paid)',
      'Tenant:       acme',
      'Attempts:     8',
      'Last outcome: timeout',
      'Reason:       exhausted: 8 of 8 attempts made, last: timeout',
      'At:           2030-01-01T00:00:00.000Z',
      '',
      'Redeliver it with POST /v1/deliveries/dlv_9/retry, or every failed delivery of this endpoint with POST /v1/endpoints/ep_9/recover.',
      'Further dead letters of this endpoint in the next 5m are counted and reported in one summary, not one message each.',
    ]);
  });

  it('the summary gives the count, the window and the examples', () => {
    const alert = summaryAlert({
      endpointId: 'ep_9',
      endpointUrl: record.endpointUrl,
      windowStart: Date.UTC(2030, 0, 1),
      windowEnd: Date.UTC(2030, 0, 1, 0, 5),
      suppressed: 12,
      sampleDeliveryIds: ['dlv_a', 'dlv_b'],
    });
    expect(alert.subject).toBe('Herald: 12 more dead-lettered deliveries for hooks.example.com:8443');
    expect(alert.message).toContain('Window:   2030-01-01T00:00:00.000Z to 2030-01-01T00:05:00.000Z');
    expect(alert.message).toContain('Count:    12');
    expect(alert.message).toContain('Examples: dlv_a, dlv_b');
  });
});
