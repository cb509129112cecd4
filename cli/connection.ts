/**
 * Where the CLI connects and with which key: `--url`/`--api-key`, else `HERALD_URL`/`HERALD_API_KEY`, else a
 * deployed stack's outputs (`--stack NAME`): the ApiUrl output, and the key read from the secret named by the
 * ApiKeySecretArn output. Flags win over the stack, the stack over the environment.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseApiKeySecret } from '../lambdas/adapters/secrets-api-keys';
import { UsageError } from './args';

export interface Connection {
  readonly url: string;
  readonly apiKey: string | undefined;
}

/** What `--stack` needs from AWS; tests pass their own. */
export interface StackReader {
  /** The stack's outputs by OutputKey. */
  outputs(stackName: string): Promise<Record<string, string>>;
  /** The current value of a Secrets Manager secret. */
  secret(arn: string): Promise<string>;
}

/** The StackReader over the AWS SDK (credentials and region from the usual AWS environment and profile). */
export function awsStackReader(region?: string): StackReader {
  const config = region === undefined ? {} : { region };
  const cloudFormation = new CloudFormationClient(config);
  const secrets = new SecretsManagerClient(config);
  return {
    async outputs(stackName) {
      const out = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
      const stack = out.Stacks?.[0];
      if (stack === undefined) throw new Error(`stack ${stackName} not found`);
      return Object.fromEntries((stack.Outputs ?? []).flatMap((o) => (o.OutputKey && o.OutputValue ? [[o.OutputKey, o.OutputValue]] : [])));
    },
    async secret(arn) {
      const out = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
      if (out.SecretString === undefined) throw new Error(`secret ${arn} has no string value`);
      return out.SecretString;
    },
  };
}

export interface ConnectionInput {
  readonly url?: string | undefined;
  readonly apiKey?: string | undefined;
  readonly stack?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Made only when --stack is given. */
  readonly stackReader: () => StackReader;
}

/**
 * Resolves the URL and key.
 *
 * @throws UsageError when no URL comes from anywhere
 * @throws Error when the stack cannot be read (its message says why)
 */
export async function resolveConnection(input: ConnectionInput): Promise<Connection> {
  let url = input.url;
  let apiKey = input.apiKey;
  if (input.stack !== undefined) {
    const reader = input.stackReader();
    const outputs = await reader.outputs(input.stack);
    const apiUrl = outputs.ApiUrl;
    if (apiUrl === undefined) throw new Error(`stack ${input.stack} has no ApiUrl output: is it a Herald stack?`);
    url ??= apiUrl;
    if (apiKey === undefined) {
      const arn = outputs.ApiKeySecretArn;
      if (arn === undefined) throw new Error(`stack ${input.stack} has no ApiKeySecretArn output`);
      apiKey = parseApiKeySecret(await reader.secret(arn));
      if (apiKey === undefined) throw new Error(`the API key secret of stack ${input.stack} is empty`);
    }
  }
  url ??= emptyToUndefined(input.env.HERALD_URL);
  apiKey ??= emptyToUndefined(input.env.HERALD_API_KEY);
  if (url === undefined) throw new UsageError('no API URL: pass --url URL, set HERALD_URL, or pass --stack NAME');
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url must be an http(s) URL (got ${JSON.stringify(url)})`);
  return { url, apiKey };
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
