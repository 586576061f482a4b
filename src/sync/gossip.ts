/**
 * Live updates over gossipsub, hop by hop. Every commit run the node accepts (its own writes and
 * those gossip brought from peers; not what catch-up brought) is announced as an UPDATE once. A received UPDATE is checked in the topic
 * validator (fast: decode, dedupe, rate) and then ingested from the peer that delivered it. The
 * validator answers Ignore for well-formed messages, so gossipsub never forwards an announcement
 * this node has not verified: a node announces a tip only after storing it, so whoever receives
 * the announcement can fetch every block from the announcer. A small run's announcement carries
 * its blocks, so the next hop usually has nothing to fetch (issue 16: one round trip per hop less). Malformed messages and re-announced
 * invalid tips are Rejected and counted against the sender.
 */
import type { GossipSub, Message } from '@libp2p/gossipsub'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { Libp2p, Logger, PeerId } from '@libp2p/interface'
import type { StreamNode } from '../node/stream-node.js'
import { GOSSIP_INGEST_CONCURRENCY, MAX_PENDING_GOSSIP_INGESTS, SEEN_CACHE_SIZE } from './constants.js'
import { requestHeads } from './heads-sync.js'
import type { Ingester } from './ingest.js'
import { type SyncInterest, matchesInterests, wantsUpdate } from './interests.js'
import { createLru } from './lru.js'
import { type UpdateMessage, decodeMessage, encodeUpdate } from './messages.js'
import type { PeerScore } from './peer-score.js'

export interface GossipInit {
  node: StreamNode
  libp2p: Libp2p<{ pubsub: GossipSub }>
  topic: string
  /** What the node wants now (sync.ts refreshes it before each catch-up round). */
  interests: () => SyncInterest[]
  ingester: Ingester
  score: PeerScore
  log: Logger
  /** Announcements from `peer` were dropped (queue full, over its rate): catch up with it later. */
  onBacklog: (peer: PeerId) => void
  /** An announcement reached no peer (the mesh is still forming): catch up with every peer soon. */
  onUnheard: () => void
  /** See SyncInit.deliverGossip (tests only; unset, each announcement is handled at once). */
  deliverGossip?: (handle: () => void) => void
}

export interface GossipStats {
  published: number
  publishFailed: number
  received: number
  rejected: number
  /** Announcements not taken (over the sender's rate or the queue's size): left to catch-up. */
  dropped: number
  /** Announcements whose handling failed before ingest (e.g. the sender did not answer). */
  failed: number
  /** Announcements taken that carried their run's blocks. */
  carried: number
}

export interface Gossip {
  stats: () => GossipStats
  /** Resolves when every announcement taken so far has been handled. */
  idle: () => Promise<void>
  stop: () => void
}

