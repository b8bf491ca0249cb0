import { seededRandom as mulberry32 } from '../../../src/membership/index.js';

/** Seeded random helpers so fuzz and round-trip inputs are reproducible. */
export function seededRandom(seed: number): { next(): number; int(max: number): number; bytes(n: number): Uint8Array } {
  const next = mulberry32(seed);
  const int = (max: number): number => Math.floor(next() * max);
  return { next, int, bytes: (n) => Uint8Array.from({ length: n }, () => int(256)) };
}
