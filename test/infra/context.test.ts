import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ContextError, heraldStackName, parseHeraldContext, readHeraldContext } from '../../lib/context';

/** Context as `cdk deploy -c key=value` passes it: every value a string. */
const fromCli = (values: Record<string, string>) => parseHeraldContext((key) => values[key]);
/** Context as cdk.json passes it: JSON types. */
const fromJson = (values: Record<string, unknown>) => parseHeraldContext((key) => values[key]);

describe('deployment context', () => {
  it('GIVEN no context WHEN parsed THEN the documented defaults apply', () => {
    expect(fromCli({})).toEqual({
      alertEmail: undefined,
      allowPrivateTargets: false,
      retentionDays: 30,
      shortDelaySeconds: 900,
      defaultRetryPolicy: undefined,
      disableAfterDays: 5,
      breakerFailureThreshold: 5,
      breakerProbeSeconds: 60,
      environment: undefined,
      operationalWebhookUrl: undefined,
      workerConcurrency: 20,
      reserveWorkerConcurrency: true,
      platformLogs: false,
    });
  });

  it('GIVEN every key as -c strings WHEN parsed THEN each is converted to its type', () => {
    expect(
      fromCli({
        alertEmail: 'ops@example.com',
        allowPrivateTargets: 'true',
        retentionDays: '90',
        shortDelaySeconds: '0',
        defaultRetryPolicy: '{"maxAttempts":3,"delays":["30s","5m"]}',
        disableAfterDays: '2',
        breakerFailureThreshold: '3',
        breakerProbeSeconds: '300',
        environment: 'sandbox',
        operationalWebhookUrl: 'https://ops.example.com/herald',
        workerConcurrency: '100',
        reserveWorkerConcurrency: 'false',
        platformLogs: 'true',
      }),
    ).toEqual({
      alertEmail: 'ops@example.com',
      allowPrivateTargets: true,
      retentionDays: 90,
      shortDelaySeconds: 0,
      defaultRetryPolicy: { maxAttempts: 3, delays: ['30s', '5m'] },
      disableAfterDays: 2,
      breakerFailureThreshold: 3,
      breakerProbeSeconds: 300,
      environment: 'sandbox',
      operationalWebhookUrl: 'https://ops.example.com/herald',
      workerConcurrency: 100,
      reserveWorkerConcurrency: false,
      platformLogs: true,
    });
  });

  it('GIVEN cdk.json values with JSON types WHEN parsed THEN they are accepted as they are', () => {
    const parsed = fromJson({
      allowPrivateTargets: true,
      retentionDays: 7,
      shortDelaySeconds: 900,
      defaultRetryPolicy: { preset: 'default', maxAttempts: 5 },
    });
    expect(parsed.allowPrivateTargets).toBe(true);
    expect(parsed.retentionDays).toBe(7);
    expect(parsed.shortDelaySeconds).toBe(900);
    expect(parsed.defaultRetryPolicy).toEqual({ preset: 'default', maxAttempts: 5 });
  });

  it('GIVEN -c environment=<name> WHEN parsed THEN it names the stack Herald-<name>; without one the stack is Herald', () => {
    expect(heraldStackName(fromCli({ environment: 'sandbox' }))).toBe('Herald-sandbox');
    expect(heraldStackName(fromCli({ environment: 'production' }))).toBe('Herald-production');
    expect(heraldStackName(fromCli({}))).toBe('Herald');
  });

  it.each(['Sandbox', 'prod env', '-x', 'a'.repeat(33), '1abc'])('GIVEN -c environment=%s WHEN parsed THEN it fails naming the key', (name) => {
    expect(() => fromCli({ environment: name })).toThrow(/^context environment must be a lower-case letter/);
  });

  it('GIVEN -c alertEmail= (empty) WHEN parsed THEN it counts as not given', () => {
    expect(fromCli({ alertEmail: '', retentionDays: '' })).toMatchObject({ alertEmail: undefined, retentionDays: 30 });
  });

  it('GIVEN the range limits WHEN parsed THEN both ends are accepted', () => {
    // The shortest retention any policy allows: its shortest maximum age (60 s) plus the one-day margin.
    expect(fromCli({ retentionDays: '2', defaultRetryPolicy: '{"maxAgeSeconds": 60}' }).retentionDays).toBe(2);
    expect(() => fromCli({ retentionDays: '1', defaultRetryPolicy: '{"maxAgeSeconds": 60}' })).toThrowError(/at least 2 days/);
    expect(fromCli({ retentionDays: '3650' }).retentionDays).toBe(3650);
    expect(fromCli({ shortDelaySeconds: '900' }).shortDelaySeconds).toBe(900);
    expect(fromCli({ allowPrivateTargets: 'false' }).allowPrivateTargets).toBe(false);
  });

  it('GIVEN a retention shorter than the default policy allows WHEN parsed THEN it fails naming both numbers', () => {
    expect(() => fromCli({ retentionDays: '3' })).toThrowError(
      'context retentionDays is 3 days, shorter than the longest life the default retry policy allows: maxAgeSeconds 259200 s plus a 1-day margin needs at least 4 days',
    );
    expect(() => fromCli({ retentionDays: '10', defaultRetryPolicy: '{"maxAgeSeconds": 864000}' })).toThrowError(/maxAgeSeconds 864000 s .* at least 11 days/);
    expect(fromCli({ retentionDays: '4' }).retentionDays).toBe(4);
  });

  describe('fails with a message naming the key', () => {
    it.each([
      ['alertEmail is not an e-mail', { alertEmail: 'ops-at-example.com' }, /^context alertEmail must be an e-mail address, got "ops-at-example.com"$/],
      ['alertEmail has no domain dot', { alertEmail: 'ops@localhost' }, /context alertEmail/],
      ['alertEmail has spaces', { alertEmail: 'ops team@example.com' }, /context alertEmail/],
      ['retentionDays is 0', { retentionDays: '0' }, /^context retentionDays must be an integer from 1 to 3650, got "0"$/],
      ['retentionDays is not a number', { retentionDays: 'thirty' }, /^context retentionDays must be an integer from 1 to 3650, got "thirty"$/],
      ['retentionDays is a fraction', { retentionDays: '1.5' }, /context retentionDays/],
      ['retentionDays is above 3650', { retentionDays: '3651' }, /context retentionDays/],
      ['workerConcurrency is 1 (an event source mapping needs at least 2)', { workerConcurrency: '1' }, /^context workerConcurrency must be an integer from 2 to 1000, got "1"$/],
      ['reserveWorkerConcurrency is not a boolean', { reserveWorkerConcurrency: 'yes' }, /^context reserveWorkerConcurrency must be true or false, got "yes"$/],
      ['platformLogs is not a boolean', { platformLogs: 'on' }, /^context platformLogs must be true or false, got "on"$/],
      ['shortDelaySeconds > 900', { shortDelaySeconds: '901' }, /^context shortDelaySeconds must be an integer from 0 to 900, got "901"$/],
      ['shortDelaySeconds is negative', { shortDelaySeconds: '-1' }, /context shortDelaySeconds/],
      ['allowPrivateTargets is not a boolean', { allowPrivateTargets: 'yes' }, /^context allowPrivateTargets must be true or false, got "yes"$/],
      ['disableAfterDays is 0', { disableAfterDays: '0' }, /context disableAfterDays must be an integer from 1 to 365/],
      ['breakerFailureThreshold is 0', { breakerFailureThreshold: '0' }, /context breakerFailureThreshold must be an integer from 1 to 1000/],
      ['breakerProbeSeconds is a day and a second', { breakerProbeSeconds: '86401' }, /context breakerProbeSeconds must be an integer from 1 to 86400/],
      ['operationalWebhookUrl is plain http', { operationalWebhookUrl: 'http://ops.example.com/' }, /context operationalWebhookUrl must be an https URL/],
      ['operationalWebhookUrl is not a URL', { operationalWebhookUrl: 'ops' }, /context operationalWebhookUrl must be an https URL/],
      ['defaultRetryPolicy is not JSON', { defaultRetryPolicy: '{maxAttempts: 3}' }, /^context defaultRetryPolicy must be a JSON object \(a retry policy\), got invalid JSON/],
      ['defaultRetryPolicy is an array', { defaultRetryPolicy: '[1,2]' }, /^context defaultRetryPolicy must be a JSON object \(a retry policy\), got "\[1,2\]"$/],
      ['defaultRetryPolicy is a number', { defaultRetryPolicy: '5' }, /context defaultRetryPolicy must be a JSON object/],
      [
        'defaultRetryPolicy has a misspelt field',
        { defaultRetryPolicy: '{"maxAttemps":3}' },
        /^context defaultRetryPolicy is not a valid retry policy: defaultRetryPolicy\.maxAttemps /,
      ],
      [
        'defaultRetryPolicy has an out-of-range value',
        { defaultRetryPolicy: '{"maxAttempts":0}' },
        /^context defaultRetryPolicy is not a valid retry policy: defaultRetryPolicy\.maxAttempts /,
      ],
    ])('fails if %s', (_name, values, message) => {
      const parse = () => fromCli(values);
      expect(parse).toThrow(ContextError);
      expect(parse).toThrow(message);
    });

    it('fails if retentionDays from cdk.json is a non-integer number', () => {
      expect(() => fromJson({ retentionDays: 2.5 })).toThrow(/^context retentionDays must be an integer from 1 to 3650, got 2.5$/);
    });

    it('fails if defaultRetryPolicy from cdk.json is a boolean', () => {
      expect(() => fromJson({ defaultRetryPolicy: true })).toThrow(/context defaultRetryPolicy must be a JSON object/);
    });
  });

  it('GIVEN an App whose context came from -c WHEN read THEN the node context is what gets validated', () => {
    const good = new App({ context: { alertEmail: 'ops@example.com', retentionDays: '14' } });
    expect(readHeraldContext(good.node)).toMatchObject({ alertEmail: 'ops@example.com', retentionDays: 14 });
    const bad = new App({ context: { retentionDays: '0' } });
    expect(() => readHeraldContext(bad.node)).toThrow(/context retentionDays/);
  });
});
