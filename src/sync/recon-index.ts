/**
 * The set Recon reconciles: one EventId per commit this node holds, in EventId order, with the
 * stream and commit each names. Keys (core/src/event_id.rs layout, ids/event-id.ts):
 *   network = NETWORK.INMEMORY unless given; sepKey 'model' + the Model's StreamID bytes for a MID,
 *   else 'controller' + utf8(controller) — so the keys of one Model (or one controller's non-model
 *   streams) are contiguous and an interest can later be a key range; controller = the stream's
 *   controller DID; init = the genesis CID; event = the commit CID.
 * Built from the node's commit records at start (every stream, every branch) and kept current
 * through `onCommit`, which names each run's commits. Held in a sorted array: a range's count and Sha256a cost O(range),
 * which is fine for tens of thousands of keys; a tree with per-node sums is the next step.
 */
import { CID } from 'multiformats/cid'
import { EVENT_ID_MAX, EVENT_ID_MIN, NETWORK, compareEventIds, createEventId, eventIdRange } from '../ids/event-id.js'
import { StreamID } from '../ids/index.js'
import type { CommitEvent, StreamNode } from '../node/stream-node.js'
import type { SyncInterest } from './interests.js'
import { allHeads } from './local-streams.js'
import { sha256aAdd, sha256aOf, sha256aZero } from './sha256a.js'

export interface ReconValue { stream: string, cid: string }
export interface ReconEntry extends ReconValue { key: Uint8Array }
export interface RangeSummary { count: number, hash: Uint32Array }

export interface ReconIndex {
  readonly size: number
  has: (key: Uint8Array) => boolean
  hasCommit: (cid: string) => boolean
  /** Count and Sha256a of the keys in [first, last). */
  summary: (first: Uint8Array, last: Uint8Array) => RangeSummary
  /** The keys in [first, last), at most `limit`. */
  list: (first: Uint8Array, last: Uint8Array, limit: number) => ReconEntry[]
  /** Up to `parts - 1` keys that cut [first, last) into parts of near-equal count. */
  splitPoints: (first: Uint8Array, last: Uint8Array, parts: number) => Uint8Array[]
  /** Settles once every commit announced so far is indexed. */
  idle: () => Promise<void>
  stop: () => void
}

const utf8 = new TextEncoder()
/** A key (or any bytes) as hex: how keys are looked up in maps and sets. */
export const hex = (key: Uint8Array): string => { let s = ''; for (const b of key) s += b.toString(16).padStart(2, '0'); return s }

/** The EventId of one commit of a stream (the layout documented above). */
export function eventIdFor (stream: { id: string, controller: string, model?: string }, cid: string, network: number = NETWORK.INMEMORY): Uint8Array {
  const id = StreamID.fromString(stream.id)
  return createEventId({
    network,
    sepKey: stream.model != null ? 'model' : 'controller',
    sepValue: stream.model != null ? StreamID.fromString(stream.model).bytes : utf8.encode(stream.controller),
    controller: stream.controller,
    initCid: id.cid,
    eventCid: CID.parse(cid)
  })
}

export interface KeyRange { first: Uint8Array, last: Uint8Array }

/** Every key. */
export const FULL_RANGE: KeyRange = { first: EVENT_ID_MIN, last: EVENT_ID_MAX }

/**
 * The key range an interest covers, when it is one: every stream, one Model's instances, or one
 * controller's instances of a Model. Other interests (a controller across Models, a family, a
 * schema, stream ids) are not contiguous in EventId order; heads sync serves them.
 */
export function reconRangeOf (interest: SyncInterest, network: number = NETWORK.INMEMORY): KeyRange | undefined {
  if (interest.streams != null || interest.family != null || interest.schema != null) return undefined
  if (interest.model == null) return interest.controller == null ? FULL_RANGE : undefined
  return eventIdRange({ network, sepKey: 'model', sepValue: StreamID.fromString(interest.model).bytes, controller: interest.controller })
}

export interface ReconIndexInit {
  node: StreamNode
  network?: number
  log: (format: string, ...args: unknown[]) => void
}

