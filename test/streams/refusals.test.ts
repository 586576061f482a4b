import { describe, expect, it } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import {
  MAX_COMMIT_BLOCK_BYTES, StreamType, applyNewCommit, buildGenesis, buildSignedCommit, createFromGenesis, dataCommit,
  encodeCborBlock, tileGenesis, tipOf, type StreamState
} from '../../src/index.js'
import { BlockMap } from '../fixtures/blocks.js'
import { kilnSigner } from '../fixtures/identities.js'

async function setup () {
  const alice = await kilnSigner('alice')
  const blocks = new BlockMap()
  const genesis = await buildGenesis(StreamType.TILE, tileGenesis({ controller: alice.id, content: { n: 1 } }), alice)
  blocks.put(genesis)
  const { state } = await createFromGenesis(genesis.streamId, blocks.source)
  return { alice, blocks, state }
}

/** Applies a commit and checks the refusal's code and that the state is exactly as before. */
async function expectRefused (state: StreamState, blocks: BlockMap, cid: CID, code: string): Promise<void> {
  const before = JSON.stringify(state)
  await expect(applyNewCommit(state, cid, blocks.source)).rejects.toMatchObject({ code })
  expect(JSON.stringify(state)).toBe(before)
}

async function rawBlock (code: number, bytes: Uint8Array): Promise<{ cid: CID, bytes: Uint8Array }> {
  return { cid: CID.create(1, code, await sha256.digest(bytes)), bytes }
}

