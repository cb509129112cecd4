/**
 * The CDK app: the only place that reads context and environment for the infrastructure.
 *
 *   npx cdk deploy -c alertEmail=ops@example.com [-c retentionDays=30] [-c allowPrivateTargets=false]
 *                  [-c shortDelaySeconds=900] [-c disableAfterDays=5] [-c defaultRetryPolicy='{"maxAttempts":8}']
 *                  [-c environment=sandbox]   (the stack is then Herald-sandbox, beside any other environment)
 *
 * cdk-nag's AwsSolutions checks run on every synth as a validation plugin; any unacknowledged
 * finding (error or warning) fails it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ContextError, type HeraldContext, heraldStackName, readHeraldContext } from '../lib/context';
import { HeraldStack } from '../lib/herald-stack';

/** Exported so a test can prove that the checks are registered on the app itself. */
export const app = new App();

/** The validated context; a bad value ends the synth with one line naming the key, not a stack trace. */
function settingsOrExit(): HeraldContext {
  try {
    return readHeraldContext(app.node);
  } catch (error) {
    if (!(error instanceof ContextError)) throw error;
    console.error(`herald: ${error.message}`);
    process.exit(1);
  }
}

const settings = settingsOrExit();
new HeraldStack(app, heraldStackName(settings), {
  description: `Herald: reliable outbound webhooks${settings.environment === undefined ? '' : ` (${settings.environment})`}`,
  settings,
  // Unset without credentials: the stack is then environment-agnostic, which is all synth needs.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
