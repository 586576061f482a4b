/**
 * An OrbitDB 4 peer for the sync bench: helia with bitswap (its only block broker, no routers) on
 * a libp2p that is loopback-only by construction: WebSockets, noise, yamux, identify, gossipsub; no
 * bootstrap, mdns, DHT or UPnP, so it connects to nothing but the address it is told to dial (and
 * listens only where told, on 127.0.0.1). Disk stores (LevelDB) for the server, memory for clients.
 */
import { bitswap } from '@helia/block-brokers'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import { createOrbitDB, type OrbitDB } from '@orbitdb/core'
import { MemoryBlockstore } from 'blockstore-core'
import { LevelBlockstore } from 'blockstore-level'
import { MemoryDatastore } from 'datastore-core'
import { LevelDatastore } from 'datastore-level'
import { createHelia, type Helia } from 'helia'
import { createLibp2p } from 'libp2p'
import { join } from 'node:path'

export interface OrbitPeer { orbitdb: OrbitDB, ipfs: Helia, stop: () => Promise<void> }

/** A document of the sync bench: `n` counts its changes (0 for the first put). */
export interface SyncDoc { _id: string, n: number, i?: number }

export interface OrbitPeerInit {
  /** OrbitDB's own directory (keystore, heads, indexes), and with `disk` helia's blocks and pins. */
  dir: string
  /** Listen addresses, e.g. `/ip4/127.0.0.1/tcp/0/ws`; a client listens on none. */
  listen?: string[]
  disk?: boolean
}

export async function startOrbitPeer (init: OrbitPeerInit): Promise<OrbitPeer> {
  const libp2p = await createLibp2p({
    addresses: { listen: init.listen ?? [] },
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // libp2p's default refuses to dial ws:// and loopback addresses; this peer dials only what it is told.
    connectionGater: { denyDialMultiaddr: async () => false },
    services: {
      identify: identify(),
      // OrbitDB publishes each new entry whether or not a peer listens; no peer exchange, no flood fallback.
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, doPX: false, fallbackToFloodsub: false })
    }
  })
  const blockstore = init.disk === true ? new LevelBlockstore(join(init.dir, 'blocks')) : new MemoryBlockstore()
  const datastore = init.disk === true ? new LevelDatastore(join(init.dir, 'data')) : new MemoryDatastore()
  if (blockstore instanceof LevelBlockstore) await blockstore.open()
  if (datastore instanceof LevelDatastore) await datastore.open()
  const ipfs = await createHelia({ libp2p, blockstore, datastore, blockBrokers: [bitswap()], routers: [] })
  const orbitdb = await createOrbitDB({ ipfs, directory: join(init.dir, 'orbitdb') })
  let stopped: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopped ??= (async () => {
      await orbitdb.stop()
      await ipfs.stop()
      if (blockstore instanceof LevelBlockstore) await blockstore.close()
      if (datastore instanceof LevelDatastore) await datastore.close()
    })()
    await stopped
  }
  return { orbitdb, ipfs, stop }
}
