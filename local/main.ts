/**
 * `npm start`: Herald in local mode. Prints the URL, the API key and a copy-paste example.
 *
 * Environment: PORT (3000), HERALD_API_KEY (a development key is generated and printed when unset),
 * HERALD_DATA_DIR (.herald-data), HERALD_ALLOW_PRIVATE_TARGETS (true), and any other HERALD_* setting the stack
 * knows (e.g. HERALD_DEFAULT_RETRY_POLICY='{"preset":"cryptr"}').
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ENV } from '../lambdas/config';
import { consoleLogger } from './console-logger';
import { heraldSettings, startLocalHerald } from './herald-local';
import { ensurePrivateDir, PRIVATE_FILE_MODE, PRIVATE_UMASK } from './private-files';
import { quietSdkNodeWarning } from './node-support';

/** `keyExpression`: shell text that yields the key (the key itself is printed once, above, or not at all). */
function example(url: string, keyExpression: string): string {
  return [
    'Try it (in another terminal; `npm run receiver` starts a receiver on port 4000):',
    '',
    `  export HERALD_URL=${url} HERALD_KEY=${keyExpression}`,
    `  curl -s -X POST $HERALD_URL/v1/endpoints -H "authorization: Bearer $HERALD_KEY" -H 'content-type: application/json' \\`,
    `    -d '{"url":"http://127.0.0.1:4000/webhook","eventTypes":["user.*"]}'`,
    `  curl -s -X POST $HERALD_URL/v1/events -H "authorization: Bearer $HERALD_KEY" -H 'content-type: application/json' \\`,
    `    -d '{"type":"user.created","data":{"id":"u_1","email":"ada@example.com"}}'`,
    '  HERALD_API_KEY=$HERALD_KEY npx herald doctor   # the API, the key, the clock and a signed round trip',
    '',
    `Console: ${url}/console`,
  ].join('\n');
}

/**
 * The development API key: generated on the first start and kept in the data folder, so a restart (which keeps
 * the endpoints and events) keeps the key too.
 */
function developmentKey(dataDir: string): string {
  const file = developmentKeyFile(dataDir);
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept !== '') return kept;
  } catch {
    // first start
  }
  const key = `hk_dev_${randomBytes(18).toString('base64url')}`;
  ensurePrivateDir(dataDir);
  writeFileSync(file, `${key}\n`, { mode: PRIVATE_FILE_MODE });
  return key;
}

const developmentKeyFile = (dataDir: string): string => join(dataDir, 'dev-api-key');

/** Single-quoted for a POSIX shell. */
const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

async function main(): Promise<void> {
  // Everything local mode writes (table files, schedules, keys) is the user's alone: files 0600, folders 0700.
  process.umask(PRIVATE_UMASK);
  quietSdkNodeWarning();
  const env = process.env;
  const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number, got "${env.PORT}"`);
    process.exit(2);
  }
  const dataDir = resolve(env.HERALD_DATA_DIR || '.herald-data');
  const given = env[ENV.apiKey];
  const settings = heraldSettings(env);
  const indexLagMs = env.HERALD_LOCAL_INDEX_LAG_MS === undefined || env.HERALD_LOCAL_INDEX_LAG_MS === '' ? 0 : Number(env.HERALD_LOCAL_INDEX_LAG_MS);
  if (!Number.isInteger(indexLagMs) || indexLagMs < 0 || indexLagMs > 600_000) {
    console.error(`HERALD_LOCAL_INDEX_LAG_MS must be an integer from 0 to 600000, got "${env.HERALD_LOCAL_INDEX_LAG_MS}"`);
    process.exit(2);
  }
  const herald = await startLocalHerald({
    port,
    dataDir,
    apiKey: given || developmentKey(dataDir),
    allowPrivateTargets: env[ENV.allowPrivateTargets] === undefined ? true : env[ENV.allowPrivateTargets] === 'true',
    env: settings,
    logger: consoleLogger(),
    indexLagMs,
  });
  console.log(`Herald listening on ${herald.url}`);
  // The key is printed once, and only when Herald made it: a key from the environment is the caller's already,
  // and terminal scrollback and CI logs are no place for a copy.
  if (given) console.log('API key: from HERALD_API_KEY (not printed)');
  else console.log(`API key: ${herald.apiKey} (development key, kept in ${developmentKeyFile(dataDir)})`);
  console.log(`Data: ${dataDir}`);
  console.log('');
  console.log(example(herald.url, given ? '"$HERALD_API_KEY"' : `"$(cat ${shellQuote(developmentKeyFile(dataDir))})"`));

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
