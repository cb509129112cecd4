/**
 * The local API Gateway stand-in refuses what never reaches the Lambda in AWS: bodies over the HTTP API's
 * 10 MB, and events over Lambda's 6 MB invocation payload (the whole event JSON, so an escaped body counts
 * at its escaped size).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiGateway, type LocalApiGateway } from '../../../local/api-gateway';
import { LAMBDA_MAX_PAYLOAD_BYTES } from '../../../lib/spec';

describe('local API Gateway stand-in: payload limits', () => {
  let gateway: LocalApiGateway;
  let invoked: number[] = [];

  beforeAll(async () => {
    gateway = await startApiGateway(async (event) => {
      invoked.push(event.body?.length ?? 0);
      return { statusCode: 200, body: '{}' };
    });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  const post = (body: Buffer | string) =>
    fetch(`http://127.0.0.1:${gateway.port}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('GIVEN a 5 MB body THEN the event is under 6 MB and the Lambda is invoked', async () => {
    invoked = [];
    const res = await post('x'.repeat(5_000_000));
    expect(res.status).toBe(200);
    expect(invoked).toEqual([5_000_000]);
  });

  it('GIVEN a 7 MB body THEN API Gateway answers 413 Request Too Long without invoking the Lambda', async () => {
    invoked = [];
    const res = await post('x'.repeat(7_000_000));
    expect(res.status).toBe(413);
    expect(res.headers.get('x-amzn-errortype')).toBe('BadRequestException');
    expect(await res.json()).toEqual({ message: 'Request Too Long' });
    expect(invoked).toEqual([]);
  });

  it('GIVEN a 1.1 MB body of control characters THEN its escaped event is over 6 MB: refused the same way', async () => {
    invoked = [];
    const body = '\u0001'.repeat(1_100_000);
    expect(JSON.stringify(body).length).toBeGreaterThan(LAMBDA_MAX_PAYLOAD_BYTES);
    const res = await post(body);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ message: 'Request Too Long' });
    expect(invoked).toEqual([]);
  });

  it('GIVEN a body over 10 MB THEN API Gateway answers 413 in plain text', async () => {
    invoked = [];
    const res = await post(Buffer.alloc(10 * 1024 * 1024 + 1, 0x20));
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('HTTP content length exceeded 10485760 bytes.');
    expect(invoked).toEqual([]);
  });
});
