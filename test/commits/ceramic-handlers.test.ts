import { describe, expect, it } from 'vitest'
import type { StreamState as CeramicState } from '@ceramicnetwork/common'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import type { StreamSnapshot } from '../../src/api/types.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { withCapability } from '../../src/identity/signer.js'
import { sameController } from '../../src/identity/identity.js'
import { StreamID, StreamType, buildGenesis, buildSignedCommit, dataCommit, encodeCar, modelGenesis, parseStreamRef, type Signer } from '../../src/index.js'
import { CeramicWorld, plainMetadata } from '../fixtures/ceramic-replay.js'
import { kilnSigner } from '../fixtures/identities.js'
import { noteModel } from '../fixtures/models.js'
import { didPkh, siweCacao } from '../fixtures/wallet.js'
import { MemoryBlockstore } from 'blockstore-core'
import { createFileBlockstore } from '../../src/files/file-blockstore.js'
import { fileRefsIn, fileUri } from '../../src/files/file-refs.js'
import { createFileStore } from '../../src/files/file-store.js'

/** A node on a memory store that can sign as every signer given (the first creates streams). */
function nodeOf (...signers: Signer[]): StreamNode {
  return createStreamNode({
    store: createMemoryStore(),
    identity: { author: () => signers[0], signerFor: (controller) => signers.find((s) => sameController(s.controller, controller)) }
  })
}

function logOf (state: CeramicState): Array<{ cid: string, type: number, expirationTime?: number }> {
  return state.log.map((e) => e.expirationTime == null ? { cid: e.cid.toString(), type: e.type } : { cid: e.cid.toString(), type: e.type, expirationTime: e.expirationTime })
}

/**
 * Replays every version of a stream Kiln holds through Ceramic's handler (Kiln's exported CAR, plus
 * the CARs of the streams it depends on) and checks that Ceramic computes what Kiln shows.
 */
async function expectCeramicAgrees (node: StreamNode, id: string, dependencies: string[] = []): Promise<CeramicWorld> {
  const world = new CeramicWorld()
  for (const dep of [...dependencies, id]) await world.addCar(await node.exportCar(dep), dep)
  for (const version of await node.history(id)) {
    const ours = await node.load(version.commitId)
    const theirs = await world.view(id, version.cid)
    expect(theirs.content, `content at ${version.cid}`).toEqual(ours.content)
    expect(plainMetadata(theirs.metadata), `metadata at ${version.cid}`).toEqual(ours.metadata)
    expect(logOf(theirs.state)).toEqual(ours.log.map(({ cid, type, expirationTime }) => expirationTime == null ? { cid, type } : { cid, type, expirationTime }))
    // One known difference, left as it is: Ceramic's MID handler marks even an unsigned
    // (deterministic) genesis SIGNED; Kiln says GENESIS, as Ceramic's Tile handler does.
    const unsignedMidGenesis = ours.type === 3 && version.type === 0 && ours.signature === 0
    expect(theirs.state.signature).toBe(unsignedMidGenesis ? 2 : ours.signature)
  }
  return world
}

/** The stream a schema CommitID points into. */
const streamOf = (commitId: string): string => parseStreamRef(commitId).baseID.toString()

async function schemaTile (node: StreamNode): Promise<string> {
  const schema = await node.create({
    content: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { title: { type: 'string', maxLength: 20 } }, required: ['title'] }
  })
  return schema.commitId
}

