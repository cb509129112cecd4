/**
 * Seeded randomness for the reliability suite: the same seed gives the same events, the same receiver answers
 * and the same fuzz cases, so a failure can be replayed exactly (`HERALD_RELIABILITY_SEED=<n>`).
 */

/** The suite's seed: `HERALD_RELIABILITY_SEED` when set, else the fixed default. */
export function suiteSeed(fallback = 20_250_701): number {
  const raw = process.env.HERALD_RELIABILITY_SEED;
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`HERALD_RELIABILITY_SEED must be an integer, got "${raw}"`);
  return n;
}

/** 32-bit FNV-1a of a string: turns a key (seed, path, id, attempt) into a PRNG seed. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: a small, fast PRNG with a 32-bit state; uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Picks one of `choices` with probability proportional to its weight. */
export function weighted<T>(random: () => number, choices: readonly (readonly [weight: number, value: T])[]): T {
  const total = choices.reduce((sum, [w]) => sum + w, 0);
  let x = random() * total;
  for (const [w, value] of choices) {
    if (x < w) return value;
    x -= w;
  }
  return choices[choices.length - 1]![1];
}
