/**
 * `/kiln/recon/1.0.0`: range-based set reconciliation of EventIds (reference/ceramic.md §1.11),
 * one session per libp2p stream, strict ping-pong, length-prefixed dag-cbor frames (frames.ts).
 *   → `{ items: Item[] }` (at most RECON_PENDING_RANGES)   ← `{ items: Item[] }` … until the initiator closes
 * An Item is about the range [first, last):
 *   `{ first, last, count, hash }`      my count and Sha256a there: compare with yours
 *   `{ first, last, keys, want }`       every key I hold there (with its stream and commit);
 *                                       `want`: answer with the ones you hold and I lack
 * On a summary: equal → nothing; few keys here (≤ RECON_SMALL_RANGE) → my keys, want; else the
 * range is cut at key boundaries into RECON_SPLIT summaries, and where the other side holds none
 * there, its first keys are listed at once before the cut. So equal sets cost one message each
 * way, and differing sets O(differences · log n). Keys either side lacks are ingested afterwards,
 * from the peer that listed them, through the Ingester (verification, dependencies, scoring).
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { compareEventIds, decodeEventId } from '../ids/event-id.js'
import { StreamID } from '../ids/index.js'
import { SyncProtocolError } from '../errors.js'
import { openStream } from './block-exchange.js'
import {
  MAX_RECON_KEY_BYTES, MAX_RECON_MESSAGE_BYTES, MAX_RECON_MISSING, MAX_RECON_ROUNDS, RECON_FIRST_CHUNK, RECON_FIRST_CHUNK_WAIT_MS, RECON_INGEST_CHUNK,
  RECON_MAX_KEYS_PER_RANGE, RECON_PENDING_RANGES, RECON_PROTOCOL, RECON_SESSION_TIMEOUT_MS, RECON_SMALL_RANGE, RECON_SPLIT
} from './constants.js'
import { cutShort, readFrames, sendFrames, withDeadline } from './frames.js'
import { type KeyRange, type ReconEntry, type ReconIndex, type ReconValue, hex, streamStart } from './recon-index.js'
import { sha256aBytes, sha256aEqual, sha256aFromBytes } from './sha256a.js'

export interface Item {
  first: Uint8Array
  last: Uint8Array
  count?: number
  hash?: Uint8Array
  keys?: ReconEntry[]
  want?: boolean
}

export interface ReconStats {
  /** Sessions in both roles. */
  sessions: number
  /** Sessions this node started (its own catch-up rounds). */
  initiated: number
  sent: number
  /** Keys this node listed to peers, in both roles (each key a peer lacks crosses once, ideally). */
  keysSent: number
  received: number
  /** The index's keys, and how long it took to load at start (absent while it loads). */
  index?: { keys: number, loadedInMs?: number }
}

/** Keys the other side listed that this side lacks, by hex key. */
export type Missing = Map<string, ReconEntry>


const keysIn = (items: Item[]): number => items.reduce((n, item) => n + (item.keys?.length ?? 0), 0)

function summaryItem (index: ReconIndex, first: Uint8Array, last: Uint8Array): Item {
  const { count, hash } = index.summary(first, last)
  return { first, last, count, hash: sha256aBytes(hash) }
}

function split (index: ReconIndex, first: Uint8Array, last: Uint8Array, parts = RECON_SPLIT): Item[] {
  const bounds = [first, ...index.splitPoints(first, last, parts), last]
  return bounds.slice(1).map((end, i) => summaryItem(index, bounds[i], end))
}

/**
 * For a range where the other side holds nothing: no summary of ours can match theirs, so rather
 * than only split, list the range's first keys at once and split the rest. A fresh node gets keys
 * in its first answer instead of after a split per power of RECON_SPLIT.
 */
function listFirstThenSplit (index: ReconIndex, first: Uint8Array, last: Uint8Array): Item[] {
  const keys = index.list(first, last, RECON_MAX_KEYS_PER_RANGE + 1)
  if (keys.length <= RECON_MAX_KEYS_PER_RANGE) return [{ first, last, keys, want: false }]
  const at = streamStart(keys.length - 1, 0, (i) => keys[i].stream)
  const cut = keys[at].key
  // RECON_SPLIT items in all, as a split gives: a message stays within what parseMessage takes.
  return [{ first, last: cut, keys: keys.slice(0, at), want: false }, ...split(index, cut, last, RECON_SPLIT - 1)]
}

/**
 * What this side answers to the other side's items (the same rules on both sides). A side that
 * will not take the other's keys (`wantTheirs` false: a node with narrow interests) lists its own
 * without asking for theirs, so a session costs it what it holds, not what the other side holds.
 */
