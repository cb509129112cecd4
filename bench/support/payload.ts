/**
 * The event payload every benchmark publishes or delivers: a typical small webhook (a directory-sync
 * user update), about 300 bytes as an envelope, varied by index so no two events are identical.
 */
export function samplePayload(i: number): Record<string, unknown> {
  return {
    user: { id: `usr_${String(i).padStart(8, '0')}`, email: `user${i}@example.com`, name: 'Ada Lovelace', roles: ['admin', 'billing'] },
    directory: 'dir_01HZX9Q4T7',
    changes: { name: { from: 'Ada Byron', to: 'Ada Lovelace' } },
  };
}
