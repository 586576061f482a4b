/**
 * The store and browser benches' table: Kiln, automerge-repo and OrbitDB 4 side by side, rates per
 * second, each reference with its kiln/x ratio (above 1: Kiln does more per second).
 */
const WIDTHS = [22, 24, 27, 16, 31, 14]

export const COMPARISON_HEADER = line(['', 'kiln (signed, verified)', 'automerge-repo (unsigned)', 'kiln/automerge', 'OrbitDB 4 Documents (signed)', 'kiln/orbitdb'])

/** One row of rates; `automerge` undefined leaves its two cells empty (it has no such figure). */
export function comparisonRow (name: string, kiln: number, automerge: number | undefined, orbitdb: number): string {
  const am = automerge == null ? ['', ''] : [num(automerge), ratio(kiln, automerge)]
  return line([name, num(kiln), ...am, num(orbitdb), ratio(kiln, orbitdb)])
}

export function ratio (a: number, b: number): string {
  return `${(a / b).toFixed(2)}x`
}

function num (n: number): string {
  return n.toLocaleString('en-US')
}

function line (cells: string[]): string {
  return '  ' + cells.map((cell, i) => i === 0 ? cell.padEnd(WIDTHS[0]) : cell.padStart(WIDTHS[i])).join('')
}
