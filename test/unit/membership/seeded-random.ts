/** mulberry32: a small seeded PRNG so fuzz and round-trip inputs are reproducible. */
export function seededRandom(seed: number): { next(): number; int(max: number): number; bytes(n: number): Uint8Array } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number): number => Math.floor(next() * max);
  return { next, int, bytes: (n) => Uint8Array.from({ length: n }, () => int(256)) };
}
