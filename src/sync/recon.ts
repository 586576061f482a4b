/**
 * Recon catch-up for sync.ts: keeps the node's EventId index, answers `/kiln/recon/1.0.0`
 * sessions, and runs sessions with peers. Both sides ingest what the other listed and they lack,
 * from that peer, so one session converges both sets; a node with narrower interests answers
 * without taking (takeAnswers false) and fetches what it wants by heads sync.
 */
import type { Connection, Libp2p, Logger, PeerId, Stream } from '@libp2p/interface'
import type { StreamNode } from '../node/stream-node.js'
import { PeerUnavailableError, RateLimitedError, SyncProtocolError } from '../errors.js'
import { MAX_RECON_STREAMS_PER_PEER, RECON_PROTOCOL, RECON_SESSION_TIMEOUT_MS } from './constants.js'
import { compareEventIds } from '../ids/event-id.js'
import { withDeadline } from './frames.js'
import { handleLimited } from './inbound-streams.js'
import type { Ingester } from './ingest.js'
import type { PeerScore } from './peer-score.js'
import { type KeyRange, type ReconIndex, createReconIndex, hex } from './recon-index.js'
import { type Missing, type ReconStats, answerSession, reconcileWith } from './recon-protocol.js'
import { type CatchUpOptions, ingestCommits } from './catch-up.js'

export interface ReconInit {
  libp2p: Libp2p
  node: StreamNode
  ingester: Ingester
  score: PeerScore
  log: Logger
  /** The EventId network (default NETWORK.INMEMORY). */
  network?: number
  signal: AbortSignal
  /** Whether keys a session's initiator listed and this node lacks are ingested (default true). */
  takeAnswers?: boolean
}

export interface RangeProgress {
  /** Commits peers listed in the range that this node lacks and has not fetched yet. */
  pending: number
  /** Commits of the range fetched from peers since sync started. */
  fetched: number
}

export interface Recon {
  readonly index: ReconIndex
  /** Messages and sessions so far, both roles. */
  stats: () => ReconStats
  /** One session with `peer` as initiator over `ranges`, then the ingests; returns how many tips were handed to the ingester. */
  round: (peer: PeerId, ranges: KeyRange[]) => Promise<number>
  /** Counts catch-up progress in these ranges from now on (the node's interests), whoever starts a session. */
  track: (ranges: KeyRange[]) => void
  /** How far this node's own catch-up in `range` is: commits found on peers and not fetched yet, and fetched so far. */
  progress: (range: KeyRange) => RangeProgress
  stop: () => Promise<void>
}

