/**
 * Ingests a batch of commits a peer holds and this node lacks (what a Recon session found), a
 * few streams at a time: first every block those commits need is fetched in batched requests,
 * then each stream is ingested once from each of its new tips, so a stream's new commits land as
 * one verified store write. Never throws for one stream's failure: the Ingester judges each.
 *
 * A catch-up that brings many streams is a node syncing history: announcing each stream would
 * flood its peers with what they mostly hold, and each of them reconciles by itself, so it stays
 * quiet. A small one is likely a recent gap (a device back online) and is announced, so the rest
 * of the network hears of it now rather than at its next round.
 */
import type { Libp2p, PeerId } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import { loadCommit } from '../commits/decode.js'
import { fetchBlocks } from './block-exchange.js'
import { CATCH_UP_ANNOUNCED_STREAMS, CATCH_UP_BLOCK_ROUNDS, CATCH_UP_COMMITS_PER_BATCH } from './constants.js'
import type { Ingester } from './ingest.js'

export interface MissingCommit { stream: string, cid: string }

export interface CatchUpContext {
  libp2p: Libp2p
  ingester: Ingester
  /** Whether the node holds this commit by now (an earlier ingest may have brought it). */
  has: (commit: MissingCommit) => boolean
}

/** Returns how many stream tips were handed to the ingester. */
export async function ingestCommits (ctx: CatchUpContext, peer: PeerId, commits: Iterable<MissingCommit>, signal?: AbortSignal): Promise<number> {
  let handed = 0
  const byStream = new Map<string, string[]>()
  for (const { stream, cid } of commits) byStream.set(stream, [...(byStream.get(stream) ?? []), cid])
  const quiet = byStream.size > CATCH_UP_ANNOUNCED_STREAMS
  for (const batch of batches(byStream)) {
    signal?.throwIfAborted()
    const wanted = batch.flatMap(([stream, cids]) => cids.filter((cid) => !ctx.has({ stream, cid }) && ctx.ingester.verdict(stream, cid) == null).map((cid) => ({ stream, cid })))
    if (wanted.length === 0) continue
    const { blocks, prevs } = await prefetch(ctx.libp2p, peer, wanted.map((c) => c.cid), signal)
    const tipsByStream = new Map<string, string[]>()
    for (const { stream, cid } of wanted) {
      if (prevs.has(cid)) continue // another new commit builds on it: ingested with that one
      tipsByStream.set(stream, [...(tipsByStream.get(stream) ?? []), cid])
    }
    const ingests = [...tipsByStream].map(async ([stream, tips]) => {
      for (const tip of tips) {
        handed++
        await ctx.ingester.ingest(peer, stream, tip, { signal, prefetched: blocks, quiet })
      }
    })
    await Promise.all(ingests)
  }
  return handed
}

/** Batches of whole streams of about CATCH_UP_COMMITS_PER_BATCH commits. */
function * batches (byStream: Map<string, string[]>): Generator<Array<[string, string[]]>> {
  let batch: Array<[string, string[]]> = []
  let size = 0
  for (const entry of byStream) {
    batch.push(entry)
    size += entry[1].length
    if (size >= CATCH_UP_COMMITS_PER_BATCH) {
      yield batch
      batch = []
      size = 0
    }
  }
  if (batch.length > 0) yield batch
}

/**
 * Fetches the commits' blocks, then the blocks they link to (signed payloads, capabilities, anchor
 * proofs), a round per level. Also returns the `prev` of every commit decoded, to find the tips.
 * A block the peer lacks is left out; the ingest then asks for it once more and fails cleanly.
 */
async function prefetch (libp2p: Libp2p, peer: PeerId, cids: string[], signal?: AbortSignal): Promise<{ blocks: Map<string, Uint8Array>, prevs: Set<string> }> {
  const blocks = new Map<string, Uint8Array>()
  const prevs = new Set<string>()
  const requested = new Set(cids)
  let pending = cids
  let undecoded = cids
  for (let round = 0; round < CATCH_UP_BLOCK_ROUNDS && pending.length > 0; round++) {
    for (const [cid, bytes] of await fetchBlocks(libp2p, peer, pending, signal)) blocks.set(cid, bytes)
    const misses = new Set<string>()
    const stillUndecoded: string[] = []
    const source = async (cid: CID): Promise<Uint8Array | undefined> => {
      const bytes = blocks.get(cid.toString())
      if (bytes == null) misses.add(cid.toString())
      return bytes
    }
    for (const cid of undecoded) {
      try {
        const commit = await loadCommit(CID.parse(cid), source)
        if (commit.kind !== 'genesis') prevs.add(commit.payload.prev.toString())
      } catch {
        stillUndecoded.push(cid) // a block missing (fetched next round) or bad bytes (judged at ingest)
      }
    }
    pending = [...misses].filter((cid) => !requested.has(cid))
    for (const cid of pending) requested.add(cid)
    undecoded = stillUndecoded
  }
  return { blocks, prevs }
}
