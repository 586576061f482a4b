import { describe, expect, it } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import * as dagJose from 'dag-jose'
import { TileDocument } from '@ceramicnetwork/stream-tile'
import { Model } from '@ceramicnetwork/stream-model'
import { ModelInstanceDocument } from '@ceramicnetwork/stream-model-instance'
import { StreamID as CeramicStreamID } from '@ceramicnetwork/streamid'
import {
  MODEL_STREAM_ID, StreamID, StreamType, buildGenesis, buildSignedCommit, dataCommit, encodeCborBlock,
  modelGenesis, modelInstanceGenesis, tileGenesis
} from '../../src/index.js'
import { ceramicContext, ceramicDid, kilnSigner } from '../fixtures/identities.js'
import { noteModel as definition } from '../fixtures/models.js'

/** What Ceramic's createDagJWS returns, as the blocks Kiln stores. */
async function ceramicBlocks (result: { jws: dagJose.DagJWS, linkedBlock: Uint8Array, cacaoBlock?: Uint8Array }): Promise<{ envelope: Uint8Array, payload: Uint8Array }> {
  return { envelope: dagJose.encode(result.jws), payload: result.linkedBlock }
}

describe('byte-equality with Ceramic', () => {
  it('a deterministic Tile genesis is the same block and StreamID as TileDocument.makeGenesis', async () => {
    const did = await ceramicDid('alice')
    const signer = await kilnSigner('alice')
    expect(signer.id).toBe(did.id)
    const theirs = await TileDocument.makeGenesis(ceramicContext(did), null, { deterministic: true, family: 'IDX', tags: ['a', 'b'] })
    const ours = await buildGenesis(StreamType.TILE, tileGenesis({ controller: signer.controller, deterministic: true, family: 'IDX', tags: ['a', 'b'] }))
    expect(ours.blocks[0].bytes).toEqual(dagCbor.encode(theirs))
    const theirId = CeramicStreamID.fromGenesis('tile', theirs)
    expect(ours.streamId.toString()).toBe((await theirId).toString())
  })

  it('a Tile genesis with content is signed into the same DAG-JWS bytes as dids createDagJWS', async () => {
    const did = await ceramicDid('alice')
    const signer = await kilnSigner('alice')
    const theirs = await TileDocument.makeGenesis(ceramicContext(did), { title: 'hello' }, { family: 'notes', tags: ['t'] }) as unknown as { jws: dagJose.DagJWS, linkedBlock: Uint8Array }
    const theirPayload = dagCbor.decode<{ header: { unique: string } }>(theirs.linkedBlock)
    // The random `unique` is Ceramic's; everything else must match what Kiln builds.
    const plan = tileGenesis({ controller: signer.controller, content: { title: 'hello' }, family: 'notes', tags: ['t'] })
    expect(typeof plan.payload.header.unique).toBe('string')
    expect(plan.payload.header.unique).toHaveLength(16)
    plan.payload.header.unique = theirPayload.header.unique
    const ours = await buildGenesis(StreamType.TILE, plan, signer)
    const expected = await ceramicBlocks(theirs)
    expect(ours.blocks[1].bytes).toEqual(expected.payload)
    expect(ours.blocks[0].bytes).toEqual(expected.envelope)
    expect(ours.streamId.toString().startsWith('kjzl6cwe1jw1')).toBe(true)
  })

  it('a signed data commit matches dids createDagJWS byte for byte', async () => {
    const did = await ceramicDid('bob')
    const signer = await kilnSigner('bob')
    const genesis = await encodeCborBlock({ header: { controllers: [did.id], family: 'x' } })
    const payload = dataCommit({ genesis: genesis.cid, prev: genesis.cid, patch: [{ op: 'add', path: '/a', value: 1 }], header: { tags: ['z'] } })
    const theirs = await did.createDagJWS(payload)
    const ours = await buildSignedCommit(payload, signer)
    const expected = await ceramicBlocks(theirs as never)
    expect(ours.blocks[0].bytes).toEqual(expected.envelope)
    expect(ours.blocks[1].bytes).toEqual(expected.payload)
    // Ceramic's verifier accepts Kiln's JWS.
    const jws = dagJose.decode(ours.blocks[0].bytes) as dagJose.DagJWS
    await expect(did.verifyJWS(jws as never)).resolves.toMatchObject({ kid: signer.kid })
  })

  it('Model.MODEL is reproduced and a Model genesis matches Model._makeRawGenesis', async () => {
    expect(MODEL_STREAM_ID.toString()).toBe(Model.MODEL.toString())
    expect(MODEL_STREAM_ID.toString()).toBe('kh4q0ozorrgaq2mezktnrmdwleo1d')
    const did = await ceramicDid('carol')
    const signer = await kilnSigner('carol')
    const theirs = await (Model as any)._makeGenesis(ceramicContext(did), definition, { controller: did.id })
    const ours = await buildGenesis(StreamType.MODEL, modelGenesis(signer.controller, definition), signer)
    const expected = await ceramicBlocks(theirs)
    expect(ours.blocks[1].bytes).toEqual(expected.payload)
    expect(ours.blocks[0].bytes).toEqual(expected.envelope)
    expect(ours.streamId.toString().startsWith('kjzl6hvfrbw6c')).toBe(true)
  })

  it('MID genesis for single and set relations match ModelInstanceDocument.makeGenesis', async () => {
    const did = await ceramicDid('dave')
    const signer = await kilnSigner('dave')
    const model = (await buildGenesis(StreamType.MODEL, modelGenesis(signer.controller, definition), signer)).streamId
    const theirModel = CeramicStreamID.fromString(model.toString())
    const single = await ModelInstanceDocument.makeGenesis(ceramicContext(did) as never, null, { model: theirModel, deterministic: true } as never)
    const oursSingle = await buildGenesis(StreamType.MID, modelInstanceGenesis({ controller: signer.controller, model, relation: 'single' }))
    expect(oursSingle.blocks[0].bytes).toEqual(dagCbor.encode(single))
    expect(dagCbor.decode<{ data: unknown }>(oursSingle.blocks[0].bytes)).toHaveProperty('data', null)
    const set = await ModelInstanceDocument.makeGenesis(ceramicContext(did) as never, null, { model: theirModel, deterministic: true } as never, ['a', 'b'])
    const oursSet = await buildGenesis(StreamType.MID, modelInstanceGenesis({ controller: signer.controller, model, relation: 'set', unique: ['a', 'b'] }))
    expect(oursSet.blocks[0].bytes).toEqual(dagCbor.encode(set))
    // Unsigned (dag-cbor) genesis: anyone can compute the StreamID from (controller, model, fields).
    expect(oursSet.streamId.toString()).toBe((await CeramicStreamID.fromGenesis('MID', set)).toString())
    expect(oursSingle.streamId.toString()).toBe((await CeramicStreamID.fromGenesis('MID', single)).toString())
    expect(StreamID.fromString(oursSet.streamId.toString()).equals(oursSet.streamId)).toBe(true)
  })

  it('a MID list genesis is signed like Ceramic\'s, with 12 random unique bytes', async () => {
    const did = await ceramicDid('erin')
    const signer = await kilnSigner('erin')
    const model = (await buildGenesis(StreamType.MODEL, modelGenesis(signer.controller, definition), signer)).streamId
    const theirs = await ModelInstanceDocument.makeGenesis(ceramicContext(did) as never, { text: 'hi' }, { model: CeramicStreamID.fromString(model.toString()) } as never) as unknown as { jws: dagJose.DagJWS, linkedBlock: Uint8Array }
    const theirPayload = dagCbor.decode<{ header: { unique: Uint8Array } }>(theirs.linkedBlock)
    const plan = modelInstanceGenesis({ controller: signer.controller, model, relation: 'list', content: { text: 'hi' } })
    expect(plan.payload.header.unique).toBeInstanceOf(Uint8Array)
    expect((plan.payload.header.unique as Uint8Array).length).toBe(12)
    plan.payload.header.unique = theirPayload.header.unique
    const ours = await buildGenesis(StreamType.MID, plan, signer)
    const expected = await ceramicBlocks(theirs)
    expect(ours.blocks[0].bytes).toEqual(expected.envelope)
    expect(ours.streamId.toString().startsWith('kjzl6kcym7w8y')).toBe(true)
  })
})
