import { EventType, type LogEntry } from './state.js'

/**
 * js-ceramic's conflict rule (state-manipulator.ts `_pickLogToAccept`), reproduced exactly so that
 * Kiln and Ceramic nodes pick the same tip. Each rule compares the two branches after the point
 * where they diverge and returns the winner, or undefined when it cannot decide.
 */
type Rule = (a: LogEntry[], b: LogEntry[]) => LogEntry[] | undefined

const firstAnchor = (branch: LogEntry[]): number => branch.findIndex((e) => e.type === EventType.TIME)

/** 1. A branch containing an anchor beats one without. */
const anchoredFirst: Rule = (a, b) => {
  const aAnchored = firstAnchor(a) !== -1
  const bAnchored = firstAnchor(b) !== -1
  if (aAnchored === bAnchored) return undefined
  return aAnchored ? a : b
}

/** 2. Both anchored: the earlier first anchor wins. */
const earlierAnchor: Rule = (a, b) => {
  const ia = firstAnchor(a)
  const ib = firstAnchor(b)
  if (ia === -1 || ib === -1) return undefined
  // Compare as JavaScript's `<` does in Ceramic: a missing timestamp becomes NaN (null becomes 0), and
  // NaN is neither earlier nor later, so such a pair falls through to the length rule.
  const ta = Number(a[ia].timestamp)
  const tb = Number(b[ib].timestamp)
  if (ta < tb) return a
  if (tb < ta) return b
  return undefined
}

/** 3. The longer branch wins, counting an anchored branch only up to its first anchor (Ceramic's "holdover"). */
const longerLog: Rule = (a, b) => {
  const la = relevantLength(a)
  const lb = relevantLength(b)
  if (la === lb) return undefined
  return la > lb ? a : b
}

/**
 * 4. Tie-break on the tip CIDs exactly as JavaScript's `<` compares two Uint8Arrays: as their
 * comma-joined decimal strings, not bytewise. The first argument (the local branch in Ceramic)
 * wins when its string is smaller.
 */
const tipCidTieBreak: Rule = (a, b) => {
  const ta = a.length === 0 ? '' : a[a.length - 1].cid.bytes.join(',')
  const tb = b.length === 0 ? '' : b[b.length - 1].cid.bytes.join(',')
  return ta < tb ? a : b
}

function relevantLength (branch: LogEntry[]): number {
  const i = firstAnchor(branch)
  return i === -1 ? branch.length : i + 1
}

const RULES: Rule[] = [anchoredFirst, earlierAnchor, longerLog, tipCidTieBreak]

/** Of two full logs of one stream (each from genesis), the one Ceramic would accept. */
export function pickCanonicalLog (local: LogEntry[], remote: LogEntry[]): LogEntry[] {
  const fork = divergence(local, remote)
  const a = local.slice(fork)
  const b = remote.slice(fork)
  for (const rule of RULES) {
    const winner = rule(a, b)
    if (winner != null) return winner === a ? local : remote
  }
  return local
}

/** The canonical log among any number of branches. All branches stay stored; this only picks one. */
export function pickCanonicalAmong (branches: LogEntry[][]): LogEntry[] {
  if (branches.length === 0) throw new TypeError('No branches to choose from')
  // A fixed order keeps the outcome independent of the order branches arrived in.
  const ordered = [...branches].sort((x, y) => compareStrings(tipKey(x), tipKey(y)))
  return ordered.reduce((best, next) => pickCanonicalLog(best, next))
}

function divergence (a: LogEntry[], b: LogEntry[]): number {
  let i = 0
  while (i < a.length && i < b.length && a[i].cid.equals(b[i].cid)) i++
  return i
}

function tipKey (branch: LogEntry[]): string {
  return branch[branch.length - 1].cid.toString()
}

function compareStrings (x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0
}
