/**
 * The libp2p options both sides use: WebSockets (a browser dials, the server peer also listens),
 * noise, yamux, identify, ping, gossipsub, and a circuit-relay server on the server peer.
 * Nothing reaches the network unless configured: no bootstrap list, no STUN, no DHT; peers come
 * from explicit multiaddrs only (design.md §6, style.md §11).
 */
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'
import type { PrivateKey } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify, identifyPush, type Identify, type IdentifyPush } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { circuitRelayServer, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { fromString as bytesFromString, toString as bytesToString } from 'uint8arrays'
import { InvalidInputError } from '../errors.js'
import { GOSSIP_MAX_DATA_BYTES } from './constants.js'
import type { DenyList } from './peer-score.js'

export interface KilnServices extends Record<string, unknown> {
  identify: Identify
  identifyPush: IdentifyPush
  ping: Ping
  pubsub: GossipSub
  relay?: CircuitRelayService
}

export type KilnLibp2p = Libp2p<KilnServices>

export interface KilnLibp2pInit {
  /** The peer identity; without one libp2p makes a fresh key (a new PeerId every start). */
  privateKey?: PrivateKey
  /** Multiaddrs to listen on, e.g. `/ip4/127.0.0.1/tcp/4010/ws` (server peer). A browser listens on none. */
  listen?: string[]
  /** Addresses to announce instead of the listen addresses (behind a proxy or NAT). */
  announce?: string[]
  /** Run a circuit-relay v2 server, so browsers can reach each other to set up WebRTC later. */
  relay?: boolean
  /** Misbehaving peers whose connections are refused (startSync fills it); pass the same one to startSync. */
  denyList?: DenyList
  /** Certificate and key (PEM) for secure WebSockets: listen addresses ending in `/tls/ws` use them. */
  tls?: { cert: string, key: string }
  /** Transports for direct connections between browsers and what they listen on (webrtc.ts). */
  direct?: DirectTransports
}

export interface DirectTransports {
  transports: NonNullable<Libp2pOptions<KilnServices>['transports']>
  listen: string[]
}

/**
 * Libp2p options for a Kiln peer.
 *
 * @example
 * const denyList = createDenyList()
 * const libp2p = await createLibp2p(kilnLibp2pOptions({ listen: ['/ip4/127.0.0.1/tcp/4010/ws'], relay: true, denyList }))
 */
export function kilnLibp2pOptions (init: KilnLibp2pInit = {}): Libp2pOptions<KilnServices> {
  const denied = (peer: { toString: () => string }): boolean => init.denyList?.isDenied(peer.toString()) ?? false
  const services: Libp2pOptions<KilnServices>['services'] = {
    identify: identify(),
    // Tells connected peers when this node starts serving sync protocols (a worker may start sync later).
    identifyPush: identifyPush(),
    ping: ping(),
    pubsub: gossipsub({
      // Local writes are announced whether or not anyone listens; catch-up covers the gap.
      allowPublishToZeroTopicPeers: true,
      // Above the UPDATE limit, so an oversize UPDATE reaches our decoder and counts against its sender.
      maxInboundDataLength: GOSSIP_MAX_DATA_BYTES,
      // No peer exchange or flood fallback: peers come from explicit configuration only.
      doPX: false,
      fallbackToFloodsub: false
    })
  }
  if (init.relay === true) services.relay = circuitRelayServer()
  const options: Libp2pOptions<KilnServices> = {
    addresses: { listen: [...init.listen ?? [], ...init.direct?.listen ?? []], announce: init.announce ?? [] },
    transports: [webSockets(init.tls == null ? {} : { https: { cert: init.tls.cert, key: init.tls.key } }), ...init.direct?.transports ?? []],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: {
      // libp2p's default refuses ws:// and private addresses; Kiln dials only what it is told to.
      denyDialMultiaddr: async () => false,
      denyDialPeer: denied,
      denyInboundEncryptedConnection: denied,
      denyOutboundEncryptedConnection: denied
    },
    services
  }
  if (init.privateKey != null) options.privateKey = init.privateKey
  return options
}

/** Creates and starts a Kiln libp2p node. */
export async function createKilnLibp2p (init: KilnLibp2pInit = {}): Promise<KilnLibp2p> {
  return await createLibp2p(kilnLibp2pOptions(init))
}

/** A new Ed25519 peer identity. */
export async function createPeerKey (): Promise<PrivateKey> {
  return await generateKeyPair('Ed25519')
}

/** The peer key as text (base64 of libp2p's protobuf key encoding), to persist it. */
export function encodePeerKey (key: PrivateKey): string {
  return bytesToString(privateKeyToProtobuf(key), 'base64pad')
}

export function decodePeerKey (text: string): PrivateKey {
  try {
    return privateKeyFromProtobuf(bytesFromString(text.trim(), 'base64pad'))
  } catch (err) {
    throw new InvalidInputError('Not a libp2p private key (base64 protobuf)', undefined, { cause: err })
  }
}
