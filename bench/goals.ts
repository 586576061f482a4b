/**
 * Issue 16's goals, in one place, and how a bench prints a figure against one: each bench prints
 * the goal beside the figure it measures, met or not, and how far off. The absolute goals were set
 * on a faster machine than today's (see the README's bench section); the ratios are the same there.
 */
export const GOALS = {
  /** Node, stream core: build + sign + verify + fold, commits/s. */
  corePerSec: 5000,
  /** Chromium, 16 writers at once, durable commits/s. */
  chromiumWritersPerSec: 3000,
  /** Chromium, a batch of 10,000 creates (writeMany), commits/s. */
  chromiumBatchPerSec: 5000,
  /** Chromium, one update after another, page call to durable, p50 ms. */
  chromiumUpdateP50Ms: 2,
  /** A fresh node catching up 50,000 commits from a server, commits/s. */
  catchUpPerSec: 4000,
  /** The first commit of that catch-up stored, ms after the dial. */
  firstCommitMs: 500,
  /** An update A → server → B, p50 and p99 ms (and ahead of both peers). */
  liveP50Ms: 8,
  liveP99Ms: 20,
  /** Every local figure against OrbitDB and automerge-repo, kiln/x. */
  localRatio: 1.5
} as const

/** `goal ≥ 5,000/s: not met (14% of it)` for a figure where more is better. */
export function atLeast (measured: number, goal: number, unit = '/s'): string {
  const met = measured >= goal
  return `goal ≥ ${goal.toLocaleString('en-US')}${unit}: ${met ? 'met' : `not met (${percent(measured / goal)} of it)`}`
}

/** `goal ≤ 2 ms: not met (4.2x it)` for a figure where less is better. */
export function atMost (measured: number, goal: number, unit = ' ms'): string {
  const met = measured <= goal
  return `goal ≤ ${goal.toLocaleString('en-US')}${unit}: ${met ? 'met' : `not met (${(measured / goal).toFixed(1)}x it)`}`
}

/** The local-figure goal for one row: each kiln/x ratio at least `GOALS.localRatio`. */
export function ratioGoal (ratios: number[]): string {
  const short = ratios.filter((r) => r < GOALS.localRatio)
  return short.length === 0 ? 'met' : `not met (${short.map((r) => `${r.toFixed(2)}x`).join(', ')})`
}

function percent (fraction: number): string {
  return `${Math.round(fraction * 100)}%`
}