export function createReconIndex (init: ReconIndexInit): ReconIndex {
  const { node, log } = init
  const network = init.network ?? NETWORK.INMEMORY
  let keys: Uint8Array[] = []
  /** Each key's Sha256a lanes, at the key's position in `keys`. */
  let lanes: Uint32Array[] = []
  const values = new Map<string, ReconValue>()
  const commits = new Set<string>()
  let pending: Promise<void> = Promise.resolve()

  /** First position whose key is ≥ `key`. */
  const lowerBound = (key: Uint8Array): number => {
    let lo = 0
    let hi = keys.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compareEventIds(keys[mid], key) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  const remember = (key: Uint8Array, value: ReconValue): void => {
    values.set(hex(key), value)
    commits.add(value.cid)
  }

  /**
   * Keys added since the sorted arrays were last read: merged in one pass when a session next reads
   * (a catch-up adds thousands in between; inserting each in place would move the array each time).
   */
  let unsorted: Uint8Array[] = []

  const insert = (key: Uint8Array, value: ReconValue): boolean => {
    if (values.has(hex(key))) return false
    unsorted.push(key)
    remember(key, value)
    return true
  }

  const settle = (): void => {
    if (unsorted.length === 0) return
    const added = unsorted.sort(compareEventIds)
    unsorted = []
    const mergedKeys: Uint8Array[] = []
    const mergedLanes: Uint32Array[] = []
    let i = 0
    for (const key of added) {
      while (i < keys.length && compareEventIds(keys[i], key) < 0) { mergedKeys.push(keys[i]); mergedLanes.push(lanes[i]); i++ }
      mergedKeys.push(key)
      mergedLanes.push(sha256aOf(key))
    }
    for (; i < keys.length; i++) { mergedKeys.push(keys[i]); mergedLanes.push(lanes[i]) }
    keys = mergedKeys
    lanes = mergedLanes
  }

  // Built in the background from the store's commit records (no block is read), sorted once;
  // sessions wait for it (idle). Runs the node accepts meanwhile are indexed after it, one after
  // another, in the order the node accepted them (a run the build already saw adds nothing).
  async function build (): Promise<void> {
    const built: Array<{ key: Uint8Array, value: ReconValue }> = []
    for await (const heads of allHeads(node)) {
      for (const { cid } of await node.commits(heads.id)) built.push({ key: eventIdFor(heads, cid, network), value: { stream: heads.id, cid } })
    }
    built.sort((a, b) => compareEventIds(a.key, b.key))
    for (const { key, value } of built) {
      keys.push(key)
      lanes.push(sha256aOf(key))
      remember(key, value)
    }
  }
  // The event names the run's commits: indexing them reads no block (a catch-up lands thousands).
  const off = node.onCommit((event: CommitEvent) => {
    pending = pending.then(() => {
      for (const cid of event.commits) insert(eventIdFor(event, cid, network), { stream: event.id, cid })
    }).catch((err: unknown) => {
      log('could not index %s at %s: %s', event.id, event.tip, (err as Error).message)
    })
  })
  // A forgotten stream's keys go, so a later session asks peers for it again.
  const offForget = node.onForget((id) => {
    pending = pending.then(() => {
      settle()
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = hex(keys[i])
        const value = values.get(key)
        if (value?.stream !== id) continue
        keys.splice(i, 1)
        lanes.splice(i, 1)
        values.delete(key)
        commits.delete(value.cid)
      }
    })
  })
  pending = build().catch((err: unknown) => { log('could not build the index: %s', (err as Error).message) })

  const slice = (first: Uint8Array, last: Uint8Array): [number, number] => {
    settle()
    return [lowerBound(first), Math.max(lowerBound(first), lowerBound(last))]
  }

  return {
    get size () { return keys.length + unsorted.length },
    has: (key) => values.has(hex(key)),
    hasCommit: (cid) => commits.has(cid),
    summary (first, last) {
      const [from, to] = slice(first, last)
      const hash = sha256aZero()
      for (let i = from; i < to; i++) sha256aAdd(hash, lanes[i])
      return { count: to - from, hash }
    },
    list (first, last, limit) {
      const [from, to] = slice(first, last)
      return keys.slice(from, Math.min(to, from + limit)).map((key) => ({ key, ...(values.get(hex(key)) as ReconValue) }))
    },
    splitPoints (first, last, parts) {
      const [from, to] = slice(first, last)
      const cuts: Uint8Array[] = []
      for (let p = 1; p < parts; p++) {
        const at = from + Math.floor((to - from) * p / parts)
        if (at > from && at < to && (cuts.length === 0 || cuts[cuts.length - 1] !== keys[at])) cuts.push(keys[at])
      }
      return cuts
    },
    idle: async () => { await pending },
    stop: () => { off(); offForget() }
  }
}
