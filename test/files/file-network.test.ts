import { MemoryBlockstore } from 'blockstore-core'
import type { Blockstore } from 'interface-blockstore'
import { CID } from 'multiformats/cid'
import { afterEach, describe, expect, it } from 'vitest'
import { collect, createFileBlockstore } from '../../src/files/file-blockstore.js'
import { startFileNetwork, type FileNetwork } from '../../src/files/file-network.js'
import { createFileStore, type FileStore } from '../../src/files/file-store.js'
import { createKilnLibp2p, type KilnLibp2p } from '../../src/sync/libp2p-config.js'
import { LOOPBACK_WS } from '../sync/peers.js'

const MiB = 1024 * 1024

interface FilePeer { libp2p: KilnLibp2p, store: MemoryBlockstore, files: FileStore, network: FileNetwork }
const running: FilePeer[] = []
afterEach(async () => {
  for (const peer of running.splice(0)) {
    await peer.network.stop()
    await peer.libp2p.stop()
  }
})

/** A node's files on its own libp2p (WebSockets on loopback). `store` is what bitswap serves from. */
async function filePeer (init: { serveFrom?: MemoryBlockstore, watch?: (blocks: Blockstore) => Blockstore } = {}): Promise<FilePeer> {
  const libp2p = await createKilnLibp2p({ listen: [LOOPBACK_WS] })
  const store = new MemoryBlockstore()
  const blocks = createFileBlockstore({ store })
  const files = createFileStore({ blocks, fetchTimeoutMs: 3_000 })
  // A rogue peer serves straight from a store it tampered with, past the verifying blockstore.
  const network = await startFileNetwork(libp2p, init.serveFrom ?? init.watch?.(blocks) ?? blocks)
  files.useNetwork(network.blockstore)
  const peer = { libp2p, store, files, network }
  running.push(peer)
  return peer
}

async function readAll (chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const c of chunks) parts.push(c)
  return Buffer.concat(parts)
}

function bytesOf (length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = (i * 31 + (i >> 10)) & 0xff
  return out
}

describe('files between peers (helia bitswap on the node libp2p)', () => {
  it('a file added on A is read on B over their one connection, verified, and kept by B', async () => {
    const a = await filePeer()
    const b = await filePeer()
    const bytes = bytesOf(5 * MiB + 11)
    const added = await a.files.add(bytes)
    await b.libp2p.dial(a.libp2p.getMultiaddrs()[0])
    expect(await b.files.has(added.cid)).toBe(false)
    expect((await readAll(b.files.read(added.cid))).equals(Buffer.from(bytes))).toBe(true)
    expect(await b.files.has(added.cid)).toBe(true)
    // One libp2p, one peer id: bitswap rides the connection sync uses.
    expect(b.libp2p.getConnections(a.libp2p.peerId)).toHaveLength(1)
    await a.network.stop()
    expect((await readAll(b.files.read(added.cid))).length).toBe(bytes.length)
  })

  it('a file a peer holds that is past this node\'s size limit is refused before any of it is fetched', async () => {
    const a = await filePeer()
    const libp2p = await createKilnLibp2p({ listen: [LOOPBACK_WS] })
    const store = new MemoryBlockstore()
    const small = createFileStore({ blocks: createFileBlockstore({ store }), maxFileBytes: MiB, fetchTimeoutMs: 3_000 })
    const network = await startFileNetwork(libp2p, small.blocks)
    small.useNetwork(network.blockstore)
    running.push({ libp2p, store, files: small, network })
    const added = await a.files.add(bytesOf(3 * MiB))
    await libp2p.dial(a.libp2p.getMultiaddrs()[0])
    await expect(readAll(small.read(added.cid))).rejects.toMatchObject({ code: 'ERR_FILE_TOO_LARGE' })
    const kept: string[] = []
    for await (const { cid } of store.getAll()) kept.push(cid.toString())
    expect(kept).toHaveLength(1) // the root, which says how long the file is; no leaf
  })

  it('a block a peer sends that does not match its CID is refused: the read fails and B keeps nothing', async () => {
    const honest = createFileStore({ blocks: createFileBlockstore({ store: new MemoryBlockstore() }) })
    const added = await honest.add(bytesOf(3 * MiB))
    const tampered = new MemoryBlockstore()
    for await (const { cid, bytes } of honest.blocks.getAll()) {
      const block = new Uint8Array(await collect(bytes))
      if (cid.code === 0x55) block[0] ^= 0xff // raw leaves: damaged
      await tampered.put(cid, block)
    }
    const rogue = await filePeer({ serveFrom: tampered })
    await tampered.put(CID.parse(added.cid), await collect(honest.blocks.get(CID.parse(added.cid))))
    const b = await filePeer()
    await b.libp2p.dial(rogue.libp2p.getMultiaddrs()[0])
    await expect(readAll(b.files.read(added.cid))).rejects.toMatchObject({ code: 'ERR_BLOCK_NOT_FOUND' })
    const kept: string[] = []
    for await (const { cid } of b.store.getAll()) kept.push(cid.toString())
    // Whatever B kept (the honest root at most) verifies; no damaged leaf was stored.
    expect(kept.length).toBeLessThanOrEqual(1)
    for (const k of kept) expect(await b.files.blocks.getBlock(CID.parse(k))).toBeInstanceOf(Uint8Array)
  }, 20_000)

  it('a peer asked for a block it does not hold yet sends it once it has it (a server fetching a file a device asks for)', async () => {
    const a = await filePeer()
    const asked = Promise.withResolvers<void>()
    // Resolves when the server's bitswap looks the block up for B: B's want has arrived.
    const server = await filePeer({
      watch: (blocks) => new Proxy(blocks, {
        get: (target, key) => key === 'get'
          ? (cid: CID, options?: object) => { asked.resolve(); return target.get(cid, options) }
          : Reflect.get(target, key)
      })
    })
    const b = await filePeer()
    const added = await a.files.add(bytesOf(100_000))
    await b.libp2p.dial(server.libp2p.getMultiaddrs()[0])
    const read = readAll(b.files.read(added.cid))
    await asked.promise
    await server.libp2p.dial(a.libp2p.getMultiaddrs()[0])
    await readAll(server.files.read(added.cid))
    expect((await read).equals(Buffer.from(bytesOf(100_000)))).toBe(true)
  })
})
