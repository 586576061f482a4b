/**
 * Ceramic's anchor batch (CIP-69): the tips to anchor are the leaves of a binary merkle tree of
 * dag-cbor nodes `[left, right]`; the root also links the tree's metadata and is the one value a
 * transaction records. Each tip's time event names the path from the root down to it (`0` left,
 * `1` right, joined by `/`). As Ceramic's anchor service builds it, a level splits at half its
 * leaves (the left side smaller), and a batch of one is a root `[tip, null, metadata]`.
 */
import type { CID } from 'multiformats/cid'
import { type Block, encodeCborBlock } from '../commits/block.js'
import { InvalidInputError } from '../errors.js'

export interface AnchorLeaf {
  stream: string
  tip: CID
}

export interface AnchorTree {
  root: CID
  /** Every node of the tree (the root and its metadata included): the time events need them. */
  blocks: Block[]
  /** For each leaf, in the order given: its path from the root. */
  paths: string[]
}

/** Ceramic's TreeMetadata names its leaf count; Kiln adds no bloom filter (nothing reads one to verify). */
interface TreeMetadata { numEntries: number }

export async function buildAnchorTree (leaves: AnchorLeaf[]): Promise<AnchorTree> {
  if (leaves.length === 0) throw new InvalidInputError('An anchor batch needs at least one tip')
  // Sorted by stream, so that a stream's tip sits at a place anyone can recompute from the batch.
  const order = leaves.map((leaf, index) => ({ leaf, index })).sort((a, b) => a.leaf.stream < b.leaf.stream ? -1 : a.leaf.stream > b.leaf.stream ? 1 : 0)
  const blocks: Block[] = []
  const paths = new Array<string>(leaves.length)
  const metadata = await encodeCborBlock({ numEntries: leaves.length } satisfies TreeMetadata)
  blocks.push(metadata)

  async function level (part: typeof order, path: string[]): Promise<CID> {
    if (part.length === 1 && path.length > 0) {
      paths[part[0].index] = path.join('/')
      return part[0].leaf.tip
    }
    if (part.length === 1) {
      paths[part[0].index] = '0'
      const root = await encodeCborBlock([part[0].leaf.tip, null, metadata.cid])
      blocks.push(root)
      return root.cid
    }
    const middle = Math.trunc(part.length / 2)
    const left = await level(part.slice(0, middle), [...path, '0'])
    const right = await level(part.slice(middle), [...path, '1'])
    const node = await encodeCborBlock(path.length === 0 ? [left, right, metadata.cid] : [left, right])
    blocks.push(node)
    return node.cid
  }

  const root = await level(order, [])
  return { root, blocks, paths }
}
