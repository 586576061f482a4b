import { describe, expect, it } from 'vitest'
import type { DID } from 'dids'
import { DIDSession } from 'did-session'
import { TileDocument } from '@ceramicnetwork/stream-tile'
import { Model } from '@ceramicnetwork/stream-model'
import { ModelInstanceDocument } from '@ceramicnetwork/stream-model-instance'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { StreamID, decodeCar } from '../../src/index.js'
import { CeramicWorld, plainMetadata } from '../fixtures/ceramic-replay.js'
import { ceramicDid } from '../fixtures/identities.js'
import { didPkh, siweCacao } from '../fixtures/wallet.js'

/**
 * The reverse direction: streams made by Ceramic's own stream classes (TileDocument, Model,
 * ModelInstanceDocument; signed by key-did-provider-ed25519 DIDs and by a did-session), applied by
 * Ceramic's handlers, then imported into Kiln. Kiln must accept them and show what Ceramic computes.
 */

function readNode (): StreamNode {
  return createStreamNode({ store: createMemoryStore() })
}

/** Imports Ceramic's CAR of the stream into Kiln; Kiln's state must be Ceramic's, version by version. */
async function expectKilnAgrees (world: CeramicWorld, node: StreamNode, id: string): Promise<void> {
  const imported = await node.importCar(await world.car(id))
  const theirs = await world.view(id)
  expect(imported.id).toBe(id)
  expect(imported.content).toEqual(theirs.content)
  expect(imported.metadata).toEqual(plainMetadata(theirs.metadata))
  expect(imported.log.map((e) => e.cid)).toEqual(theirs.state.log.map((e) => e.cid.toString()))
  for (const entry of theirs.state.log) {
    const past = await world.view(id, entry.cid.toString())
    expect((await node.load(StreamID.fromString(id).atCommit(entry.cid as never).toString())).content).toEqual(past.content)
  }
}

/** did-session's own authorize(): a fresh Ed25519 session key, delegated to by a SIWE CACAO from the test wallet. */
async function didSession (resources: string[]): Promise<DID> {
  const session = await DIDSession.authorize(async (opts) => await siweCacao({ session: String(opts.uri), resources: opts.resources }) as never, { resources })
  return session.did
}

describe('streams made by Ceramic\'s code import into Kiln with the content Ceramic computes', () => {
  it('TileDocument: created, updated by content, tags and a controller change, signed by did:key DIDs', async () => {
    const alice = await ceramicDid('alice')
    const bob = await ceramicDid('bob')
    const world = new CeramicWorld()
    const doc = await TileDocument.create<Record<string, string>>(world as never, { title: 'hello' }, { family: 'notes', tags: ['a'] }, { asDID: alice })
    await doc.update({ title: 'hello again', body: 'x' }, undefined, { asDID: alice })
    await doc.update({ title: 'hello again' }, { tags: ['a', 'b'] }, { asDID: alice })
    await doc.update(undefined, { controllers: [bob.id] }, { asDID: alice })
    await doc.update({ title: 'now bob\'s' }, undefined, { asDID: bob })
    expect(doc.content).toEqual({ title: 'now bob\'s' })
    await expectKilnAgrees(world, readNode(), doc.id.toString())
  })

  it('TileDocument.deterministic, then patched and updated', async () => {
    const alice = await ceramicDid('alice')
    const world = new CeramicWorld(alice)
    const doc = await TileDocument.deterministic(world as never, { family: 'profile', tags: ['main'] }, { asDID: alice })
    await doc.update({ name: 'Alice' }, undefined, { asDID: alice })
    await doc.patch([{ op: 'add', path: '/bio', value: 'hi' }], { asDID: alice })
    await expectKilnAgrees(world, readNode(), doc.id.toString())
  })

  it('a TileDocument written through did-session (CACAO from a wallet): controlled by the did:pkh', async () => {
    const session = await didSession(['ceramic://*'])
    const world = new CeramicWorld()
    const doc = await TileDocument.create(world as never, { v: 1 }, undefined, { asDID: session })
    await doc.update({ v: 2 }, undefined, { asDID: session })
    expect(doc.metadata.controllers).toEqual([didPkh('alice')])
    const node = readNode()
    await expectKilnAgrees(world, node, doc.id.toString())
    expect((await node.load(doc.id.toString())).log.every((e) => typeof e.expirationTime === 'number')).toBe(true)
  })

  it('Model and ModelInstanceDocuments (list replaced and patched; single; set), also through ingest', async () => {
    const alice = await ceramicDid('alice')
    const world = new CeramicWorld(alice)
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      additionalProperties: false,
      properties: { text: { type: 'string' }, tag: { type: 'string' } },
      required: ['text', 'tag']
    }
    const base = { version: '2.0', name: 'Note', interface: false, implements: [], schema }
    const list = await Model.create(world as never, { ...base, accountRelation: { type: 'list' } } as never)
    const single = await Model.create(world as never, { ...base, accountRelation: { type: 'single' } } as never)
    const set = await Model.create(world as never, { ...base, accountRelation: { type: 'set', fields: ['tag'] } } as never)
    const node = readNode()
    for (const model of [list, single, set]) await expectKilnAgrees(world, node, model.id.toString())

    const note = await ModelInstanceDocument.create(world as never, { text: 'one', tag: 't' }, { model: list.id }, { asDID: alice })
    await note.replace({ text: 'two', tag: 't' }, undefined, { asDID: alice })
    await note.patch([{ op: 'replace', path: '/tag', value: 'u' }], { shouldIndex: false }, { asDID: alice })
    await expectKilnAgrees(world, node, note.id.toString())

    const profile = await ModelInstanceDocument.single(world as never, { model: single.id, controller: alice.id }, { asDID: alice })
    await profile.replace({ text: 'me', tag: 'x' }, undefined, { asDID: alice })
    await expectKilnAgrees(world, node, profile.id.toString())

    const red = await ModelInstanceDocument.set(world as never, { model: set.id, controller: alice.id }, ['red'], { asDID: alice })
    await red.replace({ text: 'a red thing', tag: 'red' }, undefined, { asDID: alice })
    // Through ingest (what sync does) instead of a CAR: the same state.
    const car = await decodeCar(await world.car(red.id.toString()))
    const ingested = await node.ingest(red.id.toString(), car.root.toString(), car.source)
    expect(ingested.content).toEqual((await world.view(red.id.toString())).content)
    expect(ingested.metadata).toEqual(plainMetadata((await world.view(red.id.toString())).metadata))
  })

  it('a ModelInstanceDocument written through did-session with a model-scoped CACAO', async () => {
    const alice = await ceramicDid('alice')
    const world = new CeramicWorld(alice)
    const notes = await Model.create(world as never, {
      version: '2.0', name: 'Note', interface: false, implements: [], accountRelation: { type: 'list' },
      schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', additionalProperties: false, properties: { text: { type: 'string' } }, required: ['text'] }
    } as never)
    const session = await didSession([`ceramic://*?model=${notes.id.toString()}`])
    const doc = await ModelInstanceDocument.create(world as never, { text: 'from a wallet' }, { model: notes.id }, { asDID: session })
    await doc.replace({ text: 'edited' }, undefined, { asDID: session })
    const node = readNode()
    await node.importCar(await world.car(notes.id.toString()))
    await expectKilnAgrees(world, node, doc.id.toString())
  })
})
