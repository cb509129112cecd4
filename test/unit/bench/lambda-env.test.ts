/** The benchmarks configure their handlers as the stack does (bench/support/lambda-env.ts). */
import { describe, expect, it } from 'vitest';
import { parseApiConfig } from '../../../lambdas/api/config';
import { parseDeliverConfig } from '../../../lambdas/deliver/config';
import { parseSweepConfig } from '../../../lambdas/sweep/config';
import { lambdaEnv } from '../../../bench/cold-start';
import { BENCH_DELIVER_ENV } from '../../../bench/delivery-overhead';

describe('benchmark environments', () => {
  it('cold-start gives every bundle what its config requires', () => {
    const env = lambdaEnv();
    expect(parseApiConfig(env).portalSecret).toEqual({ kind: 'secret', secretId: expect.stringContaining(':secret:herald-portal') });
    expect(parseDeliverConfig(env).deadLetterQueueArn).toBe('arn:aws:sqs:us-east-1:123456789012:herald-dead-letter');
    expect(() => parseSweepConfig(env)).not.toThrow();
  });

  it('delivery-overhead configures the deliver handler, pointed at no real queue', () => {
    const config = parseDeliverConfig(BENCH_DELIVER_ENV);
    expect(config.deliveryQueueUrl).toBe('http://127.0.0.1:1/000000000000/herald-delivery');
    expect(config.allowPrivateTargets).toBe(true);
  });
});
