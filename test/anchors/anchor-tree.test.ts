import { describe, expect, it } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { IpfsMerge, MerkleTreeFactory, pathString, type Node } from '@ceramicnetwork/anchor-utils'
import { buildAnchorTree } from '../../src/anchors/anchor-tree.js'
import { encodeCborBlock, loadCommit, timeCommit } from '../../src/index.js'

async function leaves (n: number) {
  return await Promise.all(Array.from({ length: n }, async (_, i) => ({ stream: `stream-${String(i * 7919 % n).padStart(5, '0')}`, tip: (await encodeCborBlock({ tip: i })).cid })))
}

/** Ceramic's own tree builder (the anchor service's), storing its nodes as dag-cbor like IPFS would. */
async function ceramicTree (items: Array<{ stream: string, tip: CID }>) {
  const storeRecord = async (value: unknown) => CID.createV1(dagCbor.code, await sha256.digest(dagCbor.encode(value)))
  const merge = new IpfsMerge({ storeRecord } as never, { debug: () => {} } as never)
  type Leaf = { cid: CID, stream: string }
  const compare = { compare: (a: Node<Leaf>, b: Node<Leaf>) => a.data.stream < b.data.stream ? -1 : a.data.stream > b.data.stream ? 1 : 0 }
  const metadata = { generateMetadata: (nodes: Array<Node<Leaf>>) => ({ numEntries: nodes.length }) }
  const factory = new MerkleTreeFactory<Leaf, Leaf, { numEntries: number }>(merge as never, compare, metadata)
  const tree = await factory.build(items.map(({ stream, tip }) => ({ cid: tip, stream })))
  const leafNodes = (tree as unknown as { leafNodes: Array<Node<Leaf>> }).leafNodes
  const pathOf = (stream: string) => pathString(tree.getDirectPathFromRoot(leafNodes.findIndex((node) => node.data.stream === stream)))
  return { root: (tree.root.data as { cid: CID }).cid, pathOf }
}

describe('the anchor batch tree', () => {
  it.each([1, 2, 3, 7, 64, 1000])('of %i tips is the tree Ceramic\'s anchor service builds, root and paths alike', async (n) => {
    const items = await leaves(n)
    const kiln = await buildAnchorTree(items)
    const ceramic = await ceramicTree(items)
    expect(kiln.root.toString()).toBe(ceramic.root.toString())
    expect(kiln.paths).toEqual(items.map((item) => ceramic.pathOf(item.stream)))
  })

  it('every path leads a time event from the root to its tip', async () => {
    const items = await leaves(5)
    const tree = await buildAnchorTree(items)
    const proof = await encodeCborBlock({ chainId: 'eip155:1337', txHash: items[0].tip, root: tree.root, txType: 'f(bytes32)' })
    const blocks = new Map([...tree.blocks, proof].map((b) => [b.cid.toString(), b.bytes]))
    for (const [i, item] of items.entries()) {
      const time = await encodeCborBlock(timeCommit({ id: item.tip, prev: item.tip, proof: proof.cid, path: tree.paths[i] }))
      blocks.set(time.cid.toString(), time.bytes)
      const decoded = await loadCommit(time.cid, async (cid) => blocks.get(cid.toString()))
      expect(decoded.kind).toBe('time')
    }
  })

  it('an empty batch is refused', async () => {
    await expect(buildAnchorTree([])).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
  })
})
