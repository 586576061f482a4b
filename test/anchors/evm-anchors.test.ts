import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CID } from 'multiformats/cid'
import { convertEthHashToCid } from '@ceramicnetwork/anchor-utils'
import { EthereumAnchorValidator } from '../../node_modules/@ceramicnetwork/core/lib/anchor/ethereum/ethereum-anchor-validator.js'
import { evmAnchorValidator } from '../../src/anchors/evm-anchors.js'
import {
  AnchorStatus, EventType, StreamType, applyNewCommit, buildGenesis, buildSignedCommit, createFromGenesis, dataCommit,
  encodeCborBlock, tileGenesis, timeCommit, tipOf, type AnchorProof, type StreamState
} from '../../src/index.js'
import { BlockMap } from '../fixtures/blocks.js'
import { startEvmChain, type EvmChain } from '../fixtures/evm-chain.js'
import { kilnSigner } from '../fixtures/identities.js'

let chain: EvmChain
beforeAll(async () => { chain = await startEvmChain() }, 60_000)
afterAll(async () => { await chain?.close() })

async function twoCommitStream () {
  const alice = await kilnSigner('alice')
  const blocks = new BlockMap()
  const genesis = await buildGenesis(StreamType.TILE, tileGenesis({ controller: alice.id, content: { v: 0 } }), alice)
  blocks.put(genesis)
  let { state } = await createFromGenesis(genesis.streamId, blocks.source)
  const commit = await buildSignedCommit(dataCommit({ genesis: state.id.cid, prev: tipOf(state), patch: [{ op: 'replace', path: '/v', value: 1 }] }), alice)
  blocks.put(commit)
  state = (await applyNewCommit(state, commit.cid, blocks.source)).state
  return { state, blocks }
}

/** Ceramic's batch shape: the tip is a leaf of a merkle tree whose root the transaction records. */
async function merkleRoot (state: StreamState, blocks: BlockMap): Promise<CID> {
  const neighbour = await encodeCborBlock({ another: 'stream tip' })
  const root = await encodeCborBlock([tipOf(state), neighbour.cid])
  blocks.put(neighbour, root)
  return root.cid
}

async function timeEvent (state: StreamState, blocks: BlockMap, proof: AnchorProof, path = '0') {
  const proofBlock = await encodeCborBlock(proof)
  const time = await encodeCborBlock(timeCommit({ id: state.id.cid, prev: tipOf(state), proof: proofBlock.cid, path }))
  blocks.put(proofBlock, time)
  return time.cid
}

/** A transaction hash as a proof names it, converted by Ceramic's own helper. */
function ethTx (hash: string): CID {
  return CID.parse(convertEthHashToCid(hash).toString())
}

function ceramicValidator (rpcUrl: string) {
  const logger = { err: () => {}, imp: () => {}, warn: () => {}, verbose: () => {} }
  return new EthereumAnchorValidator(rpcUrl, logger as never)
}

