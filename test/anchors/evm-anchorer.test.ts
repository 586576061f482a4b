import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/logger.js'
import { startEvmAnchorer } from '../../src/anchors/evm-anchorer.js'
import { evmAnchorValidator } from '../../src/anchors/evm-anchors.js'
import { AnchorStatus, EventType } from '../../src/index.js'
import { createStreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { startEvmChain, type EvmChain } from '../fixtures/evm-chain.js'
import { kilnSigner } from '../fixtures/identities.js'

let chain: EvmChain
beforeAll(async () => { chain = await startEvmChain() }, 60_000)
afterAll(async () => { await chain?.close() })

const trustChain = () => evmAnchorValidator({ chains: { [chain.chainId]: { rpcUrl: chain.rpcUrl, confirmations: 1 } } })

describe('a node anchors its streams on an EVM chain by itself', () => {
  it('a batch whose transaction fails anchors nothing, and its streams wait for the next one', async () => {
    const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('bob'), anchorValidator: trustChain() })
    const broke = startEvmAnchorer({ node, chainId: chain.chainId, rpcUrl: chain.rpcUrl, privateKey: `0x${'11'.repeat(32)}`, confirmations: 1, intervalMs: 0, pollingIntervalMs: 50, log: silentLogger })
    try {
      const note = await node.create({ content: { v: 1 } })
      await expect(broke.anchorNow()).rejects.toThrow(/funds|balance/i)
      expect(broke.pending).toBe(1)
      expect((await node.load(note.id)).anchorStatus).not.toBe(AnchorStatus.ANCHORED)
    } finally {
      await broke.stop()
    }
  }, 60_000)

  it('one transaction anchors every changed stream; a new node trusting only the chain verifies them; Ceramic\'s handlers accept the time events', async () => {
    const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice'), anchorValidator: trustChain() })
    const anchorer = startEvmAnchorer({ node, chainId: chain.chainId, rpcUrl: chain.rpcUrl, privateKey: chain.fundedKey, confirmations: 1, intervalMs: 0, pollingIntervalMs: 50, log: silentLogger })
    try {
      const notes = await Promise.all([1, 2, 3].map(async (v) => await node.create({ content: { v } })))
      await node.update(notes[0].id, { content: { v: 10 } })
      expect(anchorer.pending).toBe(3)
      const batch = await anchorer.anchorNow()
      expect(batch).toMatchObject({ streams: 3, failed: 0 })
      for (const note of notes) {
        const anchored = await node.load(note.id)
        expect(anchored.anchorStatus).toBe(AnchorStatus.ANCHORED)
        expect(anchored.log.at(-1)?.type).toBe(EventType.TIME)
        expect(anchored.log.every((entry) => typeof entry.timestamp === 'number')).toBe(true)
      }
      // Nothing changed since: nothing to anchor. One update: only that stream.
      expect(await anchorer.anchorNow()).toBeUndefined()
      await node.update(notes[1].id, { content: { v: 20 } })
      expect(await anchorer.anchorNow()).toMatchObject({ streams: 1 })

      const fresh = createStreamNode({ store: createMemoryStore(), anchorValidator: trustChain() })
      const car = await node.exportCar(notes[0].id)
      await fresh.importCar(car)
      const seen = await fresh.load(notes[0].id)
      expect(seen.content).toEqual({ v: 10 })
      expect(seen.anchorStatus).toBe(AnchorStatus.ANCHORED)
      expect(seen.log.map((e) => e.timestamp)).toEqual((await node.load(notes[0].id)).log.map((e) => e.timestamp))

      // Loaded last: Ceramic's packages replace the global fetch with node-fetch, which viem cannot read.
      const { CeramicWorld } = await import('../fixtures/ceramic-replay.js')
      const ceramic = new CeramicWorld()
      await ceramic.addCar(car, notes[0].id)
      const replayed = await ceramic.replay(notes[0].id)
      expect(replayed.anchorStatus).toBe(AnchorStatus.ANCHORED)
      expect(replayed.log.at(-1)?.type).toBe(EventType.TIME)
      expect(replayed.content).toEqual({ v: 10 })
    } finally {
      await anchorer.stop()
    }
  }, 60_000)
})