export async function startRecon (init: ReconInit): Promise<Recon> {
  const { libp2p, ingester, score, log, signal } = init
  const index = createReconIndex({ node: init.node, network: init.network, log })
  const stats: ReconStats = { sessions: 0, initiated: 0, sent: 0, received: 0, keysSent: 0 }
  const ctx = { libp2p, index, stats }
  const ingests = new Set<Promise<unknown>>()
  const catchUp = { libp2p, ingester, has: index.hasCommit }
  // Both sides start a session on connect and both find the same keys: a key one catch-up is
  // fetching is left out of the other's, or every block would cross twice.
  const claimed = new Set<string>()
  /** Rounds this node runs as initiator, by peer. */
  const roundsWith = new Map<string, number>()
  const ingestMissing = async (peer: PeerId, missing: Missing, options: Pick<CatchUpOptions, 'bulk' | 'first'> = {}): Promise<number> => {
    await index.idle()
    const mine = [...missing.values()].filter((entry) => !claimed.has(entry.cid))
    for (const entry of mine) claimed.add(entry.cid)
    try {
      return await ingestCommits(catchUp, peer, mine, { signal, ...options })
    } finally {
      for (const entry of mine) claimed.delete(entry.cid)
    }
  }

  const handler = async (stream: Stream, connection: Connection): Promise<void> => {
    const peer = connection.remotePeer
    try {
      await score.admit(peer.toString(), 'heads')
      const take = init.takeAnswers !== false
      // While this node's own round with the peer runs, that round finds (and lists) what the two
      // sides lack; asking for the peer's keys here too would have both list every key twice.
      const wantTheirs = (): boolean => take && !roundsWith.has(peer.toString())
      // The responder lacks these too: the first few are fetched at once (a fresh node shows data
      // while the session goes on), the rest after the session, so the stream is not held open.
      // A first chunk found mid-session is part of a large catch-up (bulk), as is the rest after it.
      const works: Array<Promise<number>> = []
      const fetchMissing = (missing: Missing, bulk: boolean): void => {
        const first = works.length === 0
        const work = tracked([...progress.values()], missing, async () => await ingestMissing(peer, missing, { first, bulk }))
        ingests.add(work)
        works.push(work.finally(() => ingests.delete(work)))
      }
      try {
        const rest = await withDeadline(stream, RECON_SESSION_TIMEOUT_MS, async (deadline) => await answerSession(ctx, stream, deadline, wantTheirs, take ? (chunk) => { fetchMissing(chunk, true) } : undefined), signal)
        if (take) fetchMissing(rest, works.length > 0)
        await Promise.all(works)
      } catch (err) {
        await Promise.allSettled(works) // a fetch begun early still ends before the session's error is judged
        throw err
      }
    } catch (err) {
      if (err instanceof SyncProtocolError) score.penalize(peer.toString(), 'malformed-message', err.message)
      if (err instanceof RateLimitedError) stream.abort(err)
      // A session held open past its deadline (an idle or dribbling initiator), not this node stopping.
      if (err instanceof PeerUnavailableError && !signal.aborted) score.charge(peer.toString(), 'slow-stream', `recon session past ${RECON_SESSION_TIMEOUT_MS} ms`)
      log('recon session from %s failed: %s', peer.toString(), (err as Error).message)
    }
  }
  await handleLimited({ libp2p, score, protocol: RECON_PROTOCOL, maxPerPeer: MAX_RECON_STREAMS_PER_PEER, handler })

  const rangeKey = (range: KeyRange): string => `${hex(range.first)}-${hex(range.last)}`
  // Catch-up progress per range a round asked for: what each chunk found, until it is fetched.
  const progress = new Map<string, RangeProgress & { range: KeyRange }>()
  const progressOf = (range: KeyRange): RangeProgress & { range: KeyRange } => {
    const key = rangeKey(range)
    let entry = progress.get(key)
    if (entry == null) progress.set(key, entry = { range, pending: 0, fetched: 0 })
    return entry
  }
  /**
   * Runs a fetch of missing keys, counting them as pending in each range that holds them (hex order
   * is byte order) until it ends: fetched if it succeeded; if it failed, the next round finds them again.
   */
  const tracked = async <T>(entries: Array<RangeProgress & { range: KeyRange }>, missing: Missing, fetch: () => Promise<T>): Promise<T> => {
    const found = entries.map(({ range }) => {
      const [from, to] = [hex(range.first), hex(range.last)]
      let n = 0
      for (const key of missing.keys()) if (key >= from && key < to) n++
      return n
    })
    entries.forEach((entry, i) => { entry.pending += found[i] })
    let ok = false
    try {
      const result = await fetch()
      ok = true
      return result
    } finally {
      entries.forEach((entry, i) => { entry.pending -= found[i]; if (ok) entry.fetched += found[i] })
    }
  }

  /** One round as initiator: a session over `ranges`, and the fetch of what it found. */
  const reconcileRound = async (peer: PeerId, ranges: KeyRange[]): Promise<number> => {
    // Chunks found mid-session are fetched one after another while the session goes on;
    // together they are a large catch-up (bulk), so none is announced.
    let handed = 0
    let chunks = 0
    let fetching: Promise<void> = Promise.resolve()
    const entries = ranges.map(progressOf)
    const take = (chunk: Missing, bulk: boolean, first: boolean): Promise<void> => {
      fetching = tracked(entries, chunk, async () => { await fetching; handed += await ingestMissing(peer, chunk, { bulk, first }) })
      return fetching
    }
    try {
      const rest = await reconcileWith(ctx, peer, ranges, signal, (chunk) => { chunks++; return take(chunk, true, chunks === 1) })
      void take(rest, chunks > 0, chunks === 0)
    } catch (err) {
      if (err instanceof SyncProtocolError) score.penalize(peer.toString(), 'malformed-message', err.message)
      await fetching
      throw err
    }
    await fetching
    return handed
  }

  return {
    index,
    stats: () => ({ ...stats, index: { keys: index.size, loadedInMs: index.loadedInMs } }),
    track (ranges) { for (const range of ranges) progressOf(range) },
    progress (range) {
      // A narrower range (one account's documents of a followed Model) is caught up within a wider one.
      const entry = progress.get(rangeKey(range)) ??
        [...progress.values()].find((e) => compareEventIds(e.range.first, range.first) <= 0 && compareEventIds(range.last, e.range.last) <= 0)
      return { pending: entry?.pending ?? 0, fetched: entry?.fetched ?? 0 }
    },
    async round (peer, ranges) {
      const id = peer.toString()
      roundsWith.set(id, (roundsWith.get(id) ?? 0) + 1)
      try {
        return await reconcileRound(peer, ranges)
      } finally {
        const left = (roundsWith.get(id) ?? 1) - 1
        if (left === 0) roundsWith.delete(id)
        else roundsWith.set(id, left)
      }
    },
    async stop () {
      index.stop()
      await libp2p.unhandle(RECON_PROTOCOL)
      await Promise.allSettled([...ingests])
    }
  }
}
