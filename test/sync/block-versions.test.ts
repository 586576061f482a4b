/**
 * The block protocol's two versions side by side: a node that speaks only /kiln/blocks/1.0.0 (one
 * from before 1.1.0) still syncs with this one both ways, and a 1.1.0 answer too large for one go
 * puts blocks off, which the asker fetches again.
 */
import { logger } from '@libp2p/logger'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, describe, expect, it } from 'vitest'
import { BLOCKS_1_0, BLOCKS_1_1, fetchBlocks, requestBlocks, serveBlocks } from '../../src/sync/block-exchange.js'
import { BLOCKS_PROTOCOL, MAX_BLOCK_ANSWER_BYTES } from '../../src/sync/constants.js'
import { createKilnLibp2p, type KilnLibp2p } from '../../src/sync/libp2p-config.js'
import { createDenyList, createPeerScore } from '../../src/sync/peer-score.js'
import { LOOPBACK_WS, type TestPeer, connect, converged, peersStoppedAfterEach, waitFor } from './peers.js'

const peer = peersStoppedAfterEach()

async function speaks (from: TestPeer | KilnLibp2p, to: TestPeer | KilnLibp2p, protocol: string): Promise<boolean> {
  const [a, b] = [from, to].map((p) => 'libp2p' in p ? p.libp2p : p)
  return await a.peerStore.get(b.peerId).then((p) => p.protocols.includes(protocol), () => false)
}

describe('sync: block protocol versions', () => {
  it('a node that speaks only 1.0.0 catches up from this one, and this one from it', async () => {
    const older = await peer('blocks-older')
    await older.libp2p.unhandle(BLOCKS_PROTOCOL) // what a node from before 1.1.0 serves
    // Identify tells peers what the node's own peer record lists, which libp2p updates a moment later.
    await waitFor(async () => !await speaks(older, older, BLOCKS_PROTOCOL), 'the older node\'s own record to drop 1.1.0')
    const newer = await peer('blocks-newer')
    for (let i = 0; i < 40; i++) {
      const mine = await newer.node.create({ content: { newer: i } })
      await newer.node.update(mine.id, { content: { newer: i, v: 2 } })
      const theirs = await older.node.create({ content: { older: i } })
      await older.node.update(theirs.id, { content: { older: i, v: 2 } })
    }
    await connect(newer, older)
    await waitFor(async () => await converged(newer.node, older.node), 'both nodes to hold all 80 streams', 60_000)
    expect(older.libp2p.getProtocols()).not.toContain(BLOCKS_PROTOCOL)
  }, 90_000)

  it('a 1.0.0 request is answered by a 1.1.0 node up to its 32 CIDs; 1.1.0 takes 256', async () => {
    const server = await peer('blocks-server')
    const asker = await peer('blocks-asker')
    const tips: string[] = []
    for (let i = 0; i < 256; i++) tips.push((await server.node.create({ content: { i } })).tip)
    await connect(asker, server)
    const one = await requestBlocks(asker.libp2p, server.libp2p.peerId, tips.slice(0, 32), undefined, BLOCKS_1_0)
    expect(one.every((answer) => answer instanceof Uint8Array)).toBe(true)
    const all = await requestBlocks(asker.libp2p, server.libp2p.peerId, tips, undefined, BLOCKS_1_1)
    for (const [i, answer] of all.entries()) expect(answer).toEqual(await server.node.block(tips[i]))
    // An asker past the 1.0.0 limit is refused (the server resets the stream; the asker hears no answer).
    await expect(requestBlocks(asker.libp2p, server.libp2p.peerId, tips.slice(0, 33), undefined, { ...BLOCKS_1_0, maxCids: 33 }))
      .rejects.toMatchObject({ code: 'ERR_PEER_UNAVAILABLE' })
  }, 60_000)
})

describe('sync: a 1.1.0 answer capped in bytes', () => {
  const running: KilnLibp2p[] = []
  afterEach(async () => { for (const l of running.splice(0)) await l.stop() })

  it('blocks past the answer\'s byte cap are put off and fetched by a second request', async () => {
    // 100 blocks of 200 KB: 20 MB, past MAX_BLOCK_ANSWER_BYTES (8 MiB).
    const blocks = new Map<string, Uint8Array>()
    for (let i = 0; i < 100; i++) {
      const bytes = new Uint8Array(200_000).fill(i)
      blocks.set(CID.create(1, raw.code, await sha256.digest(bytes)).toString(), bytes)
    }
    const [serving, asking] = await Promise.all([createKilnLibp2p({ listen: [LOOPBACK_WS] }), createKilnLibp2p({ listen: [] })])
    running.push(serving, asking)
    const score = createPeerScore({ denyList: createDenyList(), onBan: () => {}, log: logger('test:blocks') })
    await serveBlocks({ libp2p: serving, score, log: logger('test:blocks'), lookup: async (cid) => blocks.get(cid) })
    await asking.dial(serving.getMultiaddrs()[0])
    await waitFor(async () => await speaks(asking, serving, BLOCKS_PROTOCOL), 'identify to tell the asker that the server speaks 1.1.0')

    const first = await requestBlocks(asking, serving.peerId, [...blocks.keys()], undefined, BLOCKS_1_1)
    const sent = first.filter((answer) => answer instanceof Uint8Array)
    expect(sent.reduce((sum, b) => sum + b.length, 0)).toBeGreaterThanOrEqual(MAX_BLOCK_ANSWER_BYTES)
    expect(first.slice(sent.length).every((answer) => answer === 'later')).toBe(true)
    expect(sent.length).toBeLessThan(blocks.size)

    const fetched = await fetchBlocks(asking, serving.peerId, [...blocks.keys()])
    // Every block, byte for byte (Buffer.equals: vitest's deep equality takes a minute over 20 MB).
    expect([...blocks].filter(([cid, bytes]) => !Buffer.from(bytes).equals(fetched.get(cid) ?? new Uint8Array())).map(([cid]) => cid)).toEqual([])
  }, 60_000)
})
