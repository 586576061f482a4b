/** A seeded random source for tests that print their seed: the same seed, the same choices. */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64'
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'

export interface Random {
  /** A number in [0, 1). */
  next: () => number
  /** An integer in [0, n) (0 when n < 1). */
  int: (n: number) => number
  pick: <T>(items: readonly T[]) => T
  /** A new array: the items in a random order. */
  shuffled: <T>(items: readonly T[]) => T[]
}

export function seededRandom (seed: number): Random {
  const rng = xoroshiro128plus(seed)
  // Every call draws, whatever n: a choice among no items must not shift the choices after it.
  const int = (n: number): number => Math.floor(uniformFloat64(rng) * Math.max(0, Math.floor(n)))
  return {
    next: () => uniformFloat64(rng),
    int,
    pick: (items) => items[int(items.length)],
    shuffled: (items) => {
      const out = [...items]
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(i + 1)
        ;[out[i], out[j]] = [out[j], out[i]]
      }
      return out
    }
  }
}
