/**
 * The store and browser benches' table: Kiln, automerge-repo and OrbitDB 4 side by side, rates per
 * second, each reference with its kiln/x ratio (above 1: Kiln does more per second), and issue 16's
 * goal for the row: each ratio at least 1.5x.
 */
import { GOALS, ratioGoal } from './goals.js'

const WIDTHS = [22, 24, 27, 16, 31, 14]

export const COMPARISON_HEADER = line(['', 'kiln (signed, verified)', 'automerge-repo (unsigned)', 'kiln/automerge', 'OrbitDB 4 Documents (signed)', 'kiln/orbitdb', `  goal: each ratio ≥ ${GOALS.localRatio}x`])

/**
 * One row of rates; a peer left undefined leaves its two cells empty (it has no such figure, or
 * was not run), and the row's ratio goal is then judged on the peers that ran.
 */
export function comparisonRow (name: string, kiln: number, automerge: number | undefined, orbitdb: number | undefined): string {
  const peers = [automerge, orbitdb]
  const cells = peers.flatMap((peer) => peer == null ? ['', ''] : [num(peer), ratio(kiln, peer)])
  const ratios = peers.filter((peer): peer is number => peer != null).map((peer) => kiln / peer)
  return line([name, num(kiln), ...cells, `  ${ratios.length === 0 ? 'no peer run' : ratioGoal(ratios)}`])
}

export function ratio (a: number, b: number): string {
  return `${(a / b).toFixed(2)}x`
}

function num (n: number): string {
  return n.toLocaleString('en-US')
}

function line (cells: string[]): string {
  // The last cell (the goal) is left-aligned, after the figures.
  return '  ' + cells.map((cell, i) => i === 0 ? cell.padEnd(WIDTHS[0]) : i === cells.length - 1 ? cell : cell.padStart(WIDTHS[i])).join('')
}
