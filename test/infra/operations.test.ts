import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/config';
import { COUNT_METRICS, FAILURE_CLASSES, LATENCY_METRICS } from '../../lambdas/ports/metrics';
import { SAVED_QUERIES } from '../../lib/constructs/operations-dashboard';
import { allows, functionStatements, logicalIdAt, render, synthHerald } from './herald-template';

let template: Template;
beforeAll(() => {
  template = synthHerald().template;
});

type Json = unknown;

interface Widget {
  readonly type: string;
  readonly properties: { title: string; metrics?: Json[][]; query?: string };
}

function dashboardBody(): { widgets: Widget[] } {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  return JSON.parse(render((dashboards[0] as { Properties: { DashboardBody: Json } }).Properties.DashboardBody)) as { widgets: Widget[] };
}

/** Every `[namespace, name, dim, value, ...]` metric row of the dashboard's graphs. */
function metricRows(): string[][] {
  return dashboardBody()
    .widgets.flatMap((w) => w.properties.metrics ?? [])
    .map((row) => row.filter((x): x is string => typeof x === 'string'));
}

describe('GIVEN the stack WHEN it is synthesized THEN the operations dashboard', () => {
  it('graphs every Herald metric at deployment level, with the stack name as the Deployment dimension', () => {
    const herald = metricRows().filter((row) => row[0] === 'Herald');
    const names = new Set(herald.map((row) => row[1]));
    for (const name of [...Object.values(COUNT_METRICS), ...Object.values(LATENCY_METRICS)]) expect(names).toContain(name);
    for (const row of herald) {
      expect(row.slice(2, 4)).toEqual(['Deployment', 'Herald']);
      // No per-endpoint (or per-tenant) dimension: the only other one is the failure class.
      const dimensionNames = row.slice(2).filter((_, i) => i % 2 === 0);
      expect(dimensionNames.every((d) => d === 'Deployment' || d === 'FailureClass')).toBe(true);
    }
  });

  it('splits failed attempts by every failure class', () => {
    const classes = metricRows()
      .filter((row) => row[1] === 'Failed' && row.includes('FailureClass'))
      .map((row) => row[row.indexOf('FailureClass') + 1]);
    expect(classes.sort()).toEqual([...FAILURE_CLASSES].sort());
  });

  it('shows queue lag, dead-letter depth and Lambda errors next to the Herald metrics', () => {
    const aws = metricRows().map((row) => `${row[0]}/${row[1]}`);
    expect(aws).toEqual(expect.arrayContaining(['AWS/SQS/ApproximateAgeOfOldestMessage', 'AWS/SQS/ApproximateNumberOfMessagesVisible', 'AWS/Lambda/Errors']));
  });

  it('embeds the per-endpoint Logs Insights queries over the worker log group', () => {
    const queries = dashboardBody().widgets.filter((w) => w.type === 'log');
    expect(queries.map((w) => w.properties.title)).toEqual(['Failing endpoints (logs)', 'Endpoint success rate (logs)']);
    const workerLogs = logicalIdAt(template, 'Herald/Worker/FunctionLogs/Resource');
    for (const w of queries) {
      expect(w.properties.query).toContain(`SOURCE '<${workerLogs}>'`);
      expect(w.properties.query).toContain('by endpointId');
    }
  });
});

describe('GIVEN the stack WHEN it is synthesized THEN the saved Logs Insights queries', () => {
  it('are one QueryDefinition per saved query, named under the stack', () => {
    const defs = Object.values(template.findResources('AWS::Logs::QueryDefinition')) as { Properties: { Name: string; QueryString: string; LogGroupNames: Json[] } }[];
    expect(defs.map((d) => d.Properties.Name).sort()).toEqual(SAVED_QUERIES.map((q) => `Herald/${q.name}`).sort());
  });

  it('drill down per endpoint from the worker’s attempt lines', () => {
    const defs = Object.values(template.findResources('AWS::Logs::QueryDefinition')) as { Properties: { Name: string; QueryString: string; LogGroupNames: Json[] } }[];
    const byName = new Map(defs.map((d) => [d.Properties.Name, d.Properties]));
    const workerLogs = `<${logicalIdAt(template, 'Herald/Worker/FunctionLogs/Resource')}>`;
    const failing = byName.get('Herald/failing-endpoints')!;
    expect(failing.QueryString).toContain("filter message = 'attempt'");
    expect(failing.QueryString).toContain('stats count(*) as failures');
    expect(failing.QueryString).toContain('by endpointId');
    expect(failing.LogGroupNames.map(render)).toEqual([workerLogs]);
    expect(byName.get('Herald/endpoint-attempts')!.QueryString).toContain("endpointId = 'ep_REPLACE_WITH_ENDPOINT_ID'");
    expect(byName.get('Herald/delivery-trace')!.LogGroupNames).toHaveLength(3);
  });
});