describe('Ceramic\'s TileDocument handler replays Tiles Kiln wrote', () => {
  it('created with content, updated by content and by patch, header changes (tags, family, schema): every version', async () => {
    const node = nodeOf(await kilnSigner('alice'))
    const schema = await schemaTile(node)
    const note = await node.create({ content: { title: 'hello' }, family: 'notes', tags: ['a'] })
    await node.update(note.id, { content: { title: 'hello again', body: 'text' } })
    await node.update(note.id, { patch: [{ op: 'add', path: '/done', value: true }, { op: 'remove', path: '/body' }] })
    await node.update(note.id, { header: { tags: ['a', 'b'] } })
    await node.update(note.id, { content: { title: 'with schema' }, header: { schema, family: 'typed' } })
    const final = await node.load(note.id)
    expect(final.metadata).toMatchObject({ tags: ['a', 'b'], family: 'typed', schema })
    await expectCeramicAgrees(node, note.id, [streamOf(schema)])
  })

  it('a controller change: the new controller signs the next commit, and Ceramic checks it against the new one', async () => {
    const alice = await kilnSigner('alice')
    const bob = await kilnSigner('bob')
    const node = nodeOf(alice, bob)
    const note = await node.create({ content: { owner: 'alice' } })
    await node.update(note.id, { header: { controllers: [bob.controller] } })
    await node.update(note.id, { content: { owner: 'bob' } })
    expect((await node.load(note.id)).metadata.controllers).toEqual([bob.controller])
    await expectCeramicAgrees(node, note.id)
  })

  it('deterministic (unsigned genesis, no content), then updated', async () => {
    const node = nodeOf(await kilnSigner('alice'))
    const profile = await node.create({ deterministic: true, family: 'profile', tags: ['main'] })
    expect(profile.signature).toBe(0)
    await node.update(profile.id, { content: { name: 'Alice' } })
    await node.update(profile.id, { patch: [{ op: 'replace', path: '/name', value: 'Alice B.' }] })
    await expectCeramicAgrees(node, profile.id)
  })

  it('a schema set at genesis: Ceramic loads the schema stream and validates every version', async () => {
    const node = nodeOf(await kilnSigner('alice'))
    const schema = await schemaTile(node)
    const note = await node.create({ content: { title: 'short' }, schema })
    await node.update(note.id, { content: { title: 'still short' } })
    await expectCeramicAgrees(node, note.id, [streamOf(schema)])
  })

  it('signed by a did:pkh wallet session (CACAO): Ceramic checks the capability and records its expiry', async () => {
    const key = await kilnSigner('session-key')
    const session = await withCapability(key, await siweCacao({ session: key.id }))
    const node = nodeOf(session)
    const note = await node.create({ content: { v: 1 }, family: 'notes' })
    expect(note.metadata.controllers).toEqual([didPkh('alice')])
    await node.update(note.id, { content: { v: 2 } })
    await node.update(note.id, { patch: [{ op: 'add', path: '/w', value: 3 }] })
    const world = await expectCeramicAgrees(node, note.id)
    expect((await world.replay(note.id)).log.every((e) => typeof e.expirationTime === 'number')).toBe(true)
  })

  it('the judge refuses what Ceramic refuses: a data commit without `header`, and one signed by another key', async () => {
    const alice = await kilnSigner('alice')
    const node = nodeOf(alice)
    const note = await node.create({ content: { n: 1 } })
    const id = StreamID.fromString(note.id)
    const world = new CeramicWorld()
    await world.addCar(await node.exportCar(note.id), note.id)
    // What Kiln wrote before this fix: a Tile data commit with no header at all.
    const headerless = await buildSignedCommit(dataCommit({ genesis: id.cid, prev: id.cid, patch: [{ op: 'replace', path: '/n', value: 2 }] }), alice)
    await world.addCar(await encodeCar(headerless.cid, headerless.blocks))
    await expect(world.replay(note.id, headerless.cid)).rejects.toThrow(/controllers/)
    const forged = await buildSignedCommit(dataCommit({ genesis: id.cid, prev: id.cid, patch: [], streamType: id.type }), await kilnSigner('mallory'))
    await world.addCar(await encodeCar(forged.cid, forged.blocks))
    await expect(world.replay(note.id, forged.cid)).rejects.toThrow(/Can not verify signature/)
    // A proper one is accepted: the refusals above are about those commits, not the harness.
    const proper = await buildSignedCommit(dataCommit({ genesis: id.cid, prev: id.cid, patch: [{ op: 'replace', path: '/n', value: 2 }], streamType: id.type }), alice)
    await world.addCar(await encodeCar(proper.cid, proper.blocks))
    expect((await world.view(note.id, proper.cid)).content).toEqual({ n: 2 })
  })
})

