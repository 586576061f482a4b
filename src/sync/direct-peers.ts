/**
 * How browsers find each other for direct (WebRTC) connections: through the server peers they
 * share. Every browser that can take WebRTC connections announces its relayed WebRTC addresses
 * (`…/p2p/<server>/p2p-circuit/webrtc/p2p/<self>`) on the topic DIRECT_PEERS_TOPIC every
 * DIRECT_ANNOUNCE_INTERVAL_MS; server peers subscribe only to pass the announcements on. A browser
 * that hears one dials it, up to MAX_DIRECT_PEERS direct connections; of two browsers that hear each
 * other, the one with the smaller peer id dials, so they make one connection, not two. The relayed
 * connection only carries the WebRTC set-up; sync then runs on the direct one.
 *
 * The announcements are signed by gossipsub (the sender's peer key); one whose addresses are not
 * the sender's own relayed WebRTC addresses is rejected and counts against whoever passed it on.
 */
import { TopicValidatorResult, type GossipSub, type Message } from '@libp2p/gossipsub'
import type { Connection, Libp2p, Logger, PeerId } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { fromString as bytesFromString, toString as bytesToString } from 'uint8arrays'
import { DIRECT_ANNOUNCE_INTERVAL_MS, DIRECT_PEERS_TOPIC, DIRECT_REDIAL_FIRST_MS, DIRECT_REDIAL_MS, MAX_DIRECT_ANNOUNCE_ADDRS, MAX_DIRECT_ANNOUNCE_BYTES, MAX_DIRECT_PEERS } from './constants.js'

export interface DirectPeersInit {
  libp2p: Libp2p<{ pubsub: GossipSub }>
  log: Logger
  /**
   * Whether this node announces itself and dials the browsers it hears of now (a browser whose
   * WebRTC a tab hosts). Without it the node only passes announcements on (a server peer).
   */
  canDial?: () => boolean
  /**
   * Which tab hosts this node's peer connections now (it changes when another tab takes over). A
   * peer that hears a new one drops its direct connections to this node: they died with the old
   * tab, though the far side only notices when ICE gives up, half a minute later.
   */
  hostEpoch?: () => number
  /** Most direct connections this node dials (default MAX_DIRECT_PEERS). */
  max?: number
}

export interface DirectPeers {
  /** Announcements heard and dials made. */
  stats: () => { heard: number, dialed: number, dialFailed: number }
  stop: () => void
}

/** Whether `connection` is a direct WebRTC one (not the relayed circuit it was set up over). */
export const isDirect = (connection: Connection): boolean =>
  connection.status === 'open' && connection.limits == null && connection.remoteAddr.getComponents().some((c) => c.name === 'webrtc')

function parse (data: Uint8Array): unknown {
  if (data.byteLength > MAX_DIRECT_ANNOUNCE_BYTES) return undefined
  try {
    return JSON.parse(bytesToString(data))
  } catch {
    return undefined
  }
}

/**
 * The relayed WebRTC addresses that `from` may announce: its own, through a relay; undefined for
 * any other announcement (exported for the fuzz suite).
 */
export function ownRelayedAddrs (from: string, data: Uint8Array): Multiaddr[] | undefined {
  const parsed = parse(data)
  try {
    const addrs = (parsed as { addrs?: unknown })?.addrs
    if (!Array.isArray(addrs) || addrs.length === 0 || addrs.length > MAX_DIRECT_ANNOUNCE_ADDRS) return undefined
    const out = addrs.map((text) => multiaddr(String(text)))
    const ok = out.every((ma) => {
      const names = ma.getComponents().map((c) => c.name)
      const last = ma.getComponents().at(-1)
      return names.includes('p2p-circuit') && names.at(-2) === 'webrtc' && last?.name === 'p2p' && last.value === from
    })
    return ok ? out : undefined
  } catch {
    return undefined
  }
}