export function startGossip (init: GossipInit): Gossip {
  const { node, libp2p, topic, interests, ingester, score, log, onBacklog, onUnheard } = init
  const pubsub = libp2p.services.pubsub
  const stats: GossipStats = { published: 0, publishFailed: 0, received: 0, rejected: 0, dropped: 0, failed: 0, carried: 0 }
  /** stream/tip pairs taken from a peer or announced by us: an UPDATE for one is not fetched (Ceramic's LRU). */
  const handled = createLru<true>(SEEN_CACHE_SIZE)
  /**
   * Streams a peer's heads showed no interest covers: their next announcements cost no request.
   * Forgotten when the interests change (a sign-in adds an account).
   */
  let unwanted = createLru<true>(SEEN_CACHE_SIZE)
  let unwantedFor = interests()
  /** stream/tip pairs this node announced: each is announced once. */
  const announced = createLru<true>(SEEN_CACHE_SIZE)
  const queue: Array<{ peer: PeerId, update: UpdateMessage }> = []
  const controller = new AbortController()
  let active = 0
  let waiters: Array<() => void> = []

  const offCommit = node.onCommit((event) => {
    const key = `${event.id}/${event.tip}`
    if (announced.get(key) === true) return
    handled.set(key, true)
    if (!event.local && ingester.isQuiet(event.id, event.tip)) return
    announced.set(key, true)
    pubsub.publish(topic, encodeUpdate({ stream: event.id, tip: event.tip, model: event.model, blocks: event.blocks })).then(
      (result) => {
        stats.published++
        if (result.recipients.length === 0) onUnheard()
      },
      (err: unknown) => { stats.publishFailed++; log.error('could not announce %s: %s', key, (err as Error).message) }
    )
  })

  const reject = (peer: string, offence: 'malformed-message' | 'invalid-commit', reason: string): TopicValidatorResult => {
    stats.rejected++
    score.penalize(peer, offence, reason)
    return TopicValidatorResult.Reject
  }

  const validate = (peer: PeerId, message: Message): TopicValidatorResult => {
    stats.received++
    const peerId = peer.toString()
    const decoded = decodeMessage(message.data)
    if (!decoded.ok) return reject(peerId, 'malformed-message', decoded.error.message)
    if (!('message' in decoded)) return TopicValidatorResult.Ignore
    const update = decoded.message
    const key = `${update.stream}/${update.tip}`
    const verdict = ingester.verdict(update.stream, update.tip)
    if (verdict === 'invalid') return reject(peerId, 'invalid-commit', `announced ${key}, known to be invalid`)
    if (verdict === 'refused' || handled.get(key) === true) return TopicValidatorResult.Ignore
    if (!score.tryAdmit(peerId, 'updates') || queue.length >= MAX_PENDING_GOSSIP_INGESTS) {
      stats.dropped++
      onBacklog(peer)
      return TopicValidatorResult.Ignore
    }
    handled.set(key, true)
    queue.push({ peer, update })
    pump()
    return TopicValidatorResult.Ignore
  }

  function pump (): void {
    while (active < GOSSIP_INGEST_CONCURRENCY && queue.length > 0 && !controller.signal.aborted) {
      const job = queue.shift() as { peer: PeerId, update: UpdateMessage }
      active++
      handle(job.peer, job.update)
        .catch((err: unknown) => { stats.failed++; log.error('announcement %s/%s: %s', job.update.stream, job.update.tip, (err as Error).message) })
        .finally(() => {
          active--
          pump()
          if (active === 0 && queue.length === 0) { for (const resolve of waiters) resolve(); waiters = [] }
        })
    }
  }

  async function handle (peer: PeerId, update: UpdateMessage): Promise<void> {
    const key = `${update.stream}/${update.tip}`
    const signal = controller.signal
    const current = interests()
    if (current !== unwantedFor) { unwanted = createLru<true>(SEEN_CACHE_SIZE); unwantedFor = current }
    const want = unwanted.get(update.stream) === true ? 'no' : wantsUpdate(current, update)
    // Streams this node already holds stay current whatever the interests (a device's own writes,
    // a stream it loaded from a peer).
    if (want !== 'yes' && !(await node.has(update.stream))) {
      if (want === 'no') return
      // Only the stream's entry (controller, family…) tells whether an interest covers it.
      const page = await requestHeads(libp2p, peer, { streams: [update.stream] }, signal).catch((err: unknown) => {
        handled.delete(key)
        throw err
      })
      if (!page.items.some((entry) => matchesInterests(current, entry))) {
        unwanted.set(update.stream, true)
        return
      }
    }
    // Carried blocks spare the round trip; any the run needs and lacks are fetched from the peer.
    if (update.blocks != null) stats.carried++
    const outcome = await ingester.ingest(peer, update.stream, update.tip, { signal, prefetched: update.blocks })
    // A transient failure (peer gone, timeout) must not hide the tip from a later announcement.
    if (outcome === 'failed') handled.delete(key)
  }

  const { deliverGossip } = init
  // The fault-injection seam sits before this node's own checks, so they meet what the wire delivered.
  const validator = deliverGossip == null
    ? validate
    : (peer: PeerId, message: Message): TopicValidatorResult => { deliverGossip(() => { validate(peer, message) }); return TopicValidatorResult.Ignore }
  pubsub.topicValidators.set(topic, validator)
  pubsub.subscribe(topic)

  return {
    stats: () => ({ ...stats }),
    idle: async () => {
      if (active === 0 && queue.length === 0) return
      await new Promise<void>((resolve) => { waiters.push(resolve) })
    },
    stop () {
      controller.abort()
      queue.length = 0
      offCommit()
      pubsub.topicValidators.delete(topic)
      pubsub.unsubscribe(topic)
      for (const resolve of waiters) resolve()
      waiters = []
    }
  }
}
