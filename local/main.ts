/**
 * `npm start`: Herald in local mode. Prints the URL, the API key and a copy-paste example.
 *
 * Environment: PORT (3000), HERALD_API_KEY (a development key is generated and printed when unset),
 * HERALD_DATA_DIR (.herald-data), HERALD_ALLOW_PRIVATE_TARGETS (true), and any other HERALD_* setting the stack
 * knows (e.g. HERALD_DEFAULT_RETRY_POLICY='{"preset":"cryptr"}').
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ENV } from '../lambdas/config';
import { consoleLogger } from './console-logger';
import { heraldSettings, startLocalHerald } from './herald-local';

function example(url: string, apiKey: string): string {
  return [
    'Try it (in another terminal; `npm run receiver` starts a receiver on port 4000):',
    '',
    `  export HERALD_URL=${url} HERALD_KEY=${apiKey}`,
    `  curl -s -X POST $HERALD_URL/v1/endpoints -H "authorization: Bearer $HERALD_KEY" -H 'content-type: application/json' \\`,
    `    -d '{"url":"http://127.0.0.1:4000/webhook","eventTypes":["user.*"]}'`,
    `  curl -s -X POST $HERALD_URL/v1/events -H "authorization: Bearer $HERALD_KEY" -H 'content-type: application/json' \\`,
    `    -d '{"type":"user.created","data":{"id":"u_1","email":"ada@example.com"}}'`,
    '',
    `Console: ${url}/console`,
  ].join('\n');
}

/**
 * The development API key: generated on the first start and kept in the data folder, so a restart (which keeps
 * the endpoints and events) keeps the key too.
 */
function developmentKey(dataDir: string): string {
  const file = join(dataDir, 'dev-api-key');
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept !== '') return kept;
  } catch {
    // first start
  }
  const key = `hk_dev_${randomBytes(18).toString('base64url')}`;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

async function main(): Promise<void> {
  const env = process.env;
  const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number, got "${env.PORT}"`);
    process.exit(2);
  }
  const dataDir = resolve(env.HERALD_DATA_DIR || '.herald-data');
  const given = env[ENV.apiKey];
  const settings = heraldSettings(env);
  const herald = await startLocalHerald({
    port,
    dataDir,
    apiKey: given || developmentKey(dataDir),
    allowPrivateTargets: env[ENV.allowPrivateTargets] === undefined ? true : env[ENV.allowPrivateTargets] === 'true',
    env: settings,
    logger: consoleLogger(),
  });
  console.log(`Herald listening on ${herald.url}`);
  console.log(`API key: ${herald.apiKey}${given ? ' (from HERALD_API_KEY)' : ` (development key, kept in ${join(dataDir, 'dev-api-key')})`}`);
  console.log(`Data: ${dataDir}`);
  console.log('');
  console.log(example(herald.url, herald.apiKey));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping (finishing in-flight deliveries)...`);
    herald.stop().then(
      () => {
        console.log('Herald stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        console.error('Herald did not stop cleanly:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error('Herald failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
