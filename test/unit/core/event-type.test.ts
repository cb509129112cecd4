import { describe, expect, it } from 'vitest';
import { EVENT_TYPE_PATTERN, isValidEventType, isValidEventTypePattern, matchesEventType } from '../../../lambdas/core/event-type';

describe('isValidEventType', () => {
  it.each(['a', 'user.created', 'dir_sync.user.update.success', 'A-b:c_d.e', '123', 'x'.repeat(128), 'herald.test'])('accepts %o', (type) => {
    expect(isValidEventType(type)).toBe(true);
    expect(EVENT_TYPE_PATTERN.test(type)).toBe(true);
  });

  it.each(['', 'x'.repeat(129), 'user created', 'user/created', '*', 'user.*', 'é', 'a\n', 'a,b'])('refuses %o', (type) => {
    expect(isValidEventType(type)).toBe(false);
  });
});

describe('isValidEventTypePattern', () => {
  it.each(['*', 'user.created', 'dir_sync.*', 'a.*', 'a.b.*', `${'x'.repeat(126)}.*`, 'x'.repeat(128)])('accepts %o', (pattern) => {
    expect(isValidEventTypePattern(pattern)).toBe(true);
  });

  it.each(['', '**', '.*', 'dir_*', '*.created', 'a.*.b', 'a*', 'a.**', 'a .*', `${'x'.repeat(127)}.*`, 'x'.repeat(129)])(
    'refuses %o',
    (pattern) => {
      expect(isValidEventTypePattern(pattern)).toBe(false);
    },
  );
});

describe('matchesEventType', () => {
  it.each([
    // patterns, type, matches
    [['*'], 'anything.at.all', true],
    [['user.created'], 'user.created', true],
    [['user.created'], 'user.created.v2', false],
    [['user.created'], 'User.created', false],
    [['user.created'], 'user', false],
    [['dir_sync.*'], 'dir_sync.user', true],
    [['dir_sync.*'], 'dir_sync.user.update.success', true],
    [['dir_sync.*'], 'dir_sync', false],
    [['dir_sync.*'], 'dir_syncer.user', false],
    [['dir_sync.*'], 'other.dir_sync.user', false],
    [['dir_sync.user.*'], 'dir_sync.group.created', false],
    [['a.*', 'b.created'], 'b.created', true],
    [['a.*', 'b.created'], 'a.x', true],
    [['a.*', 'b.created'], 'b.deleted', false],
    [[], 'user.created', false],
  ] as [string[], string, boolean][])('%o / %o → %s', (patterns, type, expected) => {
    expect(matchesEventType(patterns, type)).toBe(expected);
  });
});
