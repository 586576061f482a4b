/**
 * The set Recon reconciles: one EventId per commit this node holds, in EventId order, with the
 * stream and commit each names. Keys (core/src/event_id.rs layout, ids/event-id.ts):
 *   network = NETWORK.INMEMORY unless given; sepKey 'model' + the Model's StreamID bytes for a MID,
 *   else 'controller' + utf8(controller) — so the keys of one Model (or one controller's non-model
 *   streams) are contiguous and an interest can later be a key range; controller = the stream's
 *   genesis's controller DID (one a tile's update changed is not used, as in Ceramic); init = the genesis CID; event = the commit CID.
 * Loaded at start from the keys the store keeps as commits land (Store.listEventKeys, already
 * sorted), or where a store keeps none built from its commit records (every stream, every branch),
 * and kept current through `onCommit`, which names each run's commits. Held in a sorted array: a range's count and Sha256a cost O(range),
 * which is fine for tens of thousands of keys; a tree with per-node sums is the next step.
 */
import { concat } from 'uint8arrays'
import { EVENT_ID_MAX, EVENT_ID_MIN, NETWORK, compareEventIds, eventIdHeader, eventIdRange } from '../ids/event-id.js'
import { StreamID } from '../ids/index.js'
import type { CommitEvent, StreamHeads, StreamNode } from '../node/stream-node.js'
import { eventKeyOf, streamEventIdPart } from '../store/event-keys.js'
import { type EventKeyRecord, MAX_PAGE_SIZE, type Page } from '../store/store.js'
import type { SyncInterest } from './interests.js'
import { allHeads } from './local-streams.js'
import { createLru } from './lru.js'
import { sha256aAdd, sha256aOf, sha256aZero } from './sha256a.js'

export interface ReconValue { stream: string, cid: string }
export interface ReconEntry extends ReconValue { key: Uint8Array }
export interface RangeSummary { count: number, hash: Uint32Array }

export interface ReconIndex {
  readonly size: number
  /** How long loading (or building) it at start took; undefined until it is done (sessions wait for it). */
  readonly loadedInMs: number | undefined
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

const HEX_PAIRS = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))
/** A key (or any bytes) as hex: how keys are looked up in maps and sets (an index build makes one per commit). */
export const hex = (key: Uint8Array): string => { let s = ''; for (let i = 0; i < key.length; i++) s += HEX_PAIRS[key[i]]; return s }

/**
 * Where to cut a run of keys near `at`, above `floor`: where the stream at `at` starts (a stream's
 * keys sit together), so its commits come in one range and land as one run; `at` itself when that
 * stream's keys fill everything down to the floor.
 */
export function streamStart (at: number, floor: number, streamOf: (i: number) => string): number {
  let start = at
  while (start > floor + 1 && streamOf(start - 1) === streamOf(start)) start--
  return start === floor + 1 && streamOf(floor) === streamOf(start) ? at : start
}

/** The EventId of one commit of a stream (the layout documented above). */
export function eventIdFor (stream: StreamKeyFields, cid: string, network: number = NETWORK.INMEMORY): Uint8Array {
  return eventKeyOf(streamPrefix(stream, network), cid)
}

type StreamKeyFields = Pick<StreamHeads, 'id' | 'controller' | 'initController' | 'model'>

