import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The core is pure: no AWS SDK, no network or file system, clock and randomness passed in.
// node:crypto is allowed for HMAC in signing.ts only.
const CORE = join(import.meta.dirname, '../../../lambdas/core');
const FORBIDDEN = /^(@aws-sdk\/|aws-sdk|(node:)?(http|https|http2|net|tls|dns|dgram|fs|fs\/promises|child_process|worker_threads)$)/;

function imports(source: string): string[] {
  return [...source.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => m[1] ?? m[2] ?? m[3] ?? '',
  );
}

describe('lambdas/core purity', () => {
  const files = readdirSync(CORE).filter((f) => f.endsWith('.ts'));

  it('finds the core files', () => {
    expect(files).toEqual(expect.arrayContaining(['classify.ts', 'decide.ts', 'policy.ts', 'signing.ts', 'target.ts']));
  });

  it.each(files)('%s imports no AWS SDK, network or file-system module', (file) => {
    const modules = imports(readFileSync(join(CORE, file), 'utf8'));
    expect(modules.filter((m) => FORBIDDEN.test(m))).toEqual([]);
    const crypto = modules.filter((m) => m === 'node:crypto' || m === 'crypto');
    expect(crypto).toEqual(file === 'signing.ts' ? ['node:crypto'] : []);
  });

  it('detects a forbidden import (the check itself works)', () => {
    expect(imports("import { x } from '@aws-sdk/client-sqs';\nimport type { Y } from './model';").filter((m) => FORBIDDEN.test(m))).toEqual([
      '@aws-sdk/client-sqs',
    ]);
    expect(imports("const a = await import('node:http');").filter((m) => FORBIDDEN.test(m))).toEqual(['node:http']);
  });
});
