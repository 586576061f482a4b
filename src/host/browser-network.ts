import { openIdentityDb } from '../identity/identity-db.js'
import type { SyncInterest } from '../sync/interests.js'
import type { Follow, FollowCatchUp, NetworkStatus } from '../api/types.js'
import type { StreamNode } from '../node/stream-node.js'
import type { RtcBridge } from './rtc-proxy.js'
import type { Signer } from '../identity/signer.js'
import type { Presence } from '../sync/presence.js'
import type { KilnLibp2p } from '../sync/libp2p-config.js'

export interface BrowserWants {
  /** The accounts this node signs for. */
  controllers: () => string[]
  /** The Models (optionally one account's documents of them) this node follows. */
  follows: () => Follow[]
  /** Signs this browser's presence on streams: its device key. */
  device: Signer
}

export interface BrowserNetwork {
  /** Keeps connections to these peers (server peers' WebSocket multiaddrs), redialing with backoff. */
  addPeers: (addrs: string[]) => void
  /** Gets a stream this node does not hold from its peers; true once stored. */
  fetchStream: (id: string) => Promise<boolean>
  /** Reads what this node wants again now (a follow ended: gossip stops taking its documents). */
  refreshWants: () => Promise<void>
  /** A catch-up round now (after a sign-in adds an account whose streams to fetch). */
  syncNow: () => Promise<void>
  status: () => NetworkStatus
  /** How far catch-up on a follow is. */
  catchUp: (follow: Follow) => FollowCatchUp
  /** Who is looking at which stream (signed with the device key). */
  presence: Presence
  /** The one libp2p node (one peer id) that sync and files (bitswap) share. */
  libp2p: KilnLibp2p
  stop: () => Promise<void>
}

const PEER_KEY = 'libp2p-peer-key'

/**
 * The worker's libp2p node and sync, started when the first peer address arrives: offline-first, a
 * node with no peers never touches the network. The peer identity is kept in IndexedDB so peers see
 * the same PeerId after a restart. libp2p is loaded only then (its own bundle chunk).
 *
 * With `rtc` (a tab hosts the worker's peer connections, rtc-proxy.ts) the node also connects
 * directly to other browsers it hears of through its server peers (sync/direct-peers.ts), and
 * keeps syncing with them when the servers are gone.
 *
 * A browser does not mirror the network: it catches up on the streams of the accounts it signs for
 * (`controllers`: the device key and every wallet session), on the streams it holds and on the
 * Models it follows (`follows`); any other stream is fetched when a page asks for it
 * (`fetchStream`), and kept current from then on. Both lists are read again every round.
 */
export async function startBrowserNetwork (node: StreamNode, peers: string[], wants: BrowserWants, rtc?: RtcBridge): Promise<BrowserNetwork> {
  // Before libp2p's WebRTC loads: it takes the global RTCPeerConnection as it finds it.
  rtc?.install(globalThis)
  const sync = await import('../sync/index.js')
  const direct = rtc == null ? undefined : (await import('../sync/webrtc.js')).webRtcTransports()
  const privateKey = await loadPeerKey(sync)
  const denyList = sync.createDenyList()
  const libp2p = await sync.createKilnLibp2p({ privateKey, denyList, ...direct == null ? {} : { direct } })
  const interests = async (): Promise<SyncInterest[]> => [
    ...await sync.ownAndHeldInterests(node, wants.controllers()),
    ...wants.follows().map((follow): SyncInterest => ({ ...follow }))
  ]
  const running = await sync.startSync({ node, libp2p, denyList, bootstrap: peers, interests, presenceSigner: wants.device, ...rtc == null ? {} : { direct: { canDial: rtc.hosted, hostEpoch: rtc.epoch } } })
  const known = new Set(peers)
  return {
    libp2p,
    presence: running.presence,
    addPeers (addrs) {
      const fresh = addrs.filter((a) => !known.has(a))
      for (const a of fresh) known.add(a)
      running.addPeers(fresh)
    },
    fetchStream: async (id) => await running.fetchStream(id),
    async syncNow () { await running.syncNow() },
    async refreshWants () { await running.refreshInterests() },
    status () {
      const s = running.status()
      const status: NetworkStatus = { peerId: libp2p.peerId.toString(), peers: s.peers, synced: s.synced, failed: s.failed, invalid: s.invalid, unconfirmed: s.unconfirmed, penalties: s.penalties, banned: s.banned, syncing: s.syncing }
      if (s.lastSyncAt != null) status.lastSyncAt = s.lastSyncAt
      return status
    },
    catchUp (follow) {
      const s = running.status()
      const progress = running.progress({ ...follow }) ?? { pending: 0, fetched: 0 }
      return { syncing: s.syncing, ...progress, ...(s.lastSyncAt != null ? { lastSyncAt: s.lastSyncAt } : {}) }
    },
    async stop () {
      await running.stop()
      await libp2p.stop()
    }
  }
}

async function loadPeerKey (sync: typeof import('../sync/index.js')): Promise<ReturnType<typeof sync.decodePeerKey>> {
  const db = await openIdentityDb()
  try {
    const stored = await db.get('settings', PEER_KEY)
    if (stored != null) return sync.decodePeerKey(stored)
    const key = await sync.createPeerKey()
    await db.put('settings', sync.encodePeerKey(key), PEER_KEY)
    return key
  } finally {
    db.close()
  }
}
