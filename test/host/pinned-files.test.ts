import { MemoryBlockstore } from 'blockstore-core'
import { afterEach, describe, expect, it } from 'vitest'
import { createFileBlockstore } from '../../src/files/file-blockstore.js'
import { startFileNetwork } from '../../src/files/file-network.js'
import { fileUri } from '../../src/files/file-refs.js'
import { createFileStore, type FileStore } from '../../src/files/file-store.js'
import { createNodeHost } from '../../src/host/serve.js'
import { silentLogger } from '../../src/logger.js'
import { connect, startPeer, type TestPeer, waitFor } from '../sync/peers.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

/** A peer whose files ride its libp2p (bitswap), as the worker's do once its network starts. */
async function withFiles (name: string): Promise<TestPeer & { files: FileStore }> {
  const peer = await startPeer(name, { signerName: name })
  const files = createFileStore({ blocks: createFileBlockstore({ store: new MemoryBlockstore() }), fetchTimeoutMs: 5_000 })
  const network = await startFileNetwork(peer.libp2p, files.blocks)
  files.useNetwork(network.blockstore)
  cleanups.push(async () => { await network.stop(); await peer.stop() })
  return Object.assign(peer, { files })
}

const bytesOf = (length: number, seed: number): Uint8Array => new Uint8Array(length).map((_, i) => (i * seed) % 251)

describe('the browser host keeps the files of pinned documents', () => {
  it('fetches a document\'s files when it is pinned and when a pinned document changes, not for one that is not pinned', async () => {
    const a = await withFiles('alice')
    const b = await withFiles('bob')
    const host = createNodeHost({ node: b.node, mode: 'dedicated-worker', log: silentLogger, files: async () => b.files })
    const api = host.connect(() => {})
    await connect(b, a)

    const first = await a.files.add(bytesOf(1_500_000, 7))
    const loose = await a.files.add(bytesOf(200_000, 11))
    const pinned = await a.node.create({ content: { title: 'keep', image: fileUri(first.cid) } })
    const other = await a.node.create({ content: { title: 'just synced', image: fileUri(loose.cid) } })
    await waitFor(async () => await b.node.has(pinned.id) && await b.node.has(other.id), 'bob to get both documents')

    await api.pin(pinned.id)
    await waitFor(async () => await b.files.has(first.cid), 'bob to fetch the pinned document\'s file')

    const second = await a.files.add(bytesOf(600_000, 13))
    await a.node.update(pinned.id, { content: { title: 'keep', image: fileUri(second.cid) } })
    await waitFor(async () => await b.files.has(second.cid), 'bob to fetch the file the pinned document names now')
    // Nobody read either file on bob: they came because the document is pinned. The other one did not.
    expect(await b.files.has(loose.cid)).toBe(false)
  }, 60_000)
})
