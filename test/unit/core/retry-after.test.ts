import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHttpDate, parseRetryAfter } from '../../../lambdas/core/retry-after';

const NOW = Date.UTC(2024, 0, 1, 0, 0, 0); // Mon, 01 Jan 2024 00:00:00 GMT

describe('parseRetryAfter: delay-seconds', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['60', 60],
    ['120', 120],
    ['007', 7],
    [' 30 ', 30],
    ['\t45', 45],
    ['86400', 86_400],
    ['99999999', 99_999_999],
  ])('%o → %d', (value, seconds) => {
    expect(parseRetryAfter(value, NOW)).toBe(seconds);
  });

  it('saturates huge numbers instead of overflowing', () => {
    expect(parseRetryAfter('99999999999999999999', NOW)).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseRetryAfter('9'.repeat(400), NOW)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('parseRetryAfter: HTTP-date', () => {
  it.each([
    ['IMF-fixdate', 'Mon, 01 Jan 2024 00:01:00 GMT', 60],
    ['IMF-fixdate, lower case', 'mon, 01 jan 2024 00:01:00 gmt', 60],
    ['IMF-fixdate, next day', 'Tue, 02 Jan 2024 00:00:00 GMT', 86_400],
    ['IMF-fixdate, leap day', 'Thu, 29 Feb 2024 00:00:00 GMT', 59 * 86_400],
    ['RFC 850', 'Monday, 01-Jan-24 00:02:00 GMT', 120],
    ['asctime, space-padded day', 'Mon Jan  1 00:03:00 2024', 180],
    ['asctime, two-digit day', 'Wed Jan 10 00:00:00 2024', 9 * 86_400],
    ['exactly now', 'Mon, 01 Jan 2024 00:00:00 GMT', 0],
    ['in the past', 'Sun, 31 Dec 2023 23:59:00 GMT', 0],
    ['far past', 'Sun, 06 Nov 1994 08:49:37 GMT', 0],
    ['epoch', 'Thu, 01 Jan 1970 00:00:00 GMT', 0],
    ['RFC 850 two-digit year of the last century', 'Sunday, 06-Nov-94 08:49:37 GMT', 0],
    ['RFC 850 two-digit year in the near future', 'Tuesday, 01-Jan-30 00:00:00 GMT', (Date.UTC(2030, 0, 1) - NOW) / 1000],
    ['far future (clamped later by the policy, not here)', 'Fri, 31 Dec 9999 23:59:59 GMT', (Date.UTC(9999, 11, 31, 23, 59, 59) - NOW) / 1000],
  ])('%s: %o → %d', (_label, value, seconds) => {
    expect(parseRetryAfter(value, NOW)).toBe(seconds);
  });

  it('rounds up to whole seconds so the retry is never earlier than asked', () => {
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:01:00 GMT', NOW + 500)).toBe(60);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:01:00 GMT', NOW + 1)).toBe(60);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:01:00 GMT', NOW + 1000)).toBe(59);
  });

  it('reads the RFC 850 century relative to now (more than 50 years ahead means the past)', () => {
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
    expect(parseHttpDate('Saturday, 01-Jan-74 00:00:00 GMT', NOW)).toBe(Date.UTC(2074, 0, 1));
    expect(parseHttpDate('Monday, 01-Jan-75 00:00:00 GMT', NOW)).toBe(Date.UTC(1975, 0, 1));
  });
});

describe('parseRetryAfter: absent or malformed → undefined', () => {
  it.each([
    undefined,
    '',
    ' ',
    'abc',
    '-5',
    '+3',
    '1.5',
    '1e3',
    '0x10',
    '12abc',
    '12 34',
    'Infinity',
    'NaN',
    'soon',
    '2024-01-01T00:01:00Z',
    'Mon, 1 Jan 2024 00:01:00 GMT',
    'Mon, 01 Jan 2024 00:01:00 UTC',
    'Mon, 01 Jan 2024 00:01:00 +0000',
    'Mon, 01 Jan 2024 00:01 GMT',
    'Mon, 31 Feb 2024 00:00:00 GMT',
    'Mon, 30 Feb 2024 00:00:00 GMT',
    'Mon, 01 Foo 2024 00:00:00 GMT',
    'Mon, 01 Jan 2024 24:00:00 GMT',
    'Mon, 01 Jan 2024 00:60:00 GMT',
    'Mon, 01 Jan 2024 00:00:61 GMT',
    'Mon, 00 Jan 2024 00:00:00 GMT',
    'Mon, 01 Jan 0094 00:00:00 GMT',
    'Xyz, 01 Jan 2024 00:00:00 GMT',
    'Monday, 01 Jan 2024 00:00:00 GMT',
    'Mon, 01-Jan-24 00:00:00 GMT',
    'Mon Jan 1 00:03:00 2024',
    'Jan 2025',
    'abc 2',
  ])('%o', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });

  it('does not read digits as a date the way a lenient date parser would', () => {
    expect(Number.isNaN(Date.parse('Jan 2025'))).toBe(false); // what the strict parser avoids
    expect(parseRetryAfter('1', NOW)).toBe(1);
    expect(parseHttpDate('Jan 2025', NOW)).toBeUndefined();
  });

  it('never throws, and answers undefined or a non-negative integer, for any input', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ maxLength: 60 }), { nil: undefined }), fc.integer({ min: 0, max: 2 ** 45 }), (value, now) => {
        const seconds = parseRetryAfter(value, now);
        expect(seconds === undefined || (Number.isInteger(seconds) && seconds >= 0)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips any date rendered by toUTCString (IMF-fixdate)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 365 * 86_400 }), (offsetSeconds) => {
        const header = new Date(NOW + offsetSeconds * 1000).toUTCString();
        expect(parseRetryAfter(header, NOW)).toBe(offsetSeconds);
      }),
    );
  });
});
