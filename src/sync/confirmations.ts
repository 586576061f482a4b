/**
 * Which writes of this node are still only here. A write is confirmed once a connected Kiln peer
 * lists, in a heads answer, the tip the write made, or every tip this node holds for the stream
 * (each stored commit is an ancestor of one of them, and a peer holds a tip only with its whole
 * chain). Until then losing this device's storage loses the write: Chromium 156 deletes an
 * origin's IndexedDB and OPFS data once LevelDB meets a full disk (issue 17), so `unconfirmed`
 * is what an app shows as "not saved anywhere else yet".
 *
 * Writes made since start are tracked as they happen; those of earlier runs are found by one scan
 * of the stored commits (each commit record says whether this node wrote it) when the first peer
 * connects, and checked like the others.
 *
 * The blocks of this run's unconfirmed writes are also kept in memory (up to
 * MAX_UNCONFIRMED_BLOCK_BYTES) and served to peers from there: a peer still fetching them after
 * the browser deleted the database gets them all the same.
 */
import type { Libp2p, Logger, PeerId } from '@libp2p/interface'
import type { Block } from '../commits/block.js'
import type { StreamNode } from '../node/stream-node.js'
import { CONFIRM_DELAY_MS, CONFIRM_RETRY_MAX_MS, CONFIRM_RETRY_MS, MAX_STREAM_IDS_PER_REQUEST, MAX_UNCONFIRMED_BLOCK_BYTES } from './constants.js'
import { requestHeads } from './heads-sync.js'

export interface ConfirmationsInit {
  node: StreamNode
  libp2p: Libp2p
  /** The Kiln peers connected now (those that answer heads requests). */
  peers: () => PeerId[]
  log: Logger
  signal: AbortSignal
}

export interface Confirmations {
  /** Streams with a write from this node that no peer has confirmed holding yet. */
  unconfirmed: () => number
  /** A block of an unconfirmed write of this run, from memory (what serving blocks asks first). */
  block: (cid: string) => Uint8Array | undefined
  /** Checks with the connected peers shortly (one connected, a catch-up round ended). */
  checkSoon: () => void
  stop: () => void
}

/** The tip a peer must list; EVERY_TIP for writes of an earlier run (which tip they made is not kept). */
const EVERY_TIP = ''
const SCAN_PAGE = 1_000

