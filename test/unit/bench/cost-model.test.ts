import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../../lambdas/core/policy';
import type { RetryPolicy } from '../../../lambdas/core/model';
import {
  alertsOncePerOutage,
  attributeSize,
  billedMs,
  costPerMillionDeliveries,
  expectedSchedulerRetries,
  gbSeconds,
  indexWriteUnits,
  itemSize,
  loadPrices,
  numberSize,
  readUnits,
  requestChunks,
  schedulerShare,
  tableWriteUnits,
  writeUnits,
  type CaseUsage,
  type Prices,
} from '../../../bench/support/cost-model';

describe('DynamoDB item sizes', () => {
  it.each([
    [123, 3],
    [1234567, 5],
    [100, 2],
    [0, 2],
    [-12.5, 3],
    [0.0012, 2],
    [1e21, 2],
    ['98765432109876543210', 11],
  ])('numberSize(%s) = %i', (value, size) => {
    expect(numberSize(value)).toBe(size);
  });

  it.each<[string, unknown, number]>([
    ['ascii string', 'DLV#abc', 7],
    ['multi-byte string', 'é', 2],
    ['boolean', true, 1],
    ['null', null, 1],
    ['binary', new Uint8Array(5), 5],
    ['string set', new Set(['ab', 'c']), 3],
    ['empty list', [], 3],
    ['list', [1, 'z'], 8],
    ['map with a nested list', { a: 'xy', b: [1, 'z'] }, 17],
    ['empty map', {}, 3],
  ])('attributeSize of %s', (_name, value, size) => {
    expect(attributeSize(value)).toBe(size);
  });

  it.each<[string, Record<string, unknown> | undefined, number]>([
    ['keys only', { pk: 'DLV#abc', sk: 'DLV' }, 14],
    ['a number', { n: 123 }, 4],
    ['a map', { m: { a: 'xy', b: [1, 'z'] } }, 18],
    ['undefined attributes are not stored', { u: undefined, a: 'x' }, 2],
    ['no item', undefined, 0],
  ])('itemSize: %s', (_name, item, size) => {
    expect(itemSize(item)).toBe(size);
  });
});

describe('capacity units', () => {
  it.each<[number, 'strong' | 'eventual', number]>([
    [0, 'strong', 1],
    [4096, 'strong', 1],
    [4097, 'strong', 2],
    [4097, 'eventual', 1],
    [100, 'eventual', 0.5],
    [12_288, 'eventual', 1.5],
  ])('readUnits(%i, %s) = %s', (bytes, consistency, units) => {
    expect(readUnits(bytes, consistency)).toBe(units);
  });

  it.each([
    [0, 1],
    [1024, 1],
    [1025, 2],
    [3000, 3],
  ])('writeUnits(%i) = %i', (bytes, units) => {
    expect(writeUnits(bytes)).toBe(units);
  });

  const big = (n: number) => 'x'.repeat(n);
  it.each<[string, Record<string, unknown> | undefined, Record<string, unknown> | undefined, number]>([
    ['a new small item', undefined, { pk: 'a', sk: 'b', v: big(500) }, 1],
    ['the larger of before and after counts', { pk: 'a', sk: 'b', v: big(2000) }, { pk: 'a', sk: 'b', v: big(10) }, 2],
    ['a failed conditional write of a missing item', undefined, undefined, 1],
  ])('tableWriteUnits: %s', (_name, before, after, units) => {
    expect(tableWriteUnits(before, after)).toBe(units);
  });

  const index = { partitionKey: 'gsi3pk', sortKey: 'gsi3sk' };
  const tableKeys = ['pk', 'sk'];
  const item = (extra: Record<string, unknown>) => ({ pk: 'DLV#1', sk: 'DLV', ...extra });
  const inIndex = (sk: string, extra: Record<string, unknown> = {}) => item({ gsi3pk: 'DUE#1', gsi3sk: sk, ...extra });
  it.each<[string, Record<string, unknown> | undefined, Record<string, unknown> | undefined, number, number]>([
    //                                                     before                      after                                  ALL KEYS_ONLY
    ['outside the index before and after', item({ a: 1 }), item({ a: 2 }), 0, 0],
    ['a new item entering the index', undefined, inIndex('t1'), 1, 1],
    ['an update that adds the index key', item({ a: 1 }), inIndex('t1', { a: 1 }), 1, 1],
    ['an update that removes the index key', inIndex('t1'), item({}), 1, 1],
    ['a changed index key: delete and put', inIndex('t1'), inIndex('t2'), 2, 2],
    ['a changed projected attribute only', inIndex('t1', { lease: 1 }), inIndex('t1', { lease: 2 }), 1, 0],
    ['nothing changed', inIndex('t1', { lease: 1 }), inIndex('t1', { lease: 1 }), 0, 0],
    ['a large item entering the index', undefined, inIndex('t1', { v: big(1500) }), 2, 1],
    ['a large item changing its index key', inIndex('t1', { v: big(1500) }), inIndex('t2', { v: big(2100) }), 5, 2],
  ])('indexWriteUnits: %s', (_name, before, after, all, keysOnly) => {
    expect(indexWriteUnits(before, after, index, tableKeys, 'ALL')).toBe(all);
    expect(indexWriteUnits(before, after, index, tableKeys, 'KEYS_ONLY')).toBe(keysOnly);
  });
});

