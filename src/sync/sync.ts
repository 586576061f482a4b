/**
 * Peer-to-peer sync for one StreamNode over a libp2p node it is given: serves blocks and heads,
 * announces and receives updates by gossip, catches up with every Kiln peer on connection and
 * periodically, scores peers, and keeps bootstrap peers connected. Runs in Node and in a worker.
 */
import type { GossipSub } from '@libp2p/gossipsub'
import type { Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { StreamNode } from '../node/stream-node.js'
import { serveBlocks } from './block-exchange.js'
import { trackConfirmations } from './confirmations.js'
import { type Bootstrap, startBootstrap } from './bootstrap.js'
import { type DirectPeers, isDirect, startDirectPeers } from './direct-peers.js'
import { CATCH_UP_DELAY_MS, DEFAULT_TOPIC, FETCH_PEER_WAIT_MS, HEADS_PROTOCOL, HEADS_SYNC_INTERVAL_MS, STREAM_LIST_ROUNDS } from './constants.js'
import { type GossipStats, startGossip } from './gossip.js'
import { pullFrom, serveHeads } from './heads-sync.js'
import { createIngester } from './ingest.js'
import { ALL_STREAMS, type SyncInterest } from './interests.js'
import { type DenyList, createDenyList, createPeerScore } from './peer-score.js'
import { type Presence, type PresenceSigner, startPresence } from './presence.js'
import { type RangeProgress, type Recon, startRecon } from './recon.js'
import { FULL_RANGE, type KeyRange, reconRangeOf } from './recon-index.js'
import { NETWORK, compareEventIds } from '../ids/event-id.js'
import type { ReconStats } from './recon-protocol.js'

export interface SyncInit {
  node: StreamNode
  libp2p: Libp2p<{ pubsub: GossipSub }>
  /** Gossip topic; every peer of one network uses the same (default DEFAULT_TOPIC). */
  topic?: string
  /**
   * What to fetch from peers (default: every stream). What this node serves is not filtered. A
   * function is asked again before every catch-up round (a browser's accounts and held streams change).
   */
  interests?: SyncInterest[] | (() => Promise<SyncInterest[]>)
  /** The deny list wired into the libp2p connection gater (kilnLibp2pOptions), so bans refuse redials. */
  denyList?: DenyList
  /**
   * Multiaddrs of peers to stay connected to (dialed with backoff). They are also trusted as time
   * witnesses: when they say they accepted a commit while its wallet session was valid, it is
   * judged at that time (a device joining after the session expired still gets its commits).
   */
  bootstrap?: string[]
  /** Catch-up period with every connected Kiln peer (default HEADS_SYNC_INTERVAL_MS). */
  syncIntervalMs?: number
  /**
   * How catch-up rounds compare sets: 'heads' lists every stream's tips (heads-sync.ts); 'recon'
   * reconciles EventId ranges (recon-protocol.ts), O(1) messages when both sides agree, for the
   * interests that are ranges (every stream, a Model, a Model and controller); the others stay on
   * heads sync (default 'recon').
   */
  reconcile?: 'heads' | 'recon'
  /** The EventId network Recon keys use (default NETWORK.INMEMORY). */
  reconNetwork?: number
  /**
   * Browsers with WebRTC: announce this node's relayed WebRTC addresses and dial the browsers
   * heard of while `canDial()` (direct-peers.ts). Without it the node only passes announcements on.
   */
  direct?: { canDial: () => boolean, hostEpoch?: () => number, max?: number }
  /**
   * Signs this node's presence on streams (presence.ts; a browser's device key). Without one the
   * node passes its peers' presence on and has none of its own (a server peer).
   */
  presenceSigner?: PresenceSigner
  /**
   * Tests only, off by default: each gossip announcement received is handed over as a function that
   * handles it, for the test to call at once, later, twice or never (the partition test's drops,
   * delays, duplicates and reordering). Unset, every announcement is handled as it arrives. Set,
   * gossipsub hears Ignore for every message (a malformed one is still penalized here).
   */
  deliverGossip?: (handle: () => void) => void
}

export interface SyncStatus {
  /** Connected peers that speak Kiln's sync protocols; `direct` when over WebRTC, not through a server. */
  peers: Array<{ id: string, addrs: string[], direct: boolean }>
  /** When the last catch-up round with any peer completed (ms since the epoch). */
  lastSyncAt?: number
  /** True while a catch-up round runs with some peer (a new device is still receiving its data). */
  syncing: boolean
  /** Commit runs accepted from elsewhere while sync runs: from peers (gossip or catch-up), also CAR imports. */
  synced: number
  /** Ingests, announcements and catch-up rounds that failed (peer gone, timeout, missing block…). */
  failed: number
  /** Tips refused as forged or invalid; their senders were penalized. */
  invalid: number
  /**
   * Streams with a write from this node that no peer has confirmed holding yet (confirmations.ts):
   * lost with this device's storage. Writes of earlier runs count once a peer has connected.
   */
  unconfirmed: number
  /** Penalties given to peers (invalid data, malformed messages, floods). */
  penalties: number
  /** Peers banned for misbehaviour since start. */
  banned: number
  gossip: GossipStats
  /** Recon sessions and messages (both roles), when rounds use Recon. */
  recon?: ReconStats
}

export interface Sync {
  status: () => SyncStatus
  /** A catch-up round with every connected Kiln peer, started after this call; resolves with the status after it. */
  syncNow: () => Promise<SyncStatus>
  /** Reads the interests again now (they changed: a follow ended), rather than at the next round. */
  refreshInterests: () => Promise<void>
  /**
   * How far catch-up on an interest is (commits found on peers and not fetched yet, fetched so far),
   * for interests that are Recon ranges (a Model, one account's documents of one); else undefined.
   */
  progress: (interest: SyncInterest) => RangeProgress | undefined
  /**
   * Asks connected peers, one after another, for a stream this node does not hold and ingests it
   * (every commit verified). True once it is stored; false if no peer had it. Gossip then keeps
   * it current, whatever the interests.
   */
  fetchStream: (id: string) => Promise<boolean>
  /** Who is looking at which stream: ephemeral, signed, rate limited, never stored. */
  presence: Presence
  /** More peers to stay connected to (and to trust as time witnesses), as `bootstrap`. */
  addPeers: (addrs: string[]) => void
  /** Stops sync (not the libp2p node, which the caller owns). */
  stop: () => Promise<void>
}

/**
 * @example
 * const denyList = createDenyList()
 * const libp2p = await createKilnLibp2p({ denyList })
 * const sync = await startSync({ node, libp2p, denyList, bootstrap: ['/ip4/127.0.0.1/tcp/4010/ws/p2p/12D3…'] })
 * node.onCommit(() => console.log(sync.status()))
 */
export async function startSync (init: SyncInit): Promise<Sync> {
  const { node, libp2p } = init
  const log = libp2p.logger.forComponent('kiln:sync')
  const interestsOf = typeof init.interests === 'function' ? init.interests : undefined
  let interests = typeof init.interests === 'function' ? await init.interests() : init.interests ?? [ALL_STREAMS]
  const denyList = init.denyList ?? createDenyList()
  if (init.denyList == null) log('no deny list from the connection gater: banned peers are hung up on but may redial')
  const controller = new AbortController()
  const score = createPeerScore({
    denyList,
    log: log.newScope('score'),
    onBan: (peer) => { libp2p.hangUp(peerIdFromString(peer)).catch((err: unknown) => { log.error('could not hang up on %s: %s', peer, (err as Error).message) }) }
  })
  const bootstraps: Bootstrap[] = []
  const isWitness = (peer: string): boolean => bootstraps.some((b) => b.has(peer))
  const ingester = createIngester({ node, libp2p, score, log: log.newScope('ingest'), isWitness })
  const peers = new Map<string, PeerId>()
  const tails = new Map<string, Promise<void>>()
  const queued = new Set<string>()
  const catchUps = new Map<string, ReturnType<typeof setTimeout>>()
  let lastSyncAt: number | undefined
  /**
   * Peers whose next round also pulls interests that list stream ids (a browser's followed
   * streams, a request per 100 ids): on connecting, on a catch-up for lost gossip, on syncNow, and
   * every STREAM_LIST_ROUNDS periodic rounds. Gossip keeps those streams current in between.
   */
  const listsDue = new Set<string>()
  let ticks = 0
  let running = 0
  let failedRounds = 0
  let synced = 0

  const network = init.reconNetwork ?? NETWORK.INMEMORY
  const wantsAll = interestsOf == null && interests.some((i) => reconRangeOf(i, network) === FULL_RANGE)
  const reconcile = init.reconcile ?? 'recon'
  // Every node answers Recon, so a peer that wants everything also gets what this node wrote
  // offline; only a node that wants everything takes what the other side listed.
  const recon: Recon | undefined = reconcile === 'recon'
    ? await startRecon({ libp2p, node, ingester, score, log: log.newScope('recon'), network, signal: controller.signal, takeAnswers: wantsAll })
    : undefined
  const offSynced = node.onCommit((event) => { if (!event.local) synced++ })
  const confirmations = trackConfirmations({ node, libp2p, peers: () => [...peers.values()], log: log.newScope('confirm'), signal: controller.signal })

  /** Catch-up progress is counted in every Recon range of the interests, whoever starts a session. */
  const trackProgress = (): void => {
    recon?.track(interests.map((interest) => reconRangeOf(interest, network)).filter((range) => range != null))
  }
  trackProgress()

  async function refreshInterests (): Promise<void> {
    if (interestsOf == null) return
    const next = await interestsOf()
    // Kept when unchanged: gossip forgets which streams it found unwanted only when interests change.
    if (JSON.stringify(next) !== JSON.stringify(interests)) interests = next
    trackProgress()
  }

  async function runRound (peer: PeerId): Promise<void> {
    if (controller.signal.aborted || !peers.has(peer.toString())) return
    running++
    try {
      await refreshInterests()
      // Interests that are EventId ranges (everything, a Model) reconcile by Recon; the rest by heads.
      const ranges = interests.map((interest) => recon == null ? undefined : reconRangeOf(interest, network))
      const withLists = listsDue.delete(peer.toString())
      const byHeads = interests.filter((interest, i) => ranges[i] == null && (withLists || interest.streams == null))
      const byRecon = disjoint(ranges.filter((range) => range != null))
      let handed = 0
      if (recon != null && byRecon.length > 0) handed += await recon.round(peer, byRecon)
      if (byHeads.length > 0) handed += await pullFrom({ libp2p, node, ingester }, peer, byHeads, controller.signal)
      lastSyncAt = Date.now()
      log('catch-up with %s: %d tips fetched', peer.toString(), handed)
      // The peer may now hold what this node wrote offline (it reconciles with us too).
      confirmations.checkSoon()
    } catch (err) {
      if (controller.signal.aborted) return
      failedRounds++
      log('catch-up with %s failed: %s', peer.toString(), (err as Error).message)
    } finally {
      running--
    }
  }

  /** Rounds with one peer run one at a time; callers arriving while one waits share it. */
  function round (peer: PeerId): Promise<void> {
    const id = peer.toString()
    const waiting = tails.get(id)
    if (queued.has(id) && waiting != null) return waiting
    queued.add(id)
    const tail = (waiting ?? Promise.resolve()).then(async () => { queued.delete(id); await runRound(peer) })
    tails.set(id, tail)
    void tail.then(() => { if (tails.get(id) === tail) tails.delete(id) })
    return tail
  }

  /** A catch-up round with `peer` shortly (a burst of reasons makes one round). */
  const catchUpSoon = (peer: PeerId): void => {
    const id = peer.toString()
    // Only Kiln peers have rounds; a gossip-only peer (or one gone) would be remembered here for ever.
    if (!peers.has(id)) return
    listsDue.add(id)
    if (catchUps.has(id)) return
    catchUps.set(id, setTimeout(() => { catchUps.delete(id); void round(peer) }, CATCH_UP_DELAY_MS))
  }
  const gossip = startGossip({
    node,
    libp2p,
    topic: init.topic ?? DEFAULT_TOPIC,
    interests: () => interests,
    ingester,
    score,
    log: log.newScope('gossip'),
    onBacklog: (peer) => { catchUpSoon(peer) },
    // A write right after connecting, before gossip meshes, would otherwise wait for the periodic round.
    onUnheard: () => { for (const peer of peers.values()) catchUpSoon(peer) },
    deliverGossip: init.deliverGossip
  })
  // What this node wrote and no peer holds yet is served from memory first (its store may be gone).
  const lookup = async (cid: string): Promise<Uint8Array | undefined> => confirmations.block(cid) ?? await node.block(cid)
  const stopServingBlocks = await serveBlocks({ libp2p, lookup, score, log: log.newScope('blocks') })
  const stopServingHeads = await serveHeads({ libp2p, node, score, log: log.newScope('heads') })
  let peerWaiters: Array<() => void> = []
  const firstPeer = async (timeoutMs: number): Promise<void> => {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      peerWaiters.push(() => { clearTimeout(timer); resolve() })
    })
  }
  const onConnect = (peer: PeerId): void => {
    // The registrar calls topologies one protocol after another: the connection identify ran on
    // may have closed (and its disconnect been told) before this call, which then must not count.
    if (peers.has(peer.toString()) || libp2p.getConnections(peer).length === 0) return
    peers.set(peer.toString(), peer)
    listsDue.add(peer.toString())
    for (const wake of peerWaiters) wake()
    peerWaiters = []
    void round(peer)
  }
  // The registrar tells about peers identified from now on; peers already connected are checked here.
  const topologyId = await libp2p.register(HEADS_PROTOCOL, {
    onConnect,
    onDisconnect: (peer) => { peers.delete(peer.toString()); listsDue.delete(peer.toString()) }
  })
  for (const peer of libp2p.getPeers()) {
    const known = await libp2p.peerStore.get(peer).catch((err: unknown) => { log('peer %s not identified yet: %s', peer.toString(), (err as Error).message) })
    if (known?.protocols.includes(HEADS_PROTOCOL) === true) onConnect(peer)
  }
  const timer = setInterval(() => {
    const lists = ++ticks % STREAM_LIST_ROUNDS === 0
    for (const peer of peers.values()) {
      if (lists) listsDue.add(peer.toString())
      void round(peer)
    }
  }, init.syncIntervalMs ?? HEADS_SYNC_INTERVAL_MS)
  const presence = startPresence({ libp2p, score, log: log.newScope('presence'), signer: init.presenceSigner })
  const direct: DirectPeers = startDirectPeers({ libp2p, log: log.newScope('direct'), canDial: init.direct?.canDial, hostEpoch: init.direct?.hostEpoch, max: init.direct?.max })
  const addPeers = (addrs: string[]): void => { if (addrs.length > 0) bootstraps.push(startBootstrap(libp2p, addrs, log.newScope('bootstrap'))) }
  addPeers(init.bootstrap ?? [])

  const status = (): SyncStatus => {
    const result: SyncStatus = {
      peers: [...peers.values()].map((peer) => {
        const connections = libp2p.getConnections(peer)
        return { id: peer.toString(), addrs: connections.map((c) => c.remoteAddr.toString()), direct: connections.some(isDirect) }
      }),
      syncing: running > 0,
      synced,
      failed: failedRounds + ingester.failed + gossip.stats().failed,
      invalid: ingester.invalid,
      unconfirmed: confirmations.unconfirmed(),
      penalties: score.penalties,
      banned: score.bans,
      gossip: gossip.stats()
    }
    if (lastSyncAt != null) result.lastSyncAt = lastSyncAt
    if (recon != null) result.recon = recon.stats()
    return result
  }

  return {
    status,
    presence,
    addPeers,
    async fetchStream (id) {
      // Just started, its servers not connected yet: a page's first load waits for one, briefly.
      if (peers.size === 0 && bootstraps.length > 0) await firstPeer(FETCH_PEER_WAIT_MS)
      for (const peer of [...peers.values()]) {
        if (controller.signal.aborted) break
        try {
          if (await pullFrom({ libp2p, node, ingester }, peer, [{ streams: [id] }], controller.signal) > 0 && await node.has(id)) return true
        } catch (err) {
          log('could not fetch %s from %s: %s', id, peer.toString(), (err as Error).message)
        }
      }
      return await node.has(id)
    },
    refreshInterests,
    progress (interest) {
      const range = reconRangeOf(interest, network)
      return recon == null || range == null ? undefined : recon.progress(range)
    },
    async syncNow () {
      for (const id of peers.keys()) listsDue.add(id)
      await Promise.all([...peers.values()].map(round))
      await gossip.idle()
      return status()
    },
    async stop () {
      controller.abort()
      for (const wake of peerWaiters) wake()
      peerWaiters = []
      clearInterval(timer)
      for (const t of catchUps.values()) clearTimeout(t)
      catchUps.clear()
      for (const b of bootstraps) b.stop()
      direct.stop()
      presence.stop()
      gossip.stop()
      confirmations.stop()
      offSynced()
      libp2p.unregister(topologyId)
      await Promise.all([stopServingBlocks(), stopServingHeads(), recon?.stop()])
      await Promise.allSettled([...tails.values()])
      peers.clear()
    }
  }
}

/** The ranges without any that lies inside another (a Model's range holds each of its controllers'). */
function disjoint (ranges: KeyRange[]): KeyRange[] {
  const sorted = [...ranges].sort((a, b) => compareEventIds(a.first, b.first) || compareEventIds(b.last, a.last))
  const out: KeyRange[] = []
  for (const range of sorted) {
    const previous = out[out.length - 1]
    if (previous == null || compareEventIds(range.last, previous.last) > 0) out.push(range)
  }
  return out
}
