/**
 * helia on the node's own libp2p (one peer id for sync and files): helia's light constructor with
 * bitswap as the only block broker and no routers, so blocks are asked only of connected peers,
 * never of public routers, gateways or a DHT (design.md §6). Sync keeps its own block protocol;
 * bitswap carries files only.
 */
import { bitswap } from '@helia/block-brokers'
import { Helia } from '@helia/utils'
import { stop, type Libp2p } from '@libp2p/interface'
import { MemoryDatastore } from 'datastore-core'
import type { Blockstore } from 'interface-blockstore'
import { NotFoundError } from 'interface-store'
import { BlockNotFoundError, hasCode } from '../errors.js'

export interface FileNetwork {
  /** Reads local blocks, and asks connected peers for missing ones (verified, then kept locally). */
  blockstore: Blockstore
  /** Stops bitswap; libp2p stays up (its owner stops it). */
  stop: () => Promise<void>
}

/**
 * @example
 * const network = await startFileNetwork(libp2p, files.blocks)
 * files.useNetwork(network.blockstore)
 */
export async function startFileNetwork (libp2p: Libp2p, blocks: Blockstore): Promise<FileNetwork> {
  const helia = new Helia({
    libp2p,
    blockstore: missingAsNotFound(blocks),
    // helia keeps pins and its datastore version here; Kiln keeps its own references to files.
    datastore: new MemoryDatastore(),
    blockBrokers: [bitswap()],
    routers: []
  })
  // Starts bitswap (its protocol handler) and helia's stores; libp2p is already running.
  await helia.start()
  return {
    blockstore: helia.blockstore,
    async stop () {
      // helia.stop() would stop libp2p as well, which sync still uses.
      await stop(helia.blockstore, helia.routing)
    }
  }
}

/**
 * The store as helia reads it: a block this node lacks is interface-store's NotFoundError. On that
 * error bitswap keeps a peer's want and sends the block once it lands here; on any other it never
 * answers that want again, so a device that asks a server for a file the server is still fetching
 * would wait in vain.
 */
function missingAsNotFound (blocks: Blockstore): Blockstore {
  async function * get (...args: Parameters<Blockstore['get']>): ReturnType<Blockstore['get']> {
    try {
      yield * blocks.get(...args)
    } catch (err) {
      if (hasCode(err, BlockNotFoundError)) throw new NotFoundError((err as Error).message)
      throw err
    }
  }
  // Every other call goes to the store itself (its quota and written-at bookkeeping included).
  return new Proxy(blocks, { get: (target, key, receiver) => key === 'get' ? get : Reflect.get(target, key, receiver) })
}
