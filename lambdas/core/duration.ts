/**
 * Durations in retry policies: `"90s"`, `"5m"`, `"1h"`, `"1d"`, or a whole number of seconds.
 */

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const DURATION_PATTERN = /^(\d{1,15})([smhd])?$/;

/**
 * Parses a duration into whole seconds.
 *
 * Accepts a non-negative integer number of seconds, or a string of digits with an optional unit
 * (`s`, `m`, `h`, `d`; no unit means seconds). Only one unit, no sign, no fraction, no spaces: a
 * schedule is configuration, and a typo should be rejected rather than guessed at.
 *
 * @returns the number of seconds, or `undefined` when the value is not a valid duration.
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const match = DURATION_PATTERN.exec(value);
  if (match === null) return undefined;
  const unit = (match[2] ?? 's') as keyof typeof UNIT_SECONDS;
  const seconds = Number(match[1]) * UNIT_SECONDS[unit];
  return Number.isSafeInteger(seconds) ? seconds : undefined;
}

/**
 * Renders seconds compactly for messages and documentation: `90` → `"1m30s"`, `3600` → `"1h"`,
 * `0` → `"0s"`. Fractions of a second are rounded to the nearest second.
 */
export function formatDuration(seconds: number): string {
  let rest = Math.max(0, Math.round(seconds));
  if (rest === 0) return '0s';
  let text = '';
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text;
}