describe('requests and Lambda', () => {
  it.each([
    [0, 1],
    [65_536, 1],
    [65_537, 2],
    [200_000, 4],
  ])('requestChunks(%i, 64 KB) = %i', (bytes, chunks) => {
    expect(requestChunks(bytes, 65_536)).toBe(chunks);
  });

  it.each([
    [0, 1],
    [0.2, 1],
    [12, 12],
    [12.01, 13],
  ])('billedMs(%s) = %i', (ms, billed) => {
    expect(billedMs(ms, 1)).toBe(billed);
  });

  it('gbSeconds counts 1 GB as 1024 MB', () => {
    expect(gbSeconds(1000, 512)).toBe(0.5);
    expect(gbSeconds(250, 1024)).toBe(0.25);
    expect(gbSeconds(0, 512)).toBe(0);
  });
});

describe('retries through the Scheduler', () => {
  it('the default policy with the default short delay: retries after the sixth can exceed 900 s', () => {
    // caps after attempts 1..14: 30 s doubling to 12 h; equal jitter: delay uniform in [cap/2, cap], so
    // P(delay > 900) = (cap - 900) / (cap / 2) for cap 960, and 1 once cap/2 > 900
    expect([1, 2, 3, 4, 5, 6, 7, 8, 14].map((a) => schedulerShare(a, DEFAULT_POLICY, 900))).toEqual([0, 0, 0, 0, 0, 0.125, 1, 1, 1]);
    expect(expectedSchedulerRetries(DEFAULT_POLICY, 900)).toBe(8.125);
  });

  it('a full-jitter policy: P(delay > short) = 1 - short/cap', () => {
    const full: RetryPolicy = { ...DEFAULT_POLICY, backoff: { baseSeconds: 30, maxDelaySeconds: 86_400, jitter: 'full' }, maxAttempts: 8 };
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => schedulerShare(a, full, 900))).toEqual([0, 0, 0, 0, 0, 0.0625, 0.53125]);
    expect(expectedSchedulerRetries(full, 60)).toBe(4.03125);
  });

  it.each([
    [0, 14],
    [60, 12],
    [900, 8.125],
    [2000, 8.125], // capped at the SQS maximum delay of 900 s
  ])('default policy, shortDelaySeconds %i: %s Scheduler retries expected', (short, expected) => {
    expect(expectedSchedulerRetries(DEFAULT_POLICY, short)).toBe(expected);
  });

  const policy = (overrides: Partial<RetryPolicy>): RetryPolicy => ({ ...DEFAULT_POLICY, ...overrides });
  it.each<[string, RetryPolicy, number]>([
    ['fixed delays: those above the short delay', policy({ delays: [300, 3600, 21_600], maxAttempts: 4 }), 2],
    ['equal jitter', policy({ backoff: { baseSeconds: 600, maxDelaySeconds: 86_400, jitter: 'equal' }, maxAttempts: 4 }), 1.5],
    ['no jitter', policy({ backoff: { baseSeconds: 600, maxDelaySeconds: 86_400, jitter: 'none' }, maxAttempts: 4 }), 2],
    ['a single attempt has no retry', policy({ maxAttempts: 1 }), 0],
  ])('%s', (_name, p, expected) => {
    expect(expectedSchedulerRetries(p, 900)).toBe(expected);
  });
});