/** What every EventId of one stream starts with (all but the commit CID). */
function streamPrefix (stream: StreamKeyFields, network: number): Uint8Array {
  return concat([eventIdHeader(network), streamEventIdPart(stream)])
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

/** Stored keys read at a time at start (the store's largest page). */
const STORED_KEYS_PAGE = MAX_PAGE_SIZE

/** Enough for every stream of a catch-up's pages to hit; a prefix is ~30 bytes. */
const PREFIX_CACHE_SIZE = 20_000

export function createReconIndex (init: ReconIndexInit): ReconIndex {
  const { node, log } = init
  const network = init.network ?? NETWORK.INMEMORY
  // Three arrays in EventId order, one position per commit: the key, its Sha256a lanes, what it names.
  let keys: Uint8Array[] = []
  let lanes: Uint32Array[] = []
  let named: ReconValue[] = []
  /** Every indexed commit CID: a commit belongs to one stream, so its CID stands for its key. */
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

  /**
   * Entries added since the sorted arrays were last read: merged in one pass when a session next reads
   * (a catch-up adds thousands in between; inserting each in place would move the arrays each time).
   */
  let unsorted: ReconEntry[] = []

  const insert = (key: Uint8Array, value: ReconValue): void => {
    if (commits.has(value.cid)) return
    commits.add(value.cid)
    unsorted.push({ key, ...value })
  }

  const settle = (): void => {
    if (unsorted.length === 0) return
    const added = unsorted.sort((a, b) => compareEventIds(a.key, b.key))
    unsorted = []
    const merged: { keys: Uint8Array[], lanes: Uint32Array[], named: ReconValue[] } = { keys: [], lanes: [], named: [] }
    const keep = (i: number): void => { merged.keys.push(keys[i]); merged.lanes.push(lanes[i]); merged.named.push(named[i]) }
    let i = 0
    for (const { key, stream, cid } of added) {
      while (i < keys.length && compareEventIds(keys[i], key) < 0) keep(i++)
      merged.keys.push(key)
      merged.lanes.push(sha256aOf(key))
      merged.named.push({ stream, cid })
    }
    for (; i < keys.length; i++) keep(i)
    keys = merged.keys
    lanes = merged.lanes
    named = merged.named
  }

  /** Each stream's key prefix, kept for the streams seen lately (the build's streams, then live runs). */
  const prefixes = createLru<Uint8Array>(PREFIX_CACHE_SIZE)
  const keyOf = (stream: StreamKeyFields, cid: string): Uint8Array => {
    const fields = `${stream.id} ${stream.initController ?? stream.controller} ${stream.model ?? ''}`
    let prefix = prefixes.get(fields)
    if (prefix == null) prefixes.set(fields, prefix = streamPrefix(stream, network))
    return eventKeyOf(prefix, cid)
  }

  const append = (key: Uint8Array, value: ReconValue): void => {
    if (commits.has(value.cid)) return
    commits.add(value.cid)
    keys.push(key)
    lanes.push(sha256aOf(key))
    named.push(value)
  }

  // Built in the background; sessions wait for it (idle). Runs the node accepts meanwhile are
  // indexed after it, in the order the node accepted them (a run the build already saw adds
  // nothing), and streams forgotten meanwhile leave after it. A store that keeps the keys keeps
  // exactly the held commits' (disk schema 4); else only the commits of streams the node held at
  // the first scan count (a forget may have left a commit record), and a stream stored after that
  // scan comes through onCommit.
  async function build (): Promise<void> {
    if (node.allEventKeys != null) {
      const header = eventIdHeader(network)
      await eachStoredKey(node.allEventKeys, ({ key, stream, cid }) => { append(concat([header, key]), { stream, cid }) })
      return
    }
    const streams = await heldStreams()
    const built: Array<{ key: Uint8Array, value: ReconValue }> = []
    for (const { stream, cid } of await storedCommits()) {
      const fields = streams.get(stream)
      if (fields != null) built.push({ key: keyOf(fields, cid), value: { stream, cid } })
    }
    built.sort((a, b) => compareEventIds(a.key, b.key))
    for (const { key, value } of built) append(key, value)
  }

  async function heldStreams (): Promise<Map<string, StreamKeyFields>> {
    const streams = new Map<string, StreamKeyFields>()
    for await (const heads of allHeads(node)) streams.set(heads.id, { id: heads.id, controller: heads.controller, initController: heads.initController, model: heads.model })
    return streams
  }

  /**
   * Each key the store keeps, in key order (nothing to compute but the header, nothing to sort). The
   * next page is read while this one is hashed: reads wait on the disk, hashing takes the CPU.
   */
  async function eachStoredKey (allEventKeys: NonNullable<StreamNode['allEventKeys']>, each: (record: EventKeyRecord) => void): Promise<void> {
    let page: Promise<Page<EventKeyRecord>> | undefined = allEventKeys({ limit: STORED_KEYS_PAGE })
    while (page != null) {
      const { items, cursor }: Page<EventKeyRecord> = await page
      page = cursor == null ? undefined : allEventKeys({ limit: STORED_KEYS_PAGE, cursor })
      for (const item of items) each(item)
    }
  }

  /** Where the store keeps no keys: its commit records (no block is read). */
  async function storedCommits (): Promise<ReconValue[]> {
    const stored: ReconValue[] = []
    let cursor: string | undefined
    do {
      const page = await node.allCommits({ limit: 1_000, cursor })
      for (const { stream, cid } of page.items) stored.push({ stream, cid })
      cursor = page.cursor
    } while (cursor != null)
    return stored
  }
  // The event names the run's commits: indexing them reads no block (a catch-up lands thousands).
  const off = node.onCommit((event: CommitEvent) => {
    pending = pending.then(() => {
      for (const cid of event.commits) insert(keyOf(event, cid), { stream: event.id, cid })
    }).catch((err: unknown) => {
      log('could not index %s at %s: %s', event.id, event.tip, (err as Error).message)
    })
  })
  // A forgotten stream's keys go, so a later session asks peers for it again.
  const offForget = node.onForget((id) => {
    pending = pending.then(() => {
      settle()
      const kept = named.flatMap((value, i) => value.stream === id ? [] : [i])
      for (const value of named) if (value.stream === id) commits.delete(value.cid)
      keys = kept.map((i) => keys[i])
      lanes = kept.map((i) => lanes[i])
      named = kept.map((i) => named[i])
    })
  })
  const started = performance.now()
  let loadedInMs: number | undefined
  pending = build().catch((err: unknown) => {
    log('could not build the index: %s', (err as Error).message)
  }).finally(() => { loadedInMs = performance.now() - started })

  const slice = (first: Uint8Array, last: Uint8Array): [number, number] => {
    settle()
    return [lowerBound(first), Math.max(lowerBound(first), lowerBound(last))]
  }

  return {
    get size () { return keys.length + unsorted.length },
    get loadedInMs () { return loadedInMs },
    has (key) {
      settle()
      const at = lowerBound(key)
      return at < keys.length && compareEventIds(keys[at], key) === 0
    },
    hasCommit: (cid) => commits.has(cid),
    summary (first, last) {
      const [from, to] = slice(first, last)
      const hash = sha256aZero()
      for (let i = from; i < to; i++) sha256aAdd(hash, lanes[i])
      return { count: to - from, hash }
    },
    list (first, last, limit) {
      const [from, to] = slice(first, last)
      const end = Math.min(to, from + limit)
      const entries: ReconEntry[] = []
      for (let i = from; i < end; i++) entries.push({ key: keys[i], ...named[i] })
      return entries
    },
    splitPoints (first, last, parts) {
      const [from, to] = slice(first, last)
      const cuts: Uint8Array[] = []
      let previous = from
      for (let p = 1; p < parts; p++) {
        const at = streamStart(from + Math.floor((to - from) * p / parts), previous, (i) => named[i].stream)
        if (at > previous && at < to) cuts.push(keys[at])
        if (at > previous) previous = at
      }
      return cuts
    },
    idle: async () => { await pending },
    stop: () => { off(); offForget() }
  }
}