describe('Ceramic\'s Model and ModelInstanceDocument handlers replay what Kiln wrote', () => {
  const definition = (accountRelation: { type: string, fields?: string[] }): Record<string, unknown> => ({
    ...noteModel,
    name: 'Note',
    accountRelation,
    schema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      additionalProperties: false,
      properties: { text: { type: 'string' }, tag: { type: 'string' } },
      // Ceramic's Model handler requires a set relation's fields to be required.
      required: accountRelation.type === 'set' ? ['text', ...(accountRelation.fields ?? [])] : ['text']
    }
  })

  async function model (node: StreamNode, accountRelation: { type: string, fields?: string[] }): Promise<StreamSnapshot> {
    return await node.create({ type: 'model', content: definition(accountRelation) })
  }

  it('a Model, and a list document created, replaced, patched and re-indexed (shouldIndex)', async () => {
    const node = nodeOf(await kilnSigner('alice'))
    const notes = await model(node, { type: 'list' })
    await expectCeramicAgrees(node, notes.id)
    const doc = await node.create({ type: 'MID', model: notes.id, content: { text: 'one' } })
    await node.update(doc.id, { content: { text: 'two', tag: 't' } })
    await node.update(doc.id, { patch: [{ op: 'remove', path: '/tag' }] })
    await node.update(doc.id, { header: { shouldIndex: false } })
    expect((await node.load(doc.id)).metadata.shouldIndex).toBe(false)
    await expectCeramicAgrees(node, doc.id, [notes.id])
  })

  it('a profile whose avatar is a file (ipfs://<cid>, as Kiln documents file references), changed to another file', async () => {
    const node = nodeOf(await kilnSigner('alice'))
    const profiles = await node.create({
      type: 'model',
      content: {
        ...noteModel,
        name: 'Profile',
        accountRelation: { type: 'list' },
        schema: {
          $schema: 'https://json-schema.org/draft/2020-12/schema',
          type: 'object',
          additionalProperties: false,
          properties: {
            name: { type: 'string', maxLength: 100 },
            // basicProfile's shape: the image's source is an ipfs:// URI, with its type and size.
            avatar: {
              type: 'object',
              additionalProperties: false,
              properties: { src: { type: 'string', pattern: '^ipfs://', maxLength: 150 }, mimeType: { type: 'string', maxLength: 50 }, size: { type: 'integer' } },
              required: ['src']
            }
          },
          required: ['name']
        }
      }
    })
    const files = createFileStore({ blocks: createFileBlockstore({ store: new MemoryBlockstore() }) })
    const first = await files.add(new TextEncoder().encode('a tiny png, as far as this test cares'))
    const second = await files.add(new Uint8Array(2_000_000).fill(7))
    const doc = await node.create({ type: 'MID', model: profiles.id, content: { name: 'Alice', avatar: { src: fileUri(first.cid), mimeType: 'image/png', size: first.size } } })
    await node.update(doc.id, { content: { name: 'Alice', avatar: { src: fileUri(second.cid), mimeType: 'image/png', size: second.size } } })
    await expectCeramicAgrees(node, doc.id, [profiles.id])
    expect(fileRefsIn((await node.load(doc.id)).content)).toEqual([second.cid])
  })

  it('a single-relation document (deterministic genesis) and a set-relation one', async () => {
    const node = nodeOf(await kilnSigner('alice'))
    const single = await model(node, { type: 'single' })
    const profile = await node.create({ type: 'MID', model: single.id, deterministic: true })
    await node.update(profile.id, { content: { text: 'me' } })
    await node.update(profile.id, { content: { text: 'me again' } })
    await expectCeramicAgrees(node, profile.id, [single.id])

    const set = await model(node, { type: 'set', fields: ['tag'] })
    const tagged = await node.create({ type: 'MID', model: set.id, unique: ['red'] })
    await node.update(tagged.id, { content: { text: 'a red thing', tag: 'red' } })
    await node.update(tagged.id, { patch: [{ op: 'replace', path: '/text', value: 'still red' }] })
    await expectCeramicAgrees(node, tagged.id, [set.id])
  })

  it('a set Model whose set field the schema does not require: Ceramic refuses it, and so does Kiln', async () => {
    const alice = await kilnSigner('alice')
    const loose = { ...definition({ type: 'list' }), accountRelation: { type: 'set', fields: ['tag'] } }
    const genesis = await buildGenesis(StreamType.MODEL, modelGenesis(alice.controller, loose), alice)
    const world = new CeramicWorld()
    await world.addCar(await encodeCar(genesis.cid, genesis.blocks), genesis.streamId.toString())
    await expect(world.replay(genesis.streamId.toString())).rejects.toThrow(/Invalid schema fields for SET account relation/)
    await expect(nodeOf(alice).create({ type: 'model', content: loose })).rejects.toMatchObject({ code: 'ERR_SCHEMA_VIOLATION' })
  })

  it('a list document written by a did:pkh session whose CACAO covers only that model', async () => {
    const author = nodeOf(await kilnSigner('alice'))
    const notes = await model(author, { type: 'list' })
    const key = await kilnSigner('session-key')
    const session = await withCapability(key, await siweCacao({ session: key.id, resources: [`ceramic://*?model=${notes.id}`] }))
    const node = nodeOf(session)
    await node.importCar(await author.exportCar(notes.id))
    const doc = await node.create({ type: 'MID', model: notes.id, content: { text: 'from a wallet' } })
    await node.update(doc.id, { content: { text: 'edited' } })
    await expectCeramicAgrees(node, doc.id, [notes.id])
  })
})
