/**
 * Ingests a batch of commits a peer holds and this node lacks (keys a Recon session found, or
 * stream tips a heads page listed), a few streams at a time: first the blocks those commits need
 * are fetched in batched requests, walking `prev` links back to what the node holds, then each
 * stream is ingested once from each of its new tips, so a stream's new commits land as one
 * verified store write. Never throws for one stream's failure: the Ingester judges each.
 *
 * A catch-up that brings many streams is a node syncing history: announcing each stream would
 * flood its peers with what they mostly hold, and each of them reconciles by itself, so it stays
 * quiet. A small one is likely a recent gap (a device back online) and is announced, so the rest
 * of the network hears of it now rather than at its next round.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import { LoadedCommits, loadCommit } from '../commits/decode.js'
import { fetchBlocks } from './block-exchange.js'
import {
  CATCH_UP_ANNOUNCED_STREAMS, CATCH_UP_BATCHES_IN_FLIGHT, CATCH_UP_BLOCK_ROUNDS, CATCH_UP_COMMITS_PER_BATCH, CATCH_UP_FIRST_BATCH_COMMITS
} from './constants.js'
import type { Ingester } from './ingest.js'

export interface MissingCommit { stream: string, cid: string }

export interface CatchUpContext {
  libp2p: Libp2p
  ingester: Ingester
  /** Whether the node holds this commit by now (an earlier ingest may have brought it). */
  has: (cid: string) => boolean | Promise<boolean>
}

export interface CatchUpOptions {
  signal?: AbortSignal
  /** Part of a larger catch-up (one page of many): not announced, whatever its own size. */
  bulk?: boolean
  /**
   * The first commits a catch-up brings (its first page or chunk): a small first batch is fetched
   * alone, before the others compete for the link and the CPU, so they land a few round trips after
   * the keys and a fresh node shows data at once. Later pages keep every batch in flight.
   */
  first?: boolean
}

/** Returns how many stream tips were handed to the ingester. */
export async function ingestCommits (ctx: CatchUpContext, peer: PeerId, commits: Iterable<MissingCommit>, options: CatchUpOptions = {}): Promise<number> {
  const { signal } = options
  let handed = 0
  const byStream = new Map<string, string[]>()
  for (const { stream, cid } of commits) append(byStream, stream, cid)
  const quiet = options.bulk === true || byStream.size > CATCH_UP_ANNOUNCED_STREAMS

  /** Which of a batch's commits are still wanted, with the blocks they need. */
  const prepare = async (batch: Array<[string, string[]]>): Promise<PreparedBatch> => {
    const wanted: MissingCommit[] = []
    for (const [stream, cids] of batch) {
      for (const cid of cids) if (ctx.ingester.verdict(stream, cid) == null && !await ctx.has(cid)) wanted.push({ stream, cid })
    }
    if (wanted.length === 0) return { wanted, blocks: new Map(), loaded: new LoadedCommits(), prevs: new Set() }
    return { wanted, ...await prefetch(ctx, peer, wanted.map((c) => c.cid), signal) }
  }

  /** Stores a prepared batch: each stream once from each of its new tips. */
  const ingestBatch = async ({ wanted, blocks, loaded, prevs }: PreparedBatch): Promise<void> => {
    const tipsByStream = new Map<string, string[]>()
    for (const { stream, cid } of wanted) {
      if (prevs.has(cid)) continue // another new commit builds on it: ingested with that one
      append(tipsByStream, stream, cid)
    }
    await Promise.all([...tipsByStream].map(async ([stream, tips]) => {
      for (const tip of tips) {
        handed++
        await ctx.ingester.ingest(peer, stream, tip, { signal, prefetched: blocks, loaded, quiet })
      }
    }))
  }

  const queue = [...batches(byStream, options.first === true)]
  // A few batches in flight: while one waits for blocks, another is verified and stored.
  const worker = async (): Promise<void> => {
    for (let batch = queue.shift(); batch != null; batch = queue.shift()) {
      signal?.throwIfAborted()
      await ingestBatch(await prepare(batch))
    }
  }
  const workers = (): Array<Promise<void>> => Array.from({ length: Math.min(CATCH_UP_BATCHES_IN_FLIGHT, queue.length) }, worker)
  if (options.first === true && queue.length > 1) {
    const prepared = await prepare(queue.shift() as Array<[string, string[]]>)
    await Promise.all([ingestBatch(prepared), ...workers()])
  } else {
    await Promise.all(workers())
  }
  return handed
}

