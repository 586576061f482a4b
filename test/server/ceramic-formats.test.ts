import { describe, expect, it } from 'vitest'
import { bases } from 'multiformats/basics'
import { createStreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { decodeMultibase, parseEventCid, toCeramicStreamState } from '../../src/server/ceramic-formats.js'
import { kilnSigner } from '../fixtures/identities.js'

const text = (multibase: string): string => new TextDecoder().decode(bases.base64url.decode(multibase))

describe('ceramic-one formats', () => {
  it('decodes multibase in any base by its prefix, and refuses what is not multibase with ERR_INVALID_INPUT', () => {
    const bytes = new Uint8Array([0xce, 1, 2, 3])
    for (const base of [bases.base64, bases.base64url, bases.base32, bases.base58btc, bases.base36, bases.base16]) {
      expect(decodeMultibase(base.encode(bytes))).toEqual(bytes)
    }
    expect(() => decodeMultibase('!abc')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }))
    expect(() => decodeMultibase('m@@')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }))
    expect(() => decodeMultibase('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }))
    expect(() => parseEventCid(bases.base32.encode(bytes))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ID' }))
  })

  it('a Model and a document in StreamState shape: dimensions from the init event, data as {metadata, content}; a Tile has no model dimension', async () => {
    const signer = await kilnSigner('alice')
    const node = createStreamNode({ store: createMemoryStore(), signer })
    const model = await node.create({
      type: 'model',
      content: { version: '2.0', name: 'Note', interface: false, implements: [], accountRelation: { type: 'list' }, schema: { type: 'object', properties: { title: { type: 'string' } }, additionalProperties: false }, relations: {}, views: {} }
    })
    const doc = await node.create({ type: 'MID', model: model.id, content: { title: 'hi' } })
    const state = toCeramicStreamState(doc)
    expect(state).toMatchObject({ id: doc.id, event_cid: doc.tip, controller: signer.controller })
    expect(bases.base64url.decode(state.dimensions.model)).toEqual(bases.base36.decode(model.id))
    expect(text(state.dimensions.controller)).toBe(signer.controller)
    expect(state.dimensions.context).toBe('u')
    expect(bases.base64url.decode(state.dimensions.unique)).toHaveLength(12)
    expect(JSON.parse(text(state.data))).toEqual({ metadata: { shouldIndex: true }, content: { title: 'hi' } })
    // A Model's model dimension is the meta-model, kh4q0ozorrgaq2mezktnrmdwleo1d.
    expect(bases.base64url.decode(toCeramicStreamState(model).dimensions.model)).toEqual(bases.base36.decode('kh4q0ozorrgaq2mezktnrmdwleo1d'))

    const tile = toCeramicStreamState(await node.create({ content: { a: 1 } }))
    expect(tile.dimensions.model).toBeUndefined()
    expect(JSON.parse(text(tile.data)).content).toEqual({ a: 1 })
  })
})
