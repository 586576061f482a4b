import { describe, expect, it } from 'vitest'
import { CarReader } from '@ipld/car'
import { CID } from 'multiformats/cid'
import {
  AnchorStatus, EventType, StreamType, applyNewCommit, buildGenesis, buildSignedCommit, createFromGenesis, dataCommit,
  encodeCar, encodeCborBlock, exportStreamCar, importStreamCar, loadCommit, pickCanonicalLog, tileGenesis, timeCommit, tipOf,
  type AnchorProof, type AnchorValidator, type StreamState
} from '../../src/index.js'
import { BlockMap } from '../fixtures/blocks.js'
import { kilnSigner } from '../fixtures/identities.js'

async function threeCommitStream () {
  const alice = await kilnSigner('alice')
  const blocks = new BlockMap()
  const genesis = await buildGenesis(StreamType.TILE, tileGenesis({ controller: alice.id, content: { v: 0 } }), alice)
  blocks.put(genesis)
  let { state } = await createFromGenesis(genesis.streamId, blocks.source)
  for (const v of [1, 2]) {
    const commit = await buildSignedCommit(dataCommit({ genesis: state.id.cid, prev: tipOf(state), patch: [{ op: 'replace', path: '/v', value: v }] }), alice)
    blocks.put(commit)
    state = (await applyNewCommit(state, commit.cid, blocks.source)).state
  }
  return { alice, blocks, state }
}

/**
 * Ethereum cannot be reached here, so the chain lookup is a table of transactions this test
 * "mined"; everything else about the time commit (proof block, merkle path) is real.
 */
function chainOf (mined: Map<string, number>): AnchorValidator {
  return async (proof: AnchorProof) => {
    const time = mined.get(proof.txHash.toString())
    if (time == null) throw new Error(`transaction ${proof.txHash.toString()} not found on ${proof.chainId}`)
    return time
  }
}

async function anchor (state: StreamState, blocks: BlockMap, tx: string) {
  const other = await encodeCborBlock({ another: 'leaf' })
  const root = await encodeCborBlock([tipOf(state), other.cid])
  const txHash = (await encodeCborBlock({ tx })).cid
  const proof = await encodeCborBlock({ chainId: 'eip155:1', txHash, root: root.cid, txType: 'f(bytes32)' })
  const time = await encodeCborBlock(timeCommit({ id: state.id.cid, prev: tipOf(state), proof: proof.cid, path: '0' }))
  blocks.put(root, proof, time)
  return { time, txHash }
}

describe('CAR export and import', () => {
  it('a stream exported as CAR imports into an empty place with the same state', async () => {
    const { state, blocks } = await threeCommitStream()
    const car = await exportStreamCar(state, blocks.source)
    const reader = await CarReader.fromBytes(car)
    expect((await reader.getRoots())[0].toString()).toBe(tipOf(state).toString())
    const imported = await importStreamCar(car)
    expect(imported.state.id.equals(state.id)).toBe(true)
    expect(imported.state.content).toEqual({ v: 2 })
    expect(imported.state.log.map((e) => e.cid.toString())).toEqual(state.log.map((e) => e.cid.toString()))
    expect(imported.blocks).toHaveLength(6)
  })

  it('a CAR missing a block, or with a forged block, is refused with a typed error', async () => {
    const { state, blocks } = await threeCommitStream()
    // Drop the payload block of the first update: the envelope is there, what it signs is not.
    const dropped = (await loadCommit(state.log[1].cid, blocks.source)).blocks[1].cid.toString()
    const kept = [...blocks.blocks.entries()].filter(([key]) => key !== dropped).map(([key, bytes]) => ({ cid: CID.parse(key), bytes }))
    const missing = await encodeCar(tipOf(state), kept)
    await expect(importStreamCar(missing)).rejects.toMatchObject({ code: 'ERR_INVALID_CAR' })
    const car = await exportStreamCar(state, blocks.source)
    const tampered = car.slice()
    tampered[tampered.length - 5] ^= 0x01
    await expect(importStreamCar(tampered)).rejects.toMatchObject({ code: 'ERR_INVALID_CAR' })
    await expect(importStreamCar(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ code: 'ERR_INVALID_CAR' })
  })
})

describe('time (anchor) commits', () => {
  it('an anchor with a valid path and a known transaction stamps the log', async () => {
    const { state, blocks } = await threeCommitStream()
    const { time, txHash } = await anchor(state, blocks, 'tx-1')
    const anchors = chainOf(new Map([[txHash.toString(), 1_700_000_000]]))
    const anchored = (await applyNewCommit(state, time.cid, blocks.source, { anchorValidator: anchors })).state
    expect(anchored.anchorStatus).toBe(AnchorStatus.ANCHORED)
    expect(anchored.anchorProof?.chainId).toBe('eip155:1')
    expect(anchored.log.map((e) => [e.type, e.timestamp])).toEqual([
      [EventType.INIT, 1_700_000_000], [EventType.DATA, 1_700_000_000], [EventType.DATA, 1_700_000_000], [EventType.TIME, 1_700_000_000]
    ])
    // An anchored branch beats a longer unanchored one.
    const longer = [...state.log, { cid: (await encodeCborBlock({ x: 1 })).cid, type: EventType.DATA }, { cid: (await encodeCborBlock({ x: 2 })).cid, type: EventType.DATA }]
    expect(pickCanonicalLog(longer, anchored.log)).toBe(anchored.log)
  })

  it('an unknown transaction, a wrong path, or no validator at all is refused', async () => {
    const { state, blocks } = await threeCommitStream()
    const { time } = await anchor(state, blocks, 'tx-2')
    await expect(applyNewCommit(state, time.cid, blocks.source, { anchorValidator: chainOf(new Map()) })).rejects.toMatchObject({ code: 'ERR_INVALID_ANCHOR' })
    await expect(applyNewCommit(state, time.cid, blocks.source)).rejects.toMatchObject({ code: 'ERR_INVALID_ANCHOR' })
    const wrongPath = await encodeCborBlock(timeCommit({ id: state.id.cid, prev: tipOf(state), proof: (await anchor(state, blocks, 'tx-3')).time.cid, path: '1' }))
    blocks.put(wrongPath)
    await expect(applyNewCommit(state, wrongPath.cid, blocks.source)).rejects.toMatchObject({ code: 'ERR_MALFORMED_COMMIT' })
  })
})
