/**
 * What local mode exposes, tested from the attacker's side: a web page open in a browser on the same machine
 * (Debian's Chromium, driven by playwright-core), and requests that do not come from loopback names.
 *
 * The control is an unguarded dynalite, as local mode ran before the loopback front: the same page reads its whole
 * table cross-origin. That proves the page really would read what the guarded listeners refuse.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClients } from '../../local/emulators';
import { startTestEnvironment, type TestEnvironment } from '../support/emulators';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const SECRET = 'whsec_bG9jYWwtZXhwb3N1cmUtdGVzdC1zZWNyZXQ=';

/** The AWS JSON-protocol Scan a page would send (the SDK's own shape; dynalite does not check signatures). */
function scanInPage([endpoint, table]: readonly [string, string]): Promise<{ ok: true; body: string } | { ok: false; error: string }> {
  return fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.Scan',
      'x-amz-date': '20300101T000000Z',
      authorization: 'AWS4-HMAC-SHA256 Credential=herald-local/20300101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
    },
    body: JSON.stringify({ TableName: table }),
  }).then(
    async (res) => ({ ok: true as const, body: await res.text() }),
    (error: unknown) => ({ ok: false as const, error: String(error) }),
  );
}

/** A raw HTTP request from Node with chosen headers (fetch would not let a test set Host). */
function rawPost(port: number, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('local listeners: loopback only, same origin only', () => {
  let env: TestEnvironment;
  let control: ReturnType<typeof dynalite>;
  let controlEndpoint: string;

  beforeAll(async () => {
    // What npm start exposes: dynalite behind the loopback front. (The opt-in DynamoDB Local listens on every
    // interface, having no bind option; README says so.)
    env = await startTestEnvironment({ dynamo: 'dynalite' });
    await env.clients.dynamo.send(
      new PutItemCommand({ TableName: env.resources.tableName, Item: { pk: { S: 'EP#ep_x' }, sk: { S: 'EP' }, secret: { S: SECRET } } }),
    );
    control = dynalite({ createTableMs: 0 });
    await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', () => resolve()));
    controlEndpoint = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
    const controlClients = localClients(controlEndpoint, env.sqsEndpoint);
    await controlClients.dynamo.send(
      new CreateTableCommand({
        TableName: 'control',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await controlClients.dynamo.send(new PutItemCommand({ TableName: 'control', Item: { pk: { S: 'EP#ep_x' }, secret: { S: SECRET } } }));
    controlClients.dynamo.destroy();
    controlClients.sqs.destroy();
    controlClients.sns.destroy();
  });
  afterAll(async () => {
    await env?.stop();
    await new Promise<void>((resolve) => (control ? control.close(() => resolve()) : resolve()));
  });

  it('the emulators refuse a request with an Origin header, or a Host that is not a loopback name (DNS rebinding)', async () => {
    const dynamoPort = Number(new URL(env.dynamoEndpoint).port);
    const sqsPort = Number(new URL(env.sqsEndpoint).port);
    const scan = JSON.stringify({ TableName: env.resources.tableName });
    const amz = {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.Scan',
      'x-amz-date': '20300101T000000Z',
      authorization: 'AWS4-HMAC-SHA256 Credential=herald-local/20300101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
    };
    const sqsForm = 'Action=ListQueues&Version=2012-11-05';
    const form = { 'content-type': 'application/x-www-form-urlencoded' };

    for (const [port, headers, body] of [
      [dynamoPort, amz, scan],
      [sqsPort, form, sqsForm],
    ] as const) {
      const fromPage = await rawPost(port, { ...headers, host: `127.0.0.1:${port}`, origin: 'https://evil.example' }, body);
      expect(fromPage.status).toBe(403);
      expect(fromPage.body).not.toContain('whsec_');
      const rebound = await rawPost(port, { ...headers, host: `evil.example:${port}` }, body);
      expect(rebound.status).toBe(403);
      const crossSite = await rawPost(port, { ...headers, host: `localhost:${port}`, 'sec-fetch-site': 'cross-site' }, body);
      expect(crossSite.status).toBe(403);
    }
    // The SDK's own requests pass (they carry neither header): the secret is there to be stolen.
    const own = await rawPost(dynamoPort, { ...amz, host: `127.0.0.1:${dynamoPort}` }, scan);
    expect(own.status).toBe(200);
    expect(own.body).toContain(SECRET);
  });

  it('nothing listens beyond 127.0.0.1: the emulators are unreachable on the machine’s other addresses', async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
    if (external === undefined) return; // a machine with loopback only has nothing else to reach
    for (const endpoint of [env.dynamoEndpoint, env.sqsEndpoint]) {
      const port = Number(new URL(endpoint).port);
      const reached = await fetch(`http://${external.address}:${port}/`, { method: 'POST', body: '' }).then(
        () => true,
        () => false,
      );
      expect(reached, `${endpoint} answered on ${external.address}`).toBe(false);
    }
  });

  describe.skipIf(!HAS_CHROMIUM)('from a web page in Chromium', () => {
    let attacker: Server;
    let attackerUrl: string;
    let context: BrowserContext;
    let page: Page;
    let userDataDir: string;

    beforeAll(async () => {
      attacker = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><title>some web page</title><p>hello</p>');
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      // Another origin than any Herald listener: another port, and a name rather than the IP.
      attackerUrl = `http://localhost:${(attacker.address() as AddressInfo).port}/`;
      userDataDir = mkdtempSync(join(tmpdir(), 'herald-exposure-chromium-'));
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      page = context.pages()[0] ?? (await context.newPage());
      await page.goto(attackerUrl);
    }, 60_000);
    afterAll(async () => {
      await context?.close();
      await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()));
      if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    });

    it('a cross-origin Scan of local dynalite fails, where an unguarded dynalite hands the page every secret', async () => {
      const unguarded = await page.evaluate(scanInPage, [controlEndpoint, 'control'] as const);
      expect(unguarded).toMatchObject({ ok: true });
      expect((unguarded as { body: string }).body).toContain(SECRET);

      const guarded = await page.evaluate(scanInPage, [env.dynamoEndpoint, env.resources.tableName] as const);
      expect(guarded).toMatchObject({ ok: false, error: expect.stringMatching(/Failed to fetch/) });
    });
  });
});
