/** Test peers: a StreamNode on a memory store with its own libp2p over WebSockets on 127.0.0.1. */
import { afterEach } from 'vitest'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import type { Signer } from '../../src/identity/signer.js'
import { createDenyList, type DenyList } from '../../src/sync/peer-score.js'
import { createKilnLibp2p, type KilnLibp2p } from '../../src/sync/libp2p-config.js'
import { startSync, type Sync } from '../../src/sync/sync.js'
import { DEFAULT_TOPIC } from '../../src/sync/constants.js'
import type { SyncInterest } from '../../src/sync/interests.js'
import { kilnSigner } from '../fixtures/identities.js'
import type { WireFaults } from './faults.js'

export const LOOPBACK_WS = '/ip4/127.0.0.1/tcp/0/ws'

export interface TestPeer {
  name: string
  node: StreamNode
  libp2p: KilnLibp2p
  sync: Sync
  denyList: DenyList
  /**
   * PeerIds this peer's network cannot reach (a partition): its connection gater refuses dialing
   * them and their connections, so nothing (not even a request redialing a peer) crosses the cut.
   */
  unreachable: Set<string>
  /** Stops sync and libp2p; the node (and its data) stays, as a device that went offline. */
  goOffline: () => Promise<void>
  /** A fresh libp2p + sync on the same node, as a device coming back. */
  goOnline: () => Promise<void>
  stop: () => Promise<void>
}

export interface TestPeerInit {
  /** Whose did:key signs this node's writes (two devices of one user share a name). */
  signerName?: string
  signer?: Signer
  /** A node built by the test (then signerName/signer are not used). */
  node?: StreamNode
  interests?: SyncInterest[] | (() => Promise<SyncInterest[]>)
  /** Long by default, so a test sees what gossip alone delivers. */
  syncIntervalMs?: number
  listen?: boolean
  relay?: boolean
  /** Peers to keep connected to (and trust as time witnesses). */
  bootstrap?: string[]
  /** How catch-up rounds compare sets (startSync's default: 'recon'). */
  reconcile?: 'heads' | 'recon'
  /** Faults on this peer's wire: the gossip it receives and the request streams it opens. */
  faults?: WireFaults
}

export async function startPeer (name: string, init: TestPeerInit = {}): Promise<TestPeer> {
  const node = init.node ?? createStreamNode({ store: createMemoryStore(), signer: init.signer ?? await kilnSigner(init.signerName ?? name) })
  const peer = { name, node, unreachable: new Set<string>() } as TestPeer
  peer.goOnline = async () => {
    const denyList = peer.denyList = createDenyList()
    const gate: DenyList = { ...denyList, isDenied: (id) => peer.unreachable.has(id) || denyList.isDenied(id) }
    peer.libp2p = await createKilnLibp2p({ listen: init.listen === false ? [] : [LOOPBACK_WS], relay: init.relay, denyList: gate })
    init.faults?.wrapDials(peer.libp2p)
    peer.sync = await startSync({
      node,
      libp2p: peer.libp2p,
      denyList: peer.denyList,
      interests: init.interests,
      bootstrap: init.bootstrap,
      reconcile: init.reconcile,
      syncIntervalMs: init.syncIntervalMs ?? 600_000,
      deliverGossip: init.faults?.deliverGossip
    })
  }
  peer.goOffline = async () => {
    await peer.sync.stop()
    await peer.libp2p.stop()
  }
  peer.stop = async () => {
    if (peer.libp2p.status === 'started') await peer.goOffline()
    await node.close()
  }
  await peer.goOnline()
  return peer
}

/** A startPeer whose peers are stopped after each test of the file that calls this at its top level. */
export function peersStoppedAfterEach (): typeof startPeer {
  const running: TestPeer[] = []
  afterEach(async () => {
    await Promise.all(running.splice(0).map(async (p) => await p.stop()))
  })
  return async (name, init) => {
    const p = await startPeer(name, init)
    running.push(p)
    return p
  }
}

/** `from` dials `to` and waits until both see each other as sync peers and gossip subscribers. */
export async function connect (from: TestPeer, to: TestPeer): Promise<void> {
  await from.libp2p.dial(to.libp2p.getMultiaddrs()[0])
  await waitFor(() => isSyncPeer(from, to) && isSyncPeer(to, from), `${from.name} and ${to.name} to see each other`)
  await waitFor(() => subscribed(from, to) && subscribed(to, from), `${from.name} and ${to.name} to see each other's subscription`)
}

export const isSyncPeer = (a: TestPeer, b: TestPeer): boolean => a.sync.status().peers.some((p) => p.id === b.libp2p.peerId.toString())
const subscribed = (a: TestPeer, b: TestPeer): boolean => a.libp2p.services.pubsub.getSubscribers(DEFAULT_TOPIC).some((p) => p.equals(b.libp2p.peerId))

export async function waitFor (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Every stream a node holds, with its sorted tips and canonical tip. */
export async function contents (node: StreamNode): Promise<Record<string, { tips: string[], tip: string }>> {
  const out: Record<string, { tips: string[], tip: string }> = {}
  let cursor: string | undefined
  do {
    const page = await node.query({}, { limit: 100, cursor })
    for (const s of page.items) out[s.id] = { tips: [...s.tips].sort(), tip: s.tip }
    cursor = page.cursor
  } while (cursor != null)
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a < b ? -1 : 1))
}

/** True when both nodes hold the same streams with the same tips and canonical tips. */
export async function converged (a: StreamNode, b: StreamNode): Promise<boolean> {
  return JSON.stringify(await contents(a)) === JSON.stringify(await contents(b))
}