export function startDirectPeers (init: DirectPeersInit): DirectPeers {
  const { libp2p, log } = init
  const pubsub = libp2p.services.pubsub
  const max = init.max ?? MAX_DIRECT_PEERS
  const self = libp2p.peerId.toString()
  const dialing = new Set<string>()
  /** Each peer's failed dials in a row and when the last one failed (its announcements keep coming). */
  const failed = new Map<string, { at: number, times: number }>()
  const redialDue = (id: string): boolean => {
    const last = failed.get(id)
    return last == null || Date.now() - last.at >= Math.min(DIRECT_REDIAL_FIRST_MS * 2 ** (last.times - 1), DIRECT_REDIAL_MS)
  }
  /** The host epoch each peer last announced. */
  const epochs = new Map<string, number>()
  const stats = { heard: 0, dialed: 0, dialFailed: 0 }

  const directCount = (): number => new Set(libp2p.getConnections().filter(isDirect).map((c) => c.remotePeer.toString())).size
  const hasDirect = (peer: PeerId): boolean => libp2p.getConnections(peer).some(isDirect)

  const validate = (_from: PeerId, message: Message): TopicValidatorResult => {
    if (message.type !== 'signed') return TopicValidatorResult.Reject
    return ownRelayedAddrs(message.from.toString(), message.data) == null ? TopicValidatorResult.Reject : TopicValidatorResult.Accept
  }

  const dial = async (peer: PeerId, addrs: Multiaddr[]): Promise<void> => {
    const id = peer.toString()
    dialing.add(id)
    try {
      // Each relay the peer announced, in turn, until one sets up the WebRTC connection.
      for (const addr of addrs) {
        try {
          await libp2p.dial(addr)
          stats.dialed++
          failed.delete(id)
          log('direct connection to %s via %s', id, addr.toString())
          return
        } catch (err) {
          log('direct dial %s failed: %s', addr.toString(), (err as Error).message)
        }
      }
      stats.dialFailed++
      failed.set(id, { at: Date.now(), times: (failed.get(id)?.times ?? 0) + 1 })
    } finally {
      dialing.delete(id)
    }
  }

  const onMessage = (event: CustomEvent<Message>): void => {
    const message = event.detail
    if (message.topic !== DIRECT_PEERS_TOPIC || message.type !== 'signed') return
    const id = message.from.toString()
    if (id === self) return
    stats.heard++
    const epoch = (parse(message.data) as { epoch?: unknown } | undefined)?.epoch
    if (typeof epoch === 'number') {
      const before = epochs.get(id)
      epochs.set(id, epoch)
      if (before != null && before !== epoch) {
        for (const connection of libp2p.getConnections(message.from).filter(isDirect)) {
          log('%s has a new host tab: its old direct connection is gone', id)
          connection.abort(new Error('The peer\'s host tab changed'))
        }
      }
    }
    if (init.canDial?.() !== true || id > self || dialing.has(id) || hasDirect(message.from) || directCount() >= max) return
    if (!redialDue(id)) return
    const addrs = ownRelayedAddrs(id, message.data)
    if (addrs != null) void dial(message.from, addrs)
  }

  const announce = (): void => {
    if (init.canDial?.() !== true) return
    const addrs = libp2p.getMultiaddrs().map((ma) => ma.toString()).filter((text) => text.includes('/p2p-circuit/webrtc/')).slice(0, MAX_DIRECT_ANNOUNCE_ADDRS)
    if (addrs.length === 0) return
    pubsub.publish(DIRECT_PEERS_TOPIC, bytesFromString(JSON.stringify({ addrs, epoch: init.hostEpoch?.() ?? 0 }))).catch((err: unknown) => {
      log('could not announce direct addresses: %s', (err as Error).message)
    })
  }

  pubsub.topicValidators.set(DIRECT_PEERS_TOPIC, validate)
  pubsub.subscribe(DIRECT_PEERS_TOPIC)
  pubsub.addEventListener('message', onMessage)
  const timer = init.canDial == null ? undefined : setInterval(announce, DIRECT_ANNOUNCE_INTERVAL_MS)
  // A new relay reservation gives new addresses: announce them now rather than at the next tick.
  const onAddrs = (): void => { announce() }
  if (init.canDial != null) libp2p.addEventListener('self:peer:update', onAddrs)

  return {
    stats: () => ({ ...stats }),
    stop () {
      clearInterval(timer)
      libp2p.removeEventListener('self:peer:update', onAddrs)
      pubsub.removeEventListener('message', onMessage)
      pubsub.topicValidators.delete(DIRECT_PEERS_TOPIC)
      pubsub.unsubscribe(DIRECT_PEERS_TOPIC)
    }
  }
}
