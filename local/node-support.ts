/**
 * Node.js versions: Herald's Lambdas run on Node.js 22; local mode, the tests and the benchmark run
 * on Node.js 20 or newer (`engines` in package.json).
 *
 * On Node.js 20 the AWS SDK prints a `NodeVersionSupportWarning` on first use: its versions
 * published after the first week of January 2027 will require Node.js 22. The versions pinned in
 * package-lock.json support Node.js 20, so the warning says nothing about this installation and is
 * turned off through the SDK's own switch. Upgrading the SDK past that date means requiring 22.
 */
export const SDK_NODE_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/**
 * Turns the SDK's Node.js 20 warning off for this process (and the processes it starts), unless the
 * user set the switch themselves. Call it before the first SDK client sends anything.
 */
export function quietSdkNodeWarning(env: NodeJS.ProcessEnv = process.env): void {
  env[SDK_NODE_WARNING_SWITCH] ??= 'true';
}
