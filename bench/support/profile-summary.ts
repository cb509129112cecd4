/**
 * Where the time goes in a V8 CPU profile (`node --cpu-prof`): self time by file and by function,
 * and inclusive time by function, as percentages of the sampled time. Used to explain a benchmark
 * figure that misses its target:
 *
 *   node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/run.ts --only delivery-overhead
 *   npx tsx bench/support/profile-summary.ts /tmp/prof/<largest>.cpuprofile [rows]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** [name, share of the total in %], largest first. */
  readonly selfByFile: readonly (readonly [string, number])[];
  readonly selfByFunction: readonly (readonly [string, number])[];
  readonly inclusiveByFunction: readonly (readonly [string, number])[];
}

function shortUrl(url: string, root: string): string {
  return url.replace(root, '').replace(/.*node_modules\//, 'node_modules/');
}

/** Sums the samples of a profile by file and function; a function counts once per sample however often it recurs in the stack. */
export function summarizeProfile(profile: CpuProfile, root = pathToFileURL(process.cwd()).href + '/'): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfTime.values()].reduce((a, b) => a + b, 0);
  const name = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url, root)}:${n.callFrame.lineNumber + 1}`;
  const add = (map: Map<string, number>, key: string, t: number) => map.set(key, (map.get(key) ?? 0) + t);
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, t] of selfTime) {
    const node = byId.get(id)!;
    add(byFunction, name(node), t);
    add(byFile, shortUrl(node.callFrame.url, root) || node.callFrame.functionName, t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const key = name(byId.get(cur)!);
      if (!seen.has(key)) {
        seen.add(key);
        add(inclusive, key, t);
      }
    }
  }
  const ranked = (map: Map<string, number>) =>
    [...map].sort((a, b) => b[1] - a[1]).map(([k, t]) => [k, total === 0 ? 0 : (100 * t) / total] as const);
  return { totalMs: total / 1000, selfByFile: ranked(byFile), selfByFunction: ranked(byFunction), inclusiveByFunction: ranked(inclusive) };
}

function main(): void {
  const [file, rowsArg] = process.argv.slice(2);
  if (file === undefined) {
    console.error('usage: tsx bench/support/profile-summary.ts <file.cpuprofile> [rows]');
    process.exit(2);
  }
  const rows = Number(rowsArg ?? 30);
  const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  const print = (title: string, list: ProfileSummary['selfByFile']) => {
    console.log(`--- ${title}`);
    for (const [key, pct] of list.slice(0, rows)) console.log(`${pct.toFixed(1).padStart(5)}%  ${key}`);
  };
  console.log(`sampled ${summary.totalMs.toFixed(0)} ms`);
  print('self time by file', summary.selfByFile);
  print('self time by function', summary.selfByFunction);
  print('inclusive time by function', summary.inclusiveByFunction);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
