/**
 * Event types (`dir_sync.user.update.success`) and the patterns endpoints subscribe with.
 */

/** 1 to 128 letters, digits and `.`, `_`, `:`, `-`. */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

const MAX_PATTERN_LENGTH = 128;

/** Whether `type` is a valid event type (see {@link EVENT_TYPE_PATTERN}). */
export function isValidEventType(type: string): boolean {
  return typeof type === 'string' && EVENT_TYPE_PATTERN.test(type);
}

/**
 * Whether `pattern` is a valid subscription pattern: `*` (every type), an exact event type, or a
 * prefix wildcard `prefix.*` (the prefix itself a valid type, the whole at most 128 characters).
 * A `*` anywhere else is rejected: only these three forms are matched, and accepting `dir_*` or
 * `*.created` would store a subscription that never matches what its author meant.
 */
export function isValidEventTypePattern(pattern: string): boolean {
  if (typeof pattern !== 'string' || pattern.length > MAX_PATTERN_LENGTH) return false;
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return isValidEventType(pattern.slice(0, -2));
  return isValidEventType(pattern);
}

/**
 * Whether an endpoint subscribed with `patterns` receives events of `type`.
 *
 * `*` matches everything; `prefix.*` matches every type that starts with `prefix.` at any depth
 * (`dir_sync.*` matches `dir_sync.user.created` but not `dir_sync` itself nor `dir_syncer.x`);
 * anything else must equal the type exactly (case-sensitive).
 */
export function matchesEventType(patterns: readonly string[], type: string): boolean {
  return patterns.some((pattern) => {
    if (pattern === '*') return true;
    if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
    return pattern === type;
  });
}