describe('EVM anchors, checked against a real chain on loopback', () => {
  it('a transaction that calls the anchor contract with the root stamps the log with its block time, as Ceramic\'s validator reads it', async () => {
    const { state, blocks } = await twoCommitStream()
    const root = await merkleRoot(state, blocks)
    const tx = await chain.anchor(root)
    const proof: AnchorProof = { chainId: chain.chainId, txHash: ethTx(tx.hash), root, txType: 'f(bytes32)' }
    const time = await timeEvent(state, blocks, proof)
    const anchorValidator = evmAnchorValidator({ chains: { [chain.chainId]: { rpcUrl: chain.rpcUrl, confirmations: 1 } } })

    const anchored = (await applyNewCommit(state, time, blocks.source, { anchorValidator })).state
    expect(anchored.anchorStatus).toBe(AnchorStatus.ANCHORED)
    expect(anchored.log.map((e) => [e.type, e.timestamp])).toEqual([[EventType.INIT, tx.timestamp], [EventType.DATA, tx.timestamp], [EventType.TIME, tx.timestamp]])
    // Ceramic's own validator, asking the same chain, finds the same time.
    await expect(ceramicValidator(chain.rpcUrl).validateChainInclusion(proof)).resolves.toBe(tx.timestamp)
  })

  it('a forged proof is refused typed: another root, another contract, an unknown transaction, a wrong path, no txType', async () => {
    const { state, blocks } = await twoCommitStream()
    const root = await merkleRoot(state, blocks)
    const anchorValidator = evmAnchorValidator({ chains: { [chain.chainId]: { rpcUrl: chain.rpcUrl, confirmations: 1 } } })
    const refusal = async (proof: AnchorProof, path?: string) => await applyNewCommit(state, await timeEvent(state, blocks, proof, path), blocks.source, { anchorValidator }).then(() => 'accepted', (err: { code: string, message: string }) => err)

    const otherRoot = (await encodeCborBlock(['some', 'other', 'tree'])).cid
    const wrongRoot = await chain.anchor(otherRoot)
    expect(await refusal({ chainId: chain.chainId, txHash: ethTx(wrongRoot.hash), root, txType: 'f(bytes32)' })).toMatchObject({ code: 'ERR_INVALID_ANCHOR', message: expect.stringContaining('records root') })

    const elsewhere = await chain.anchor(root, chain.otherContract)
    expect(await refusal({ chainId: chain.chainId, txHash: ethTx(elsewhere.hash), root, txType: 'f(bytes32)' })).toMatchObject({ code: 'ERR_INVALID_ANCHOR', message: expect.stringContaining('not the anchor contract') })
    await expect(ceramicValidator(chain.rpcUrl).validateChainInclusion({ chainId: chain.chainId, txHash: ethTx(elsewhere.hash), root, txType: 'f(bytes32)' })).rejects.toThrow(/official anchoring contract/)

    const unknown = ethTx(`0x${'ab'.repeat(32)}`)
    expect(await refusal({ chainId: chain.chainId, txHash: unknown, root, txType: 'f(bytes32)' })).toMatchObject({ code: 'ERR_INVALID_ANCHOR', message: expect.stringContaining('is not on') })

    const good = await chain.anchor(root)
    expect(await refusal({ chainId: chain.chainId, txHash: ethTx(good.hash), root, txType: 'f(bytes32)' }, '1')).toMatchObject({ code: 'ERR_MALFORMED_COMMIT' })
    // Outside the legacy era a proof must name the contract call.
    expect(await refusal({ chainId: chain.chainId, txHash: ethTx(good.hash), root })).toMatchObject({ code: 'ERR_INVALID_ANCHOR', message: expect.stringContaining('must have txType') })
    // A chain nobody configured is not trusted.
    expect(await refusal({ chainId: 'eip155:5', txHash: ethTx(good.hash), root, txType: 'f(bytes32)' })).toMatchObject({ code: 'ERR_INVALID_ANCHOR', message: expect.stringContaining('No RPC') })
    // And the good one still verifies.
    expect(await refusal({ chainId: chain.chainId, txHash: ethTx(good.hash), root, txType: 'f(bytes32)' })).toBe('accepted')
  })

  it('a transaction with too few confirmations, or a chain that does not answer, is a retriable ERR_ANCHOR_UNAVAILABLE', async () => {
    const { state, blocks } = await twoCommitStream()
    const root = await merkleRoot(state, blocks)
    const tx = await chain.anchor(root)
    const proof: AnchorProof = { chainId: chain.chainId, txHash: ethTx(tx.hash), root, txType: 'f(bytes32)' }
    const time = await timeEvent(state, blocks, proof)
    const strict = evmAnchorValidator({ chains: { [chain.chainId]: { rpcUrl: chain.rpcUrl, confirmations: 3 } } })
    await expect(applyNewCommit(state, time, blocks.source, { anchorValidator: strict })).rejects.toMatchObject({ code: 'ERR_ANCHOR_UNAVAILABLE', message: expect.stringContaining('1 of 3 confirmations') })
    await chain.mine(2)
    expect((await applyNewCommit(state, time, blocks.source, { anchorValidator: strict })).state.anchorStatus).toBe(AnchorStatus.ANCHORED)

    const silent = await closedPort()
    const down = evmAnchorValidator({ chains: { [chain.chainId]: { rpcUrl: `http://127.0.0.1:${silent}`, confirmations: 1 } } })
    await expect(applyNewCommit(state, time, blocks.source, { anchorValidator: down })).rejects.toMatchObject({ code: 'ERR_ANCHOR_UNAVAILABLE' })

    // An RPC URL that serves another chain does not vouch for this one.
    const misnamed = evmAnchorValidator({ chains: { 'eip155:1': { rpcUrl: chain.rpcUrl, confirmations: 1 } } })
    const onMainnet = await timeEvent(state, blocks, { ...proof, chainId: 'eip155:1' })
    await expect(applyNewCommit(state, onMainnet, blocks.source, { anchorValidator: misnamed })).rejects.toMatchObject({ code: 'ERR_ANCHOR_UNAVAILABLE', message: expect.stringContaining('serves eip155:1337') })
  }, 30_000)

  it('a legacy proof (the root in a plain transaction\'s data) verifies only in its chain\'s legacy era', async () => {
    // Mainnet's legacy era ends at block 16,688,195: every block of a fresh chain with id 1 is in it.
    const mainnet = await startEvmChain({ chainId: 1 })
    try {
      const { state, blocks } = await twoCommitStream()
      const root = await merkleRoot(state, blocks)
      const tx = await mainnet.anchorLegacy(root)
      const proof: AnchorProof = { chainId: 'eip155:1', txHash: ethTx(tx.hash), root }
      const anchorValidator = evmAnchorValidator({ chains: { 'eip155:1': { rpcUrl: mainnet.rpcUrl, confirmations: 1 } } })
      const anchored = (await applyNewCommit(state, await timeEvent(state, blocks, proof), blocks.source, { anchorValidator })).state
      expect(anchored.log.at(-1)).toMatchObject({ type: EventType.TIME, timestamp: tx.timestamp })
      await expect(ceramicValidator(mainnet.rpcUrl).validateChainInclusion(proof)).resolves.toBe(tx.timestamp)
      // The same transaction on a chain whose legacy era Kiln does not know is refused.
      const local = await chain.anchorLegacy(root)
      const localValidator = evmAnchorValidator({ chains: { [chain.chainId]: { rpcUrl: chain.rpcUrl, confirmations: 1 } } })
      const localProof = await timeEvent(state, blocks, { chainId: chain.chainId, txHash: ethTx(local.hash), root })
      await expect(applyNewCommit(state, localProof, blocks.source, { anchorValidator: localValidator })).rejects.toMatchObject({ code: 'ERR_INVALID_ANCHOR' })
    } finally {
      await mainnet.close()
    }
  }, 60_000)

  it('bad configuration is refused when the validator is made', () => {
    expect(() => evmAnchorValidator({ chains: { 'cosmos:hub': 'http://127.0.0.1:1' } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }))
    expect(() => evmAnchorValidator({ chains: { 'eip155:1': { rpcUrl: 'http://127.0.0.1:1', contract: '0x12' } } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }))
    expect(() => evmAnchorValidator({ chains: { 'eip155:1': { rpcUrl: 'http://127.0.0.1:1', confirmations: 0 } } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }))
  })
})

/** A loopback port with nothing listening (bound, then closed). */
async function closedPort (): Promise<number> {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
