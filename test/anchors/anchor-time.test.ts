import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { CID } from 'multiformats/cid'
import { convertEthHashToCid } from '@ceramicnetwork/anchor-utils'
import { evmAnchorValidator } from '../../src/anchors/evm-anchors.js'
import { AnchorStatus, decodeCar, encodeCar, encodeCborBlock, timeCommit } from '../../src/index.js'
import { withCapability } from '../../src/identity/signer.js'
import { createStreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { startEvmChain, type EvmChain } from '../fixtures/evm-chain.js'
import { kilnSigner } from '../fixtures/identities.js'
import { DAY, HOUR, siweCacao } from '../fixtures/wallet.js'

let chain: EvmChain
beforeAll(async () => { chain = await startEvmChain() }, 60_000)
afterAll(async () => { await chain?.close() })
afterEach(() => { vi.useRealTimers() })

/** Anchors a stream's tip on the chain the way Ceramic's anchor service does; returns the CAR with the time event as its root. */
async function anchoredCar (car: Uint8Array, tip: string) {
  const { blocks } = await decodeCar(car)
  const neighbour = await encodeCborBlock({ another: 'tip' })
  const root = await encodeCborBlock([CID.parse(tip), neighbour.cid])
  const tx = await chain.anchor(root.cid)
  const proof = await encodeCborBlock({ chainId: chain.chainId, txHash: CID.parse(convertEthHashToCid(tx.hash).toString()), root: root.cid, txType: 'f(bytes32)' })
  const genesis = CID.parse([...blocks.keys()][0])
  const time = await encodeCborBlock(timeCommit({ id: genesis, prev: CID.parse(tip), proof: proof.cid, path: '0' }))
  return { car: await encodeCar(time.cid, [...blocks.values(), neighbour, root, proof, time]), timestamp: tx.timestamp }
}

describe('anchors settle time for every node', () => {
  it('a node that first sees an expired session\'s commits days later accepts them when an anchor shows they were made in time', async () => {
    const key = await kilnSigner('session-key')
    const session = await withCapability(key, await siweCacao({ session: key.id, expirationTime: new Date(Date.now() + HOUR) }))
    const writer = createStreamNode({ store: createMemoryStore(), signer: session })
    const note = await writer.create({ content: { v: 1 } })
    const updated = await writer.update(note.id, { content: { v: 2 } })
    const { car, timestamp } = await anchoredCar(await writer.exportCar(note.id), updated.tip)

    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 3 * DAY)
    const anchorValidator = evmAnchorValidator({ chains: { [chain.chainId]: { rpcUrl: chain.rpcUrl, confirmations: 1 } } })
    const late = createStreamNode({ store: createMemoryStore(), anchorValidator })
    await late.importCar(car)
    const loaded = await late.load(note.id)
    expect(loaded.content).toEqual({ v: 2 })
    expect(loaded.anchorStatus).toBe(AnchorStatus.ANCHORED)
    expect((await late.history(note.id)).map((entry) => entry.timestamp)).toEqual([timestamp, timestamp, timestamp])

    // Without the anchor the same commits have no evidence of their time: refused, as before.
    const unanchored = createStreamNode({ store: createMemoryStore(), anchorValidator })
    await expect(unanchored.importCar(await writer.exportCar(note.id))).rejects.toMatchObject({ code: 'ERR_CAPABILITY_EXPIRED' })
    // And a node that trusts no chain cannot check the anchor: refused typed, nothing stored.
    const trustsNoChain = createStreamNode({ store: createMemoryStore() })
    await expect(trustsNoChain.importCar(car)).rejects.toMatchObject({ code: 'ERR_INVALID_ANCHOR' })
    expect(await trustsNoChain.has(note.id)).toBe(false)
  }, 30_000)
})
