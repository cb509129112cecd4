/**
 * A URL Herald will POST to (an endpoint, a contact): the deployment's target rules (core/target.ts) decide it, and it
 * is stored as parsed, so what is shown is where requests go.
 */
import * as z from 'zod';
import { checkTargetUrl } from '../../core/target';
import { rule, ruleAbort } from './zod-issues';

export const MAX_URL_LENGTH = 2048;
const URL_TEXT = `must be a URL of at most ${MAX_URL_LENGTH} characters`;

export function targetUrlSchema(allowPrivate: boolean, description: string) {
  return z
    .string(rule(URL_TEXT))
    .min(1, ruleAbort(URL_TEXT))
    .max(MAX_URL_LENGTH, ruleAbort(URL_TEXT))
    .transform((url, ctx) => {
      // WHATWG parsing: CR, LF and TAB removed, host lower-cased.
      const target = checkTargetUrl(url, { allowPrivate });
      if (!target.ok) ctx.addIssue({ code: 'custom', message: target.error });
      else if (target.value.href.length > MAX_URL_LENGTH) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_URL_LENGTH} characters once normalized (got ${target.value.href.length})` });
      }
      return target.ok ? target.value.href : url;
    })
    .meta({ description, examples: ['https://example.com/webhooks'] });
}
