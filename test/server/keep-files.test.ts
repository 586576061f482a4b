import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryBlockstore } from 'blockstore-core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createFileBlockstore } from '../../src/files/file-blockstore.js'
import { startFileNetwork, type FileNetwork } from '../../src/files/file-network.js'
import { fileRefsIn, fileUri } from '../../src/files/file-refs.js'
import { createFileStore, type FileStore } from '../../src/files/file-store.js'
import { createStreamNode } from '../../src/node/stream-node.js'
import { startServerPeer, type ServerPeer } from '../../src/server/server-peer.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { kilnSigner } from '../fixtures/identities.js'
import { startPeer, type TestPeer } from '../sync/peers.js'

const memoryFiles = (): FileStore => createFileStore({ blocks: createFileBlockstore({ store: new MemoryBlockstore() }), fetchTimeoutMs: 5_000 })

/** A device: a test peer (memory store, its own libp2p) whose files ride the same libp2p. */
async function device (name: string, server: ServerPeer): Promise<TestPeer & { files: FileStore, fileNetwork: FileNetwork }> {
  const peer = await startPeer(name, { signerName: 'alice', bootstrap: server.multiaddrs(), listen: false })
  await peer.goOnline()
  const files = memoryFiles()
  const fileNetwork = await startFileNetwork(peer.libp2p, files.blocks)
  files.useNetwork(fileNetwork.blockstore)
  return Object.assign(peer, { files, fileNetwork })
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

async function readAll (chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = []
  for await (const c of chunks) parts.push(c)
  return Buffer.concat(parts)
}

describe('a document\'s files travel with it through a server peer', () => {
  it('A adds a file and a post naming it; the server keeps the file; B, after A is gone, reads it', async () => {
    const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('server') })
    const serverFiles = memoryFiles()
    const server = await startServerPeer({ node, dir: mkdtempSync(join(tmpdir(), 'kiln-keep-')), listen: ['/ip4/127.0.0.1/tcp/0/ws'], httpHost: '127.0.0.1', httpPort: 0, files: serverFiles, syncIntervalMs: 500 })
    cleanups.push(async () => { await server.stop(); await node.close() })

    const a = await device('a', server)
    cleanups.push(async () => { await a.fileNetwork.stop(); await a.stop() })
    const image = new Uint8Array(2_500_000).map((_, i) => (i * 13) % 256)
    const { cid } = await a.files.add(image)
    const post = await a.node.create({ content: { text: 'look', image: fileUri(cid) } })
    expect(fileRefsIn(post.content)).toEqual([cid])

    await vi.waitFor(async () => { expect(await node.has(post.id)).toBe(true) }, { timeout: 15_000, interval: 100 })
    await vi.waitFor(async () => { expect(await serverFiles.has(cid)).toBe(true) }, { timeout: 15_000, interval: 100 })
    await a.fileNetwork.stop()
    await a.goOffline()

    const b = await device('b', server)
    cleanups.push(async () => { await b.fileNetwork.stop(); await b.stop() })
    const seen = await vi.waitFor(async () => await b.node.load(post.id), { timeout: 15_000, interval: 200 })
    const [ref] = fileRefsIn(seen.content)
    expect((await readAll(b.files.read(ref))).equals(Buffer.from(image))).toBe(true)
  }, 60_000)
})

describe('file references in content', () => {
  it('finds every ipfs:// CID once, anywhere in the content; other strings are not references', () => {
    const cid = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    expect(fileRefsIn({ a: fileUri(cid), list: [{ src: `ipfs://${cid}/x.png` }, 'ipfs://nope', 'https://x.test'], n: 3 })).toEqual([cid])
    expect(fileRefsIn({ old: 'ipfs://QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR' })).toEqual(['bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi'])
  })
})
