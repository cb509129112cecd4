/**
 * The `Retry-After` response header (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const SHORT_DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const LONG_DAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

/** `Sun, 06 Nov 1994 08:49:37 GMT` (the preferred form). */
const IMF_FIXDATE = new RegExp(`^${SHORT_DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
/** `Sunday, 06-Nov-94 08:49:37 GMT` (obsolete RFC 850 form). */
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'i');
/** `Sun Nov  6 08:49:37 1994` (obsolete asctime form; the day is space-padded). */
const ASCTIME_DATE = new RegExp(`^${SHORT_DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`, 'i');

/**
 * Parses a `Retry-After` value into seconds from `now`.
 *
 * Delay-seconds must be digits only (`"120"`; `"1.5"`, `"-5"` and `"+3"` are malformed). Very large
 * numbers saturate at `Number.MAX_SAFE_INTEGER`; the caller clamps to its policy. An HTTP-date is
 * accepted in all three forms the RFC requires recipients to accept, strictly matched (a lenient
 * date parser would read `"1"` or `"abc 2"` as some date); a date in the past means "now" (0).
 * Malformed values yield `undefined` so the caller falls back to its own schedule: a broken header
 * must never break delivery.
 *
 * @param value the raw header value, or `undefined` when the response had none
 * @param now the current time, epoch milliseconds
 * @returns whole seconds from `now` (rounded up, so never earlier than the receiver asked), `>= 0`,
 *   or `undefined` when absent or malformed
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    return Math.min(Number(text), Number.MAX_SAFE_INTEGER);
  }
  const at = parseHttpDate(text, now);
  if (at === undefined) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime form) into epoch milliseconds.
 * A two-digit RFC 850 year more than 50 years in the future of `now` is taken as the past century
 * (RFC 9110 §5.6.7).
 */
export function parseHttpDate(text: string, now: number): number | undefined {
  let match = IMF_FIXDATE.exec(text);
  if (match !== null) {
    const [, day, month, year, hh, mm, ss] = match;
    return toEpoch(year, month, day, hh, mm, ss);
  }
  match = RFC850_DATE.exec(text);
  if (match !== null) {
    const [, day, month, yy, hh, mm, ss] = match;
    const currentYear = new Date(now).getUTCFullYear();
    let year = 2000 + Number(yy) + Math.floor((currentYear - 2000) / 100) * 100;
    if (year > currentYear + 50) year -= 100;
    return toEpoch(String(year), month, day, hh, mm, ss);
  }
  match = ASCTIME_DATE.exec(text);
  if (match !== null) {
    const [, month, day, hh, mm, ss, year] = match;
    return toEpoch(year, month, day?.trim(), hh, mm, ss);
  }
  return undefined;
}

function toEpoch(
  yearText: string | undefined,
  monthText: string | undefined,
  dayText: string | undefined,
  hourText: string | undefined,
  minuteText: string | undefined,
  secondText: string | undefined,
): number | undefined {
  const year = Number(yearText);
  const month = MONTHS.indexOf((monthText ?? '').toLowerCase());
  const day = Number(dayText);
  const hour = Number(hourText);
  const minute = Number(minuteText);
  const second = Number(secondText);
  if (month < 0 || hour > 23 || minute > 59 || second > 60) return undefined;
  const epoch = Date.UTC(year, month, day, hour, minute, Math.min(second, 59));
  const check = new Date(epoch);
  // Rejects dates that do not exist (31 Feb), which Date.UTC would silently roll over.
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month || check.getUTCFullYear() !== year) {
    return undefined;
  }
  return epoch;
}