/** Batches of whole streams of about CATCH_UP_COMMITS_PER_BATCH commits; with `first`, the first smaller. */
function * batches (byStream: Map<string, string[]>, first: boolean): Generator<Array<[string, string[]]>> {
  let batch: Array<[string, string[]]> = []
  let size = 0
  let limit = first ? CATCH_UP_FIRST_BATCH_COMMITS : CATCH_UP_COMMITS_PER_BATCH
  for (const entry of byStream) {
    batch.push(entry)
    size += entry[1].length
    if (size >= limit) {
      yield batch
      batch = []
      size = 0
      limit = CATCH_UP_COMMITS_PER_BATCH
    }
  }
  if (batch.length > 0) yield batch
}

interface Prefetched {
  blocks: Map<string, Uint8Array>
  /** The commits read whole from `blocks`, for the ingest to take as they are. */
  loaded: LoadedCommits
  /** The `prev` of every commit read. */
  prevs: Set<string>
}

/** A batch's commits still wanted, with what was fetched for them. */
interface PreparedBatch extends Prefetched { wanted: MissingCommit[] }

/**
 * What a round's block source throws for a block not fetched yet (fetched next round): one object,
 * not a fresh error with its stack for every signed commit of the first round.
 */
const NOT_FETCHED_YET = new Error('Block not fetched yet')

/**
 * Fetches the commits' blocks, then the blocks they link to (signed payloads, capabilities, anchor
 * proofs) and the earlier commits (`prev`) the node lacks, one level per round, every level in
 * batched requests. Returns the blocks, the commits read from them, and the `prev` of each, to
 * find the tips. A block the peer lacks is left out; a log deeper than the rounds allow is
 * finished by the ingest itself, which asks for the rest block by block.
 */
async function prefetch (ctx: CatchUpContext, peer: PeerId, cids: string[], signal?: AbortSignal): Promise<Prefetched> {
  const blocks = new Map<string, Uint8Array>()
  const loaded = new LoadedCommits()
  const prevs = new Set<string>()
  const requested = new Set(cids)
  let pending = cids
  let undecoded = cids
  for (let round = 0; round < CATCH_UP_BLOCK_ROUNDS && pending.length > 0; round++) {
    for (const [cid, bytes] of await fetchBlocks(ctx.libp2p, peer, pending, signal)) blocks.set(cid, bytes)
    const next = new Set<string>()
    const stillUndecoded = new Set<string>()
    const source = async (cid: CID): Promise<Uint8Array> => {
      const bytes = blocks.get(cid.toString())
      if (bytes != null) return bytes
      next.add(cid.toString())
      throw NOT_FETCHED_YET
    }
    for (const cid of undecoded) {
      let prev: string | undefined
      try {
        const commit = await loadCommit(CID.parse(cid), source, loaded)
        if (commit.kind === 'genesis') continue
        prev = commit.payload.prev.toString()
      } catch {
        stillUndecoded.add(cid) // a block missing (fetched next round) or bad bytes (judged at ingest)
        continue
      }
      prevs.add(prev)
      if (!requested.has(prev) && !await ctx.has(prev)) {
        next.add(prev)
        stillUndecoded.add(prev)
      }
    }
    pending = [...next].filter((cid) => !requested.has(cid))
    for (const cid of pending) requested.add(cid)
    undecoded = [...stillUndecoded]
  }
  return { blocks, loaded, prevs }
}

function append (map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key)
  if (list == null) map.set(key, [value])
  else list.push(value)
}
