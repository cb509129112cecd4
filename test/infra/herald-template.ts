/**
 * Test support for the infrastructure tests: synthesizes the Herald stack in-process, finds
 * resources by construct path, and evaluates IAM policies the way IAM matches actions and
 * resources, so tests can ask "may the deliver Lambda do X on Y?" instead of comparing JSON.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { REPO_ROOT } from '../../lib/constructs/herald-function';
import { readHeraldContext } from '../../lib/context';
import { HeraldStack } from '../../lib/herald-stack';

export const TEST_ENV = { account: '123456789012', region: 'eu-west-1' } as const;

/**
 * The context of `cdk.json` (the feature flags), which the CDK CLI gives every synth and deploy: the
 * tests synthesize with it too, so they assert on the template a deploy would create.
 */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

export interface Synthesized {
  readonly app: App;
  readonly stack: HeraldStack;
  readonly template: Template;
}

/**
 * Builds the stack from `cdk.json`'s context and the given one exactly as `bin/herald.ts` does, with esbuild
 * bundling skipped (CDK's `aws:cdk:bundling-stacks` context) so a synth takes about a second; the
 * real bundling is proven by `app.test.ts`.
 */
export function synthHerald(context: Record<string, unknown> = {}): Synthesized {
  const app = new App({
    context: {
      ...cdkJsonContext(),
      ...context,
      'aws:cdk:bundling-stacks': [],
      // As under the CDK CLI: resources carry their construct path, which the tests look them up by.
      'aws:cdk:enable-path-metadata': true,
    },
  });
  const settings = readHeraldContext(app.node);
  const stack = new HeraldStack(app, 'Herald', { settings, env: TEST_ENV });
  return { app, stack, template: Template.fromStack(stack) };
}

type Json = unknown;
interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly Metadata?: Record<string, Json>;
}

/** The logical id of the resource at a construct path such as `Herald/DataStore/Table/Resource`. */
export function logicalIdAt(template: Template, constructPath: string): string {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const found = Object.entries(resources).filter(([, r]) => r.Metadata?.['aws:cdk:path'] === constructPath);
  if (found.length !== 1) throw new Error(`expected one resource at ${constructPath}, found ${found.length}`);
  return found[0]![0];
}

export function resourceAt(template: Template, constructPath: string): Resource {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  return resources[logicalIdAt(template, constructPath)]!;
}

/** `{ Ref: id }` */
export const ref = (logicalId: string) => ({ Ref: logicalId });
/** `{ 'Fn::GetAtt': [id, attr] }` */
export const getAtt = (logicalId: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalId, attribute] });

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': TEST_ENV.region,
  'AWS::AccountId': TEST_ENV.account,
  'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * Renders a template value as a string: pseudo parameters become the test account's values,
 * `Ref` becomes `<id>` and `Fn::GetAtt` becomes `<id.Attr>`, `Fn::Join` is joined.
 */
export function render(value: Json): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, Json>;
    if (typeof node.Ref === 'string') return PSEUDO[node.Ref] ?? `<${node.Ref}>`;
    if (Array.isArray(node['Fn::GetAtt'])) return `<${node['Fn::GetAtt'].join('.')}>`;
    if (Array.isArray(node['Fn::Join'])) {
      const [delimiter, parts] = node['Fn::Join'] as [string, Json[]];
      return parts.map(render).join(delimiter);
    }
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: Json;
  readonly Condition?: Record<string, Record<string, Json>>;
}

const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Every statement of the identity policies attached to a role (inline and `AWS::IAM::Policy`). */
export function roleStatements(template: Template, roleLogicalId: string): Statement[] {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const role = resources[roleLogicalId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is not a role`);
  if (role.Properties?.ManagedPolicyArns !== undefined) throw new Error(`${roleLogicalId} has managed policies`);
  const statements: Statement[] = [];
  for (const policy of list(role.Properties?.Policies as { PolicyDocument: { Statement: Statement[] } }[])) {
    statements.push(...policy.PolicyDocument.Statement);
  }
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = list(resource.Properties?.Roles as Json[]);
    if (!roles.some((r) => JSON.stringify(r) === JSON.stringify(ref(roleLogicalId)))) continue;
    statements.push(...(resource.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
  }
  return statements;
}

/** The statements of the execution role of the function at `<path>/Resource`. */
export function functionStatements(template: Template, functionPath: string): Statement[] {
  const fn = resourceAt(template, `${functionPath}/Resource`);
  const roleArn = fn.Properties?.Role as { 'Fn::GetAtt': [string, string] };
  return roleStatements(template, roleArn['Fn::GetAtt'][0]);
}

/** IAM's wildcard match: `*` any run of characters, `?` one character; actions are case-insensitive. */
function matches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

function statementCovers(statement: Statement, action: string, resource: string): boolean {
  if (statement.NotAction !== undefined) throw new Error('NotAction is not expected in Herald policies');
  const actionMatches = list(statement.Action).some((a) => matches(a, action, true));
  const resourceMatches = list(statement.Resource as Json[]).some((r) => matches(render(r), resource, false));
  return actionMatches && resourceMatches;
}

/**
 * Whether the statements allow `action` on `resource` (a rendered ARN, see {@link render}):
 * some Allow covers it and no Deny does. Conditions are not evaluated; tests assert them directly.
 */
export function allows(statements: readonly Statement[], action: string, resource: string): boolean {
  const covered = (effect: Statement['Effect']) =>
    statements.some((s) => s.Effect === effect && statementCovers(s, action, resource));
  return covered('Allow') && !covered('Deny');
}

/** Every `action on resource` pair the Allow statements grant, sorted: the exact permission set. */
export function grants(statements: readonly Statement[]): string[] {
  const pairs = new Set<string>();
  for (const s of statements) {
    if (s.Effect !== 'Allow') continue;
    for (const action of list(s.Action)) {
      for (const resource of list(s.Resource as Json[])) pairs.add(`${action} on ${render(resource)}`);
    }
  }
  return [...pairs].sort();
}

/** Builds the expected `action on resource` pairs for {@link grants}. */
export function pairs(actions: readonly string[], resources: readonly string[]): string[] {
  return actions.flatMap((action) => resources.map((resource) => `${action} on ${resource}`));
}
