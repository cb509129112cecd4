import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../lambdas/core/duration';

describe('parseDuration', () => {
  it.each([
    ['90s', 90],
    ['0s', 0],
    ['5m', 300],
    ['1h', 3600],
    ['1d', 86_400],
    ['7d', 604_800],
    ['24h', 86_400],
    ['90', 90],
    ['0', 0],
    [0, 0],
    [1, 1],
    [3600, 3600],
  ] as const)('%o → %d seconds', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each([
    '',
    ' ',
    's',
    '-5s',
    '+5s',
    '1.5h',
    '5 m',
    ' 5m',
    '5m ',
    '5M',
    '1w',
    '1h30m',
    '5ms',
    'abc',
    '1e3',
    '0x10',
    '9999999999999999d',
    -1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.MAX_SAFE_INTEGER + 1,
  ])('%o is invalid', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });

  it('never throws and returns a non-negative integer or undefined', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.double(), fc.integer()), (value) => {
        const seconds = parseDuration(value);
        expect(seconds === undefined || (Number.isSafeInteger(seconds) && seconds >= 0)).toBe(true);
      }),
    );
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [1, '1s'],
    [30, '30s'],
    [90, '1m30s'],
    [300, '5m'],
    [3600, '1h'],
    [3630, '1h30s'],
    [86_400, '1d'],
    [154_830, '1d19h30s'],
    [259_200, '3d'],
    [12.4, '12s'],
    [-5, '0s'],
  ])('%d → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('round-trips through parseDuration for single units', () => {
    for (const text of ['45s', '5m', '2h', '3d']) {
      expect(formatDuration(parseDuration(text) ?? -1)).toBe(text);
    }
  });
});
