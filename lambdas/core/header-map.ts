/**
 * Header maps (an endpoint's own headers, the headers of an attempt) are built on null-prototype objects, so a
 * header name can never reach `Object.prototype` or be shadowed by one of its members.
 */

/** A header map holding `entries`, on a null-prototype object. */
export function headerMap(entries: Iterable<readonly [string, string]> = []): Record<string, string> {
  const map = Object.create(null) as Record<string, string>;
  for (const [name, value] of entries) map[name] = value;
  return map;
}
