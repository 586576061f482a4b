import type { Operation } from 'fast-json-patch'
import type { CID } from 'multiformats/cid'
import type { Conflict, ConflictSide } from '../api/types.js'
import type { RawCommit } from '../commits/decode.js'
import { diffContent } from '../commits/data.js'
import { InvalidInputError } from '../errors.js'
import type { StreamRecord } from '../store/store.js'
import { mergeContent, sameJson } from '../streams/merge.js'
import type { StreamState } from '../streams/state.js'

/**
 * Open conflicts of a stream, derived from its commits alone, so every node that holds both
 * branches reports the same ones (a node that cannot sign for the stream too) and a resolution
 * written anywhere closes them everywhere:
 * - every branch tip other than the canonical one is compared with it by a three-way merge from
 *   their common ancestor; a path both changed to different values, where the canonical content
 *   does not show the other branch's value, is a conflict (what the merge could not settle);
 * - a change of the other branch that would merge but that the canonical content does not show
 *   (the stream's schema refused the merge, or no node could sign it yet) is one too;
 * - a canonical commit after the fork that `test`s the path is a resolution: it closes it. A
 *   `test` changes no content and is plain JSON Patch, so the resolution is an ordinary commit
 *   that Ceramic's handlers accept; Kiln's own writes never test, its resolutions always do.
 *   The `test` names the branch tips it settles (`settles`: JSON Patch ignores members an
 *   operation does not define), so a branch the resolver had not seen yet, such as a device that
 *   was away, is still reported; a `test` without the list settles every branch at its path.
 */
export interface ConflictContext {
  stateAt: (record: StreamRecord, tip: string) => Promise<StreamState>
  loadCommit: (cid: CID) => Promise<RawCommit>
}

export async function openConflicts (record: StreamRecord, ctx: ConflictContext): Promise<Conflict[]> {
  if (record.tips.length < 2) return []
  const canonical = await ctx.stateAt(record, record.tip)
  const found: Conflict[] = []
  for (const tip of record.tips) {
    if (tip === record.tip) continue
    const other = await ctx.stateAt(record, tip)
    const fork = canonical.log.findIndex((entry, i) => !entry.cid.equals(other.log[i]?.cid ?? entry.cid))
    // A tip the canonical log contains, or one that extends it, is no fork.
    if (fork <= 0) continue
    const base = await ctx.stateAt(record, canonical.log[fork - 1].cid.toString())
    const { merged, conflicts } = mergeContent(base.content, other.content, canonical.content)
    // Changes of the other branch that would merge but the content does not show: a merge the
    // stream refused (its schema) or that no node could sign yet. Reported too, never dropped.
    const clashing = new Set(conflicts.map((c) => c.path))
    const unmerged = [...new Set(diffContent(canonical.content, merged).map((op) => op.path))].filter((path) => !clashing.has(path))
      .map((path) => ({ path, base: valueAt(base.content, path), theirs: valueAt(canonical.content, path), mine: valueAt(merged, path) }))
    const open = [...conflicts, ...unmerged]
    if (open.length === 0) continue
    const resolutions = await resolutionsIn(canonical.log.slice(fork).map((e) => e.cid), ctx)
    const sides = await Promise.all([sideOf(canonical, ctx), sideOf(other, ctx)])
    for (const conflict of open) {
      if (await settled(resolutions.get(conflict.path), conflict.path, record, other, ctx)) continue
      found.push({
        stream: record.id,
        path: conflict.path,
        base: conflict.base,
        shown: { ...sides[0], value: conflict.theirs },
        other: { ...sides[1], value: conflict.mine }
      })
    }
  }
  // Branch tips are kept in the order each node received them: sort so every node lists the same.
  return found.sort((a, b) => compare(a.path, b.path) || compare(a.other.commit, b.other.commit))
}

const compare = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0

/** A resolution's `test`: the branch tips it settles (none listed: every branch at its path). */
type ResolutionMarker = Operation & { settles?: unknown }

/** What these commits' `test`s settled, by path: a list of tips per resolution, `undefined` for all. */
async function resolutionsIn (cids: CID[], ctx: ConflictContext): Promise<Map<string, Array<string[] | undefined>>> {
  const byPath = new Map<string, Array<string[] | undefined>>()
  for (const cid of cids) {
    const commit = await ctx.loadCommit(cid)
    if (commit.kind !== 'data' || !Array.isArray(commit.payload.data)) continue
    for (const op of commit.payload.data as ResolutionMarker[]) {
      if (op.op !== 'test') continue
      const settles = Array.isArray(op.settles) ? op.settles.filter((tip): tip is string => typeof tip === 'string') : undefined
      byPath.set(op.path, [...(byPath.get(op.path) ?? []), settles])
    }
  }
  return byPath
}

/**
 * Whether a resolution settled this branch's change at `path`: it named a tip of the branch at
 * which the branch already held the value it holds now (what the resolver saw and chose against).
 */
async function settled (resolutions: Array<string[] | undefined> | undefined, path: string, record: StreamRecord, branch: StreamState, ctx: ConflictContext): Promise<boolean> {
  const now = valueAt(branch.content, path)
  for (const settles of resolutions ?? []) {
    if (settles == null) return true
    for (const tip of settles) {
      if (!branch.log.some((entry) => entry.cid.toString() === tip)) continue
      if (sameJson(valueAt((await ctx.stateAt(record, tip)).content, path), now)) return true
    }
  }
  return false
}

/** A branch's tip and who signed it: the account (a CACAO's issuer) or the signing did:key. */
async function sideOf (state: StreamState, ctx: ConflictContext): Promise<Omit<ConflictSide, 'value'>> {
  const tip = state.log[state.log.length - 1].cid
  const commit = await ctx.loadCommit(tip)
  const signature = commit.kind === 'time' ? undefined : commit.signature
  const author = signature?.capability?.p.iss ?? signature?.envelope.header.kid.split('#')[0]
  return author == null ? { commit: tip.toString() } : { commit: tip.toString(), author }
}

/**
 * The patch that resolves a conflict at `path`: a `test` of what the content shows now (the
 * marker every node reads, naming the branch tips it settles), then the change to the chosen
 * value; `value` undefined removes it.
 */
export function resolutionPatch (content: unknown, path: string, value: unknown, settles: string[]): Operation[] {
  if (typeof path !== 'string' || (path !== '' && !path.startsWith('/'))) throw new InvalidInputError(`Not a JSON Pointer: ${String(path)}`, { path })
  // A value needs somewhere to go: inside an object the content no longer has, the caller should
  // resolve the object instead (the conflict is reported at its path).
  const parent = valueAt(content, path.slice(0, path.lastIndexOf('/')))
  if (path !== '' && (parent == null || typeof parent !== 'object')) throw new InvalidInputError(`Nothing holds ${path} in the content now`, { path })
  const current = valueAt(content, path)
  // `test` needs a value to compare: an absent path is added and removed around it (no net change).
  const marker: ResolutionMarker[] = current === undefined
    ? [{ op: 'add', path, value: null }, { op: 'test', path, value: null, settles }, { op: 'remove', path }]
    : [{ op: 'test', path, value: current, settles }]
  if (sameJson(current, value)) return marker
  if (value === undefined) return [...marker, { op: 'remove', path }]
  return [...marker, { op: current === undefined ? 'add' : 'replace', path, value }]
}

function valueAt (content: unknown, path: string): unknown {
  if (path === '') return content
  let value = content
  for (const raw of path.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (value == null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}
