/**
 * The herald CLI against local mode: doctor's whole round trip (and its advice when private targets are
 * refused), tail following real attempts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { startLocalHerald, type LocalHerald } from '../../local/herald-local';
import type { Logger } from '../../lambdas/logger';

const KEY = 'hk_cli_0123456789abcdef';
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };

async function cli(herald: LocalHerald, argv: string[], signal?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...argv, '--url', herald.url, '--api-key', KEY], { out: (t) => out.push(t), err: (t) => err.push(t), env: {}, ...(signal ? { signal } : {}) });
  return { code, out, err };
}

describe('herald CLI against local mode', () => {
  let herald: LocalHerald;
  let receiver: Server;
  let receiverUrl: string;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    herald = await startLocalHerald({ port: 0, apiKey: KEY, logger: quiet, printAlert: () => {} });
  });

  afterAll(async () => {
    await herald?.stop();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  it('doctor passes every step, a signed delivery and a 503 retry included, and leaves nothing behind', async () => {
    const result = await cli(herald, ['doctor', '--wait', '20']);
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.out.map((line) => line.split(':')[0])).toEqual([
      `✓ API answers at http`,
      '✓ API key accepted',
      '✓ clock in step with the API',
      '✓ temporary endpoint created',
      '✓ event published',
      '✓ signed delivery verified (Standard Webhooks)',
      '✓ 503 with Retry-After',
      '✓ delivery recorded as delivered',
      '✓ cleaned up',
    ]);
    expect(result.out[7]).toContain('delivered after 2 attempts (503, 200), first retry timed by retry_after');
    const list = await cli(herald, ['endpoints', 'list', '--json']);
    expect(JSON.parse(list.out[0] as string).data).toEqual([]);
  });

  it('doctor says what to fix when the key is wrong (exit 1)', async () => {
    const out: string[] = [];
    const code = await main(['doctor', '--url', herald.url, '--api-key', 'wrong'], { out: (t) => out.push(t), err: () => {}, env: {} });
    expect(code).toBe(1);
    expect(out[1]).toMatch(/^✗ API key accepted: 401 unauthorized: missing or invalid API key\n    fix: the key was refused/);
    expect(out).toHaveLength(2);
  });

  it('tail prints each new attempt as it happens', async () => {
    const created = await cli(herald, ['endpoints', 'create', receiverUrl, '--event-types', 'order.*', '--json']);
    const endpoint = JSON.parse(created.out[0] as string) as { id: string };
    const controller = new AbortController();
    const lines: string[] = [];
    const tailing = main(['tail', '--interval', '100', '--url', herald.url, '--api-key', KEY], {
      out: (t) => {
        lines.push(t);
        controller.abort();
      },
      err: () => {},
      env: {},
      signal: controller.signal,
    });
    await new Promise((r) => setTimeout(r, 300));
    const published = await cli(herald, ['publish', 'order.paid', '--data', '{"n":1}', '--json']);
    const deliveryId = (JSON.parse(published.out[0] as string) as { deliveries: { id: string }[] }).deliveries[0]!.id;
    expect(await tailing).toBe(0);
    expect(lines[0]).toMatch(new RegExp(`^\\S+  ${deliveryId}  ${endpoint.id}  order\\.paid  #1  200  \\d+ms  delivered$`));
  });
});

describe('herald doctor where private targets are refused', () => {
  let herald: LocalHerald;
  beforeAll(async () => {
    herald = await startLocalHerald({ port: 0, apiKey: KEY, logger: quiet, printAlert: () => {}, allowPrivateTargets: false });
  });
  afterAll(async () => {
    await herald?.stop();
  });

  it('fails the endpoint step and points at --receiver-url', async () => {
    const result = await cli(herald, ['doctor']);
    expect(result.code).toBe(1);
    expect(result.out[3]).toMatch(/^✗ temporary endpoint created: url .*\n    fix: this deployment refuses private targets.*--receiver-url/);
    expect(result.out).toHaveLength(4);
    expect(result.err).toEqual(['herald doctor: 1 check failed']);
  });
});