export function respond (index: ReconIndex, items: Item[], missing: Missing, wantTheirs = true): Item[] {
  const out: Item[] = []
  for (const item of items) {
    const { first, last } = item
    if (item.keys == null) {
      const mine = index.summary(first, last)
      if (mine.count === item.count && sha256aEqual(mine.hash, sha256aFromBytes(item.hash as Uint8Array))) continue
      if (mine.count <= RECON_SMALL_RANGE) out.push({ first, last, keys: index.list(first, last, RECON_SMALL_RANGE), want: wantTheirs })
      else out.push(...(item.count === 0 ? listFirstThenSplit(index, first, last) : split(index, first, last)))
      continue
    }
    const theirs = new Set<string>()
    for (const entry of item.keys) {
      const k = hex(entry.key)
      theirs.add(k)
      if (!index.has(entry.key) && missing.size < MAX_RECON_MISSING) missing.set(k, entry)
    }
    if (item.want !== true) continue
    const count = index.summary(first, last).count
    if (count - item.keys.length > RECON_MAX_KEYS_PER_RANGE) { out.push(...(item.keys.length === 0 ? listFirstThenSplit(index, first, last) : split(index, first, last))); continue }
    const extra = index.list(first, last, RECON_MAX_KEYS_PER_RANGE + item.keys.length).filter((e) => !theirs.has(hex(e.key)))
    if (extra.length > RECON_MAX_KEYS_PER_RANGE) out.push(...split(index, first, last))
    else if (extra.length > 0) out.push({ first, last, keys: extra, want: false })
  }
  return out
}

export interface ReconContext {
  libp2p: Libp2p
  index: ReconIndex
  stats: ReconStats
}

/**
 * One session as initiator over the given key ranges; returns the keys this side lacks. With
 * `onMissing`, every RECON_INGEST_CHUNK missing keys are handed over while the session goes on (a
 * large catch-up starts fetching before the session ends); what is returned is the rest. The first
 * RECON_FIRST_CHUNK go sooner, and the session waits a little for `onMissing` to settle on them.
 */
export async function reconcileWith (ctx: ReconContext, peer: PeerId, ranges: KeyRange[], signal?: AbortSignal, onMissing?: (chunk: Missing) => void | Promise<void>): Promise<Missing> {
  const { index, stats } = ctx
  let missing: Missing = new Map()
  let handed = 0
  await index.idle()
  const stream = await openStream(ctx.libp2p, peer, RECON_PROTOCOL, signal)
  stats.sessions++
  stats.initiated++
  await withDeadline(stream, RECON_SESSION_TIMEOUT_MS, async (deadline) => {
    const frames = readFrames(stream, { maxFrameBytes: MAX_RECON_MESSAGE_BYTES, maxFrames: MAX_RECON_ROUNDS, cut: 'unavailable' })
    const queue: Item[] = ranges.map((range) => summaryItem(index, range.first, range.last))
    let listed = false
    for (let rounds = 0; queue.length > 0; rounds++) {
      if (rounds >= MAX_RECON_ROUNDS) throw new SyncProtocolError(`Recon with ${peer.toString()} did not settle in ${MAX_RECON_ROUNDS} rounds`)
      const items: Item[] = listed ? queue.splice(0, RECON_PENDING_RANGES) : firstListing(queue)
      listed ||= items.some((item) => item.keys != null)
      await sendFrames(stream, [{ items }], deadline)
      stats.sent++
      stats.keysSent += keysIn(items)
      const next = await frames.next()
      if (next.done === true) throw cutShort('unavailable', 'The recon responder closed the session early')
      stats.received++
      queue.push(...respond(index, parseMessage(next.value), missing))
      // Chunks stop at MAX_RECON_MISSING handed keys: a peer listing endless keys fills one map, no more.
      const chunk = handed === 0 ? RECON_FIRST_CHUNK : RECON_INGEST_CHUNK
      if (onMissing != null && missing.size >= chunk && handed + missing.size <= MAX_RECON_MISSING) {
        const first = handed === 0
        handed += missing.size
        const landed = onMissing(missing)
        missing = new Map()
        if (first && landed != null) await settledWithin(landed, RECON_FIRST_CHUNK_WAIT_MS, deadline)
      }
    }
    await stream.close({ signal: deadline })
  }, signal)
  return missing
}

/**
 * The items of the first message that lists keys: up to the first one that does. Its answer lists
 * one range's keys, not twenty (thousands, in a fresh node's catch-up), so the first missing keys
 * come back at once and their fetch starts while the session goes on; later messages are full.
 */
function firstListing (queue: Item[]): Item[] {
  const upTo = queue.findIndex((item) => item.keys != null)
  return queue.splice(0, upTo < 0 ? RECON_PENDING_RANGES : Math.min(upTo + 1, RECON_PENDING_RANGES))
}