describe('GIVEN the stack WHEN it is synthesized THEN every function', () => {
  it('is told its deployment name, the metrics dimension', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: { Environment?: { Variables?: Record<string, string> } } }[];
    const herald = fns.filter((f) => f.Properties.Environment?.Variables?.[ENV.tableName] !== undefined);
    expect(herald).toHaveLength(3);
    for (const f of herald) expect(f.Properties.Environment!.Variables![ENV.deployment]).toBe('Herald');
  });
});

describe('GIVEN operationalWebhookUrl WHEN the stack is synthesized', () => {
  it('THEN the deliver and sweep Lambdas get the URL and a generated signing secret they alone may read', () => {
    const configured = synthHerald({ operationalWebhookUrl: 'https://ops.example.com/herald' }).template;
    const secretPath = 'Herald/OperationalWebhook/SigningSecret/Resource';
    const secretId = logicalIdAt(configured, secretPath);
    configured.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { ExcludePunctuation: true, IncludeSpace: false, PasswordLength: 32 },
    });
    const variables = (path: string) =>
      (configured.toJSON().Resources[logicalIdAt(configured, path)] as { Properties: { Environment: { Variables: Record<string, Json> } } }).Properties.Environment
        .Variables;
    for (const fn of ['Herald/Worker/Function', 'Herald/Sweeper/Function']) {
      const env = variables(`${fn}/Resource`);
      expect(env[ENV.operationalWebhookUrl]).toBe('https://ops.example.com/herald');
      expect(render(env[ENV.operationalWebhookSecretArn])).toBe(`<${secretId}>`);
      expect(allows(functionStatements(configured, fn), 'secretsmanager:GetSecretValue', `<${secretId}>`)).toBe(true);
    }
    expect(allows(functionStatements(configured, 'Herald/Api/Function'), 'secretsmanager:GetSecretValue', `<${secretId}>`)).toBe(false);
  });

  it('THEN without it there is no secret and no variable', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: { Environment?: { Variables?: Record<string, string> } } }[];
    for (const f of fns) expect(f.Properties.Environment?.Variables?.[ENV.operationalWebhookUrl]).toBeUndefined();
    // The API key and the portal session secret only.
    expect(Object.keys(template.findResources('AWS::SecretsManager::Secret'))).toHaveLength(2);
  });
});

describe('GIVEN the stack WHEN it is synthesized THEN every Herald function logs', () => {
  const loggingConfigs = (t: Template) =>
    (Object.values(t.findResources('AWS::Lambda::Function')) as { Properties: { Environment?: { Variables?: Record<string, string> }; LoggingConfig?: Json } }[])
      .filter((f) => f.Properties.Environment?.Variables?.[ENV.tableName] !== undefined)
      .map((f) => f.Properties.LoggingConfig);

  it('in the JSON format at the WARN system level: no START/END/REPORT line per invocation', () => {
    const configs = loggingConfigs(template);
    expect(configs).toHaveLength(3);
    for (const c of configs) expect(c).toMatchObject({ LogFormat: 'JSON', SystemLogLevel: 'WARN', ApplicationLogLevel: 'INFO' });
  });

  it('with the platform lines when context platformLogs asks for them', () => {
    const configs = loggingConfigs(synthHerald({ platformLogs: 'true' }).template);
    expect(configs).toHaveLength(3);
    for (const c of configs) expect(c).toMatchObject({ LogFormat: 'JSON', SystemLogLevel: 'INFO' });
  });
});