describe('cost per million deliveries', () => {
  const prices: Prices = {
    region: 'us-east-1',
    currency: 'USD',
    recordedOn: '2026-01-01',
    lambda: { arm64GbSecond: 0.00001, requestsPerMillion: 0.2, billingGranularityMs: 1 },
    dynamodb: { onDemandWriteRequestUnitsPerMillion: 1, onDemandReadRequestUnitsPerMillion: 0.25 },
    sqs: { standardRequestsPerMillion: 0.4, requestChunkBytes: 65_536 },
    scheduler: { invocationsPerMillion: 1, apiCallsBilled: false },
    sns: { publishesPerMillion: 0.5, requestChunkBytes: 65_536, emailNotificationsPerHundredThousand: 2 },
    apiGateway: { httpApiRequestsPerMillion: 1, requestChunkBytes: 524_288 },
    cloudwatchLogs: { ingestionPerGb: 0.5 },
  };
  const usage: CaseUsage = {
    deliveries: 4,
    apiGatewayRequests: 4,
    lambdas: [
      { name: 'api', memoryMb: 512, invocations: 4, billedMs: 40 },
      { name: 'deliver', memoryMb: 512, invocations: 1, billedMs: 30 },
    ],
    dynamoReadUnits: 6,
    dynamoWriteUnits: 40,
    sqsRequests: 6,
    schedulerInvocations: 2,
    snsPublishes: 1,
    emailNotifications: 1,
    logBytes: 4096,
  };

  it('prices each line per delivery times a million', () => {
    const cost = costPerMillionDeliveries(usage, prices);
    const expected = {
      apiGateway: 1, // 1 request per delivery × $1/M
      lambdaRequests: 0.25, // 5 invocations / 4 × $0.2/M
      lambdaCompute: 0.0875, // (0.04 + 0.03) s × 0.5 GB / 4 × $0.00001 × 10^6
      dynamoReads: 0.375, // 6 / 4 × $0.25/M
      dynamoWrites: 10, // 40 / 4 × $1/M
      sqs: 0.6, // 6 / 4 × $0.4/M
      scheduler: 0.5, // 2 / 4 × $1/M
      sns: 5.125, // 1/4 × $0.5/M + 1/4 × $2/100k
      logs: 0.476837158203125, // 1 KiB per delivery × 10^6 / 2^30 × $0.5/GB
    };
    for (const [line, value] of Object.entries(expected)) {
      expect(cost[line as keyof typeof expected], line).toBeCloseTo(value, 12);
    }
    expect(cost.total).toBeCloseTo(18.414337158203125, 12);
  });

  it('prices an outage\'s alerts once per outage, everything else per delivery', () => {
    const outage = { ...usage, snsPublishes: 2, emailNotifications: 2 };
    const once = alertsOncePerOutage(outage, 1_000_000)!;
    const cost = costPerMillionDeliveries(once, prices);
    // 2 publishes and 2 e-mails for the whole million: $0.5 × 2 / 10^6 + $2 × 2 / 10^5.
    expect(cost.sns).toBeCloseTo(0.000001 + 0.00004, 12);
    const { sns: _a, total: _b, ...rest } = cost;
    const { sns: _c, total: _d, ...perDelivery } = costPerMillionDeliveries(outage, prices);
    expect(rest).toEqual(perDelivery);
  });

  it('keeps alerts per delivery when there are more than an outage makes', () => {
    expect(alertsOncePerOutage({ ...usage, snsPublishes: 5, emailNotifications: 5 }, 1_000_000)).toBeUndefined();
  });

  it('refuses a case without deliveries', () => {
    expect(() => costPerMillionDeliveries({ ...usage, deliveries: 0 }, prices)).toThrow('at least one delivery');
  });

  it('the repository price table has every price, positive, and its date', () => {
    const table = loadPrices();
    expect(table.region).toBe('us-east-1');
    expect(table.recordedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const numbers = [
      table.lambda.arm64GbSecond,
      table.lambda.requestsPerMillion,
      table.dynamodb.onDemandReadRequestUnitsPerMillion,
      table.dynamodb.onDemandWriteRequestUnitsPerMillion,
      table.sqs.standardRequestsPerMillion,
      table.scheduler.invocationsPerMillion,
      table.sns.publishesPerMillion,
      table.apiGateway.httpApiRequestsPerMillion,
      table.cloudwatchLogs.ingestionPerGb,
    ];
    for (const n of numbers) expect(n).toBeGreaterThan(0);
  });
});