export function trackConfirmations (init: ConfirmationsInit): Confirmations {
  const { node, libp2p, log, signal } = init
  const pending = new Map<string, string>()
  const blocks = createHeldBlocks()
  let timer: ReturnType<typeof setTimeout> | undefined
  let retryMs = CONFIRM_RETRY_MS
  let checking = false
  let again = false
  let scan: Promise<void> | undefined

  const offCommit = node.onCommit((event) => {
    if (!event.local) return
    pending.set(event.id, event.tip)
    blocks.hold(event.id, event.blocks)
    retryMs = CONFIRM_RETRY_MS
    schedule(CONFIRM_DELAY_MS)
  })

  function schedule (delayMs: number): void {
    if (timer != null || signal.aborted) return
    timer = setTimeout(() => { timer = undefined; void check() }, delayMs)
  }

  /** Writes of earlier runs: every stream with a commit this node wrote, until a peer confirms it. */
  async function scanStore (): Promise<void> {
    let cursor: string | undefined
    do {
      const page = await node.allCommits({ cursor, limit: SCAN_PAGE })
      for (const commit of page.items) if (commit.local === true && !pending.has(commit.stream)) pending.set(commit.stream, EVERY_TIP)
      cursor = page.cursor
    } while (cursor != null && !signal.aborted)
  }

  async function check (): Promise<void> {
    if (checking) { again = true; return }
    if (init.peers().length === 0) return // a peer's connecting asks again (checkSoon)
    checking = true
    const before = pending.size
    try {
      scan ??= scanStore().catch((err: unknown) => { log('could not scan the store for earlier writes: %s', (err as Error).message) })
      await scan
      for (const peer of init.peers()) {
        if (pending.size === 0 || signal.aborted) break
        await confirmWith(peer).catch((err: unknown) => { log('could not confirm writes with %s: %s', peer.toString(), (err as Error).message) })
      }
    } finally {
      checking = false
    }
    if (again) { again = false; schedule(0); return }
    // Not on any peer yet (the peer still fetching, gossip lost): ask again soon while peers are
    // taking them, less and less often while they take none.
    if (pending.size > 0 && init.peers().length > 0) {
      retryMs = pending.size < before ? CONFIRM_RETRY_MS : Math.min(retryMs * 2, CONFIRM_RETRY_MAX_MS)
      schedule(retryMs)
    }
  }

  async function confirmWith (peer: PeerId): Promise<void> {
    const ids = [...pending.keys()]
    for (let i = 0; i < ids.length && !signal.aborted; i += MAX_STREAM_IDS_PER_REQUEST) {
      const page = await requestHeads(libp2p, peer, { streams: ids.slice(i, i + MAX_STREAM_IDS_PER_REQUEST) }, signal)
      // A peer that holds none of them (a browser following other things) is asked no more this
      // time: a request for nothing held costs the asker score there, past a small allowance.
      if (page.items.length === 0) return
      for (const item of page.items) {
        const wanted = pending.get(item.id)
        if (wanted == null) continue
        const listed = new Set(item.tips)
        const held = listed.has(wanted) || await listsEveryLocalTip(item.id, listed)
        // A write that landed meanwhile made a newer tip, still to be confirmed.
        if (held && pending.get(item.id) === wanted) {
          pending.delete(item.id)
          blocks.release(item.id)
        }
      }
    }
  }

  async function listsEveryLocalTip (id: string, listed: Set<string>): Promise<boolean> {
    // A closed store (full disk) cannot say; the write stays unconfirmed unless its own tip is listed.
    const tips = await node.find(id).then((found) => found?.tips ?? [], () => [])
    return tips.length > 0 && tips.every((tip) => listed.has(tip))
  }

  return {
    unconfirmed: () => pending.size,
    block: (cid) => blocks.get(cid),
    // The backoff stays: a check waiting on it already covers this (only a local write resets it).
    checkSoon () { schedule(CONFIRM_DELAY_MS) },
    stop () {
      offCommit()
      if (timer != null) clearTimeout(timer)
      timer = undefined
    }
  }
}

/**
 * Blocks by CID, held for the streams whose writes they carry; a block two streams share (a
 * capability) stays until both release it. Past the byte cap the oldest streams' blocks are let go
 * (still in the store, just not also in memory).
 */
function createHeldBlocks () {
  const bytesOf = new Map<string, { bytes: Uint8Array, streams: number }>()
  const cidsOf = new Map<string, Set<string>>()
  let total = 0
  const release = (stream: string): void => {
    for (const cid of cidsOf.get(stream) ?? []) {
      const held = bytesOf.get(cid)
      if (held == null) continue
      if (--held.streams > 0) continue
      bytesOf.delete(cid)
      total -= held.bytes.length
    }
    cidsOf.delete(stream)
  }
  return {
    get: (cid: string) => bytesOf.get(cid)?.bytes,
    release,
    hold (stream: string, written: readonly Block[]): void {
      const cids = cidsOf.get(stream) ?? new Set<string>()
      cidsOf.delete(stream) // re-inserted last: the newest write is let go last
      for (const block of written) {
        const cid = block.cid.toString()
        if (cids.has(cid)) continue
        cids.add(cid)
        const held = bytesOf.get(cid)
        if (held != null) { held.streams++; continue }
        bytesOf.set(cid, { bytes: block.bytes, streams: 1 })
        total += block.bytes.length
      }
      cidsOf.set(stream, cids)
      for (const oldest of cidsOf.keys()) {
        if (total <= MAX_UNCONFIRMED_BLOCK_BYTES || oldest === stream) break
        release(oldest)
      }
    }
  }
}