describe('refusals: each bad commit gets a typed error and the state is unchanged', () => {
  it('malformed CBOR', async () => {
    const { state, blocks } = await setup()
    const block = await rawBlock(0x71, Uint8Array.of(0xa1, 0x61))
    blocks.put(block)
    await expectRefused(state, blocks, block.cid, 'ERR_MALFORMED_COMMIT')
  })

  it('malformed JOSE envelope', async () => {
    const { state, blocks } = await setup()
    const block = await rawBlock(0x85, dagCbor.encode({ payload: 'not-a-cid', signatures: 'nope' }))
    blocks.put(block)
    await expectRefused(state, blocks, block.cid, 'ERR_MALFORMED_COMMIT')
  })

  it('a tampered signature', async () => {
    const { state, blocks, alice } = await setup()
    const commit = await buildSignedCommit(dataCommit({ genesis: state.id.cid, prev: tipOf(state), patch: [{ op: 'replace', path: '/n', value: 2 }] }), alice)
    const envelope = dagCbor.decode<{ payload: Uint8Array, signatures: Array<{ protected: Uint8Array, signature: Uint8Array }> }>(commit.blocks[0].bytes)
    envelope.signatures[0].signature[5] ^= 0xff
    const forged = await rawBlock(0x85, dagCbor.encode(envelope))
    blocks.put(forged, commit.blocks[1])
    await expectRefused(state, blocks, forged.cid, 'ERR_INVALID_SIGNATURE')
  })

  it('a payload swapped under a valid signature', async () => {
    const { state, blocks, alice } = await setup()
    const commit = await buildSignedCommit(dataCommit({ genesis: state.id.cid, prev: tipOf(state), patch: [{ op: 'replace', path: '/n', value: 2 }] }), alice)
    const evil = await encodeCborBlock(dataCommit({ genesis: state.id.cid, prev: tipOf(state), patch: [{ op: 'replace', path: '/n', value: 666 }] }))
    const envelope = dagCbor.decode<{ payload: Uint8Array }>(commit.blocks[0].bytes)
    envelope.payload = evil.cid.bytes
    const forged = await rawBlock(0x85, dagCbor.encode(envelope))
    blocks.put(forged, evil)
    await expectRefused(state, blocks, forged.cid, 'ERR_INVALID_SIGNATURE')
  })

  it('the wrong controller', async () => {
    const { state, blocks } = await setup()
    const mallory = await kilnSigner('mallory')
    const commit = await buildSignedCommit(dataCommit({ genesis: state.id.cid, prev: tipOf(state), patch: [{ op: 'replace', path: '/n', value: 2 }] }), mallory)
    blocks.put(commit)
    await expectRefused(state, blocks, commit.cid, 'ERR_WRONG_CONTROLLER')
  })

  it('a prev that is not the stream\'s tip', async () => {
    const { state, blocks, alice } = await setup()
    const elsewhere = await encodeCborBlock({ something: 'else' })
    const commit = await buildSignedCommit(dataCommit({ genesis: state.id.cid, prev: elsewhere.cid, patch: [] }), alice)
    blocks.put(commit, elsewhere)
    await expectRefused(state, blocks, commit.cid, 'ERR_COMMIT_LINK')
  })

  it('an id that is another stream\'s genesis', async () => {
    const { state, blocks, alice } = await setup()
    const other = await buildGenesis(StreamType.TILE, tileGenesis({ controller: alice.id, content: { other: true } }), alice)
    const commit = await buildSignedCommit(dataCommit({ genesis: other.cid, prev: tipOf(state), patch: [] }), alice)
    blocks.put(commit, other)
    await expectRefused(state, blocks, commit.cid, 'ERR_COMMIT_LINK')
  })

  it('an oversize block', async () => {
    const { state, blocks, alice } = await setup()
    const big = 'x'.repeat(MAX_COMMIT_BLOCK_BYTES)
    const commit = await buildSignedCommit(dataCommit({ genesis: state.id.cid, prev: tipOf(state), patch: [{ op: 'add', path: '/big', value: big }] }), alice)
    blocks.put(commit)
    await expectRefused(state, blocks, commit.cid, 'ERR_OVERSIZE')
  })

  it('bytes that do not match their CID', async () => {
    const { state, blocks, alice } = await setup()
    const commit = await buildSignedCommit(dataCommit({ genesis: state.id.cid, prev: tipOf(state), patch: [] }), alice)
    blocks.put(commit)
    blocks.blocks.set(commit.blocks[1].cid.toString(), dagCbor.encode({ swapped: true }))
    await expectRefused(state, blocks, commit.cid, 'ERR_MALFORMED_COMMIT')
  })

  it('a missing block', async () => {
    const { state, blocks, alice } = await setup()
    const commit = await buildSignedCommit(dataCommit({ genesis: state.id.cid, prev: tipOf(state), patch: [] }), alice)
    blocks.put(commit.blocks[0])
    await expectRefused(state, blocks, commit.cid, 'ERR_BLOCK_NOT_FOUND')
  })

  it('an unsigned data commit, and an unsigned genesis with content', async () => {
    const { state, blocks, alice } = await setup()
    const unsigned = await encodeCborBlock(dataCommit({ genesis: state.id.cid, prev: tipOf(state), patch: [] }))
    blocks.put(unsigned)
    await expectRefused(state, blocks, unsigned.cid, 'ERR_INVALID_SIGNATURE')
    const genesis = await buildGenesis(StreamType.TILE, { payload: { header: { controllers: [alice.id] }, data: { sneaky: 1 } }, signed: false })
    blocks.put(genesis)
    await expect(createFromGenesis(genesis.streamId, blocks.source)).rejects.toMatchObject({ code: 'ERR_INVALID_SIGNATURE' })
  })

  it('a patch that does not apply', async () => {
    const { state, blocks, alice } = await setup()
    const commit = await buildSignedCommit(dataCommit({ genesis: state.id.cid, prev: tipOf(state), patch: [{ op: 'remove', path: '/missing' }] }), alice)
    blocks.put(commit)
    await expectRefused(state, blocks, commit.cid, 'ERR_MALFORMED_COMMIT')
  })

  it('a header change a Tile does not allow', async () => {
    const { state, blocks, alice } = await setup()
    const commit = await buildSignedCommit({ ...dataCommit({ genesis: state.id.cid, prev: tipOf(state), patch: [] }), header: { unique: 'new' } }, alice)
    blocks.put(commit)
    await expectRefused(state, blocks, commit.cid, 'ERR_FORBIDDEN_CHANGE')
  })
})
