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

/**
 * A payload of about `bytes` bytes as JSON (Cryptr's example event is about 4 KB): the sample payload with a list of
 * audit entries appended until it is that large.
 */
export function largePayload(i: number, bytes: number): Record<string, unknown> {
  const payload: Record<string, unknown> = { ...samplePayload(i), audit: [] as string[] };
  const audit = payload.audit as string[];
  while (JSON.stringify(payload).length < bytes) audit.push(`2030-01-01T00:00:${String(audit.length % 60).padStart(2, '0')}Z attribute updated by scim-sync`);
  return payload;
}
