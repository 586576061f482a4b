import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import type { BlockSource } from '../../src/commits/block.js'
import { LoadedCommits, loadCommit } from '../../src/commits/decode.js'
import { createStreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { kilnSigner } from '../fixtures/identities.js'

/** A node's blocks as a source, counting reads; `tamper` flips a byte of every block it serves. */
async function blocksOf (tamper = false): Promise<{ tip: CID, source: BlockSource, reads: () => number }> {
  const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('loaded') })
  const { id } = await node.create({ content: { v: 1 } })
  const { tip } = await node.update(id, { content: { v: 2 } })
  let reads = 0
  const source: BlockSource = async (cid) => {
    reads++
    const bytes = await node.block(cid.toString())
    if (bytes == null || !tamper) return bytes
    const copy = new Uint8Array(bytes)
    copy[copy.length - 1] ^= 1
    return copy
  }
  return { tip: CID.parse(tip), source, reads: () => reads }
}

describe('LoadedCommits', () => {
  it('a commit read once is handed out again without reading its blocks', async () => {
    const { tip, source, reads } = await blocksOf()
    const loaded = new LoadedCommits()
    const first = await loadCommit(tip, source, loaded)
    const afterFirst = reads()
    expect(afterFirst).toBeGreaterThanOrEqual(2) // a signed commit: its envelope and payload
    expect(await loadCommit(tip, source, loaded)).toBe(first)
    expect(reads()).toBe(afterFirst)
    // Without it, every load reads again.
    expect(await loadCommit(tip, source)).toEqual(first)
    expect(reads()).toBe(2 * afterFirst)
  })

  it('keeps nothing that failed its checks: bytes that do not hash to their CID are refused each time', async () => {
    const { tip, source } = await blocksOf(true)
    const loaded = new LoadedCommits()
    await expect(loadCommit(tip, source, loaded)).rejects.toMatchObject({ code: 'ERR_MALFORMED_COMMIT' })
    await expect(loadCommit(tip, source, loaded)).rejects.toMatchObject({ code: 'ERR_MALFORMED_COMMIT' })
  })
})