/** Waits for `work` (whether it succeeds or not), `ms` at most, or until `signal` aborts. */
async function settledWithin (work: Promise<void>, ms: number, signal: AbortSignal): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  let onAbort: (() => void) | undefined
  await Promise.race([
    work.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms)
      onAbort = resolve
      signal.addEventListener('abort', onAbort, { once: true })
    })
  ])
  clearTimeout(timer)
  if (onAbort != null) signal.removeEventListener('abort', onAbort)
}

/**
 * Answers one session as responder; returns the keys this side lacks. `wantTheirs` is asked at each
 * message (whether to ask for the initiator's keys: see `respond`). With `onFirstMissing`, the
 * first RECON_FIRST_CHUNK of them are handed over as soon as they are found (the session is the
 * initiator's to pace, so it is not held for them).
 */
export async function answerSession (ctx: ReconContext, stream: Stream, signal: AbortSignal, wantTheirs: () => boolean = () => true, onFirstMissing?: (chunk: Missing) => void): Promise<Missing> {
  let missing: Missing = new Map()
  let handed = false
  ctx.stats.sessions++
  await ctx.index.idle()
  for await (const frame of readFrames(stream, { maxFrameBytes: MAX_RECON_MESSAGE_BYTES, maxFrames: MAX_RECON_ROUNDS })) {
    ctx.stats.received++
    const items = parseMessage(frame)
    const answer = respond(ctx.index, items, missing, wantTheirs())
    await sendFrames(stream, [{ items: answer }], signal)
    ctx.stats.sent++
    ctx.stats.keysSent += keysIn(answer)
    if (onFirstMissing != null && !handed && missing.size >= RECON_FIRST_CHUNK) {
      handed = true
      onFirstMissing(missing)
      missing = new Map()
    }
  }
  await stream.close({ signal })
  return missing
}

function bound (value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length > MAX_RECON_KEY_BYTES) throw new SyncProtocolError(`\`${what}\` must be at most ${MAX_RECON_KEY_BYTES} bytes`)
  return value
}

/** The last 4 bytes of each stream's genesis CID (hex) by StreamID: a stream's keys come together. */
type InitTails = Map<string, string>

function initTail (stream: string, tails: InitTails): string {
  let tail = tails.get(stream)
  if (tail == null) {
    const init = StreamID.fromString(stream).cid.bytes
    tail = hex(init.subarray(init.length - 4))
    tails.set(stream, tail)
  }
  return tail
}

function parseEntry (value: unknown, first: Uint8Array, last: Uint8Array, tails: InitTails): ReconEntry {
  const { key, stream, cid } = (value ?? {}) as Record<string, unknown>
  const k = bound(key, 'key')
  if (typeof stream !== 'string' || typeof cid !== 'string') throw new SyncProtocolError('A recon key needs `stream` and `cid` strings')
  if (compareEventIds(first, k) > 0 || compareEventIds(k, last) >= 0) throw new SyncProtocolError('A recon key lies outside its range')
  // The key must name the commit and the stream's genesis it comes with, so a peer cannot make us
  // chase commits under made-up keys.
  try {
    const decoded = decodeEventId(k)
    if (decoded.eventCid.toString() !== cid || hex(decoded.init) !== initTail(stream, tails)) throw new Error('the key names another commit or stream')
  } catch (err) {
    throw new SyncProtocolError(`A recon key does not match its value: ${(err as Error).message}`, undefined, { cause: err })
  }
  return { key: k, stream, cid } satisfies ReconValue & { key: Uint8Array }
}

export function parseMessage (frame: unknown): Item[] {
  const items = (frame as { items?: unknown } | null)?.items
  if (!Array.isArray(items) || items.length > RECON_PENDING_RANGES * RECON_SPLIT) throw new SyncProtocolError(`A recon message must hold at most ${RECON_PENDING_RANGES * RECON_SPLIT} items`)
  const tails: InitTails = new Map()
  return items.map((raw: unknown) => {
    const { first, last, count, hash, keys, want } = (raw ?? {}) as Record<string, unknown>
    const item: Item = { first: bound(first, 'first'), last: bound(last, 'last') }
    if (compareEventIds(item.first, item.last) >= 0) throw new SyncProtocolError('A recon range must have first < last')
    if (keys != null) {
      if (!Array.isArray(keys) || keys.length > RECON_MAX_KEYS_PER_RANGE) throw new SyncProtocolError(`A recon range lists at most ${RECON_MAX_KEYS_PER_RANGE} keys`)
      item.keys = keys.map((k: unknown) => parseEntry(k, item.first, item.last, tails))
      item.want = want === true
      return item
    }
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) throw new SyncProtocolError('A recon summary needs a count')
    if (!(hash instanceof Uint8Array) || hash.length !== 32) throw new SyncProtocolError('A recon summary needs a 32-byte hash')
    return { ...item, count, hash }
  })
}
