/**
 * A three-way merge of JSON content by path: what a device's lost branch changed since the
 * branches' common ancestor is carried onto the winning branch, unless the winner changed the
 * same path to something else. Then the winner's value stands (the conflict rule has spoken) and
 * the clash is reported, so the app can tell the user and let them choose.
 */

/** Both branches changed one path to different values; `theirs` (the winner's) is what the merge kept. */
export interface MergeConflict {
  /** JSON Pointer of the path (`/title`, `/tags/0`; `` for the whole content). */
  path: string
  base: unknown
  mine: unknown
  theirs: unknown
}

export interface MergeResult {
  merged: unknown
  conflicts: MergeConflict[]
}

/** Merges `mine` into `theirs`, both descendants of `base`. Pure: no input is changed. */
export function mergeContent (base: unknown, mine: unknown, theirs: unknown): MergeResult {
  const conflicts: MergeConflict[] = []
  const merged = mergeAt('', base, mine, theirs, conflicts)
  return { merged, conflicts }
}

function mergeAt (path: string, base: unknown, mine: unknown, theirs: unknown, conflicts: MergeConflict[]): unknown {
  if (sameJson(mine, base) || sameJson(mine, theirs)) return theirs
  if (sameJson(theirs, base)) return mine
  if (isObject(mine) && isObject(theirs) && (base === undefined || isObject(base))) {
    const from = (base ?? {}) as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (const key of new Set([...Object.keys(theirs), ...Object.keys(mine), ...Object.keys(from)])) {
      const value = mergeAt(`${path}/${escapeKey(key)}`, from[key], mine[key], theirs[key], conflicts)
      if (value !== undefined) out[key] = value
    }
    return out
  }
  if (Array.isArray(base) && Array.isArray(mine) && Array.isArray(theirs)) {
    // Both sides only appended (a list each device added to): keep every addition, the winner's first.
    if (startsWith(mine, base) && startsWith(theirs, base)) {
      const added = mine.slice(base.length)
      // Already carried by an earlier merge (it ends the winner's list): merging again adds nothing,
      // so a lost branch compared with the merged tip (node/conflicts.ts) shows no change left over.
      return endsWith(theirs, added) ? theirs : [...theirs, ...added]
    }
  }
  conflicts.push({ path, base, mine, theirs })
  return theirs
}

function isObject (value: unknown): value is Record<string, unknown> {
  return value != null && typeof value === 'object' && !Array.isArray(value)
}

function startsWith (list: unknown[], prefix: unknown[]): boolean {
  return list.length >= prefix.length && prefix.every((item, i) => sameJson(item, list[i]))
}

function endsWith (list: unknown[], suffix: unknown[]): boolean {
  return startsWith(list.slice(list.length - suffix.length), suffix)
}

/** Equal as JSON (key order ignored); `undefined` stands for "absent". */
export function sameJson (a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameJson(item, b[i]))
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a).filter((k) => a[k] !== undefined)
    return keys.length === Object.keys(b).filter((k) => b[k] !== undefined).length && keys.every((k) => sameJson(a[k], b[k]))
  }
  return false
}

/** JSON Pointer escaping (RFC 6901). */
const escapeKey = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1')
