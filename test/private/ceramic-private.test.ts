/**
 * A private document is an ordinary Tile to Ceramic: its TileDocument handler replays every version
 * (create, updates, a share, a removal that rotates the key) and computes the same content Kiln
 * stores, which is the envelope; the reader's node opens it to the plaintext.
 */
import { describe, expect, it } from 'vitest'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { encryptionKeyFromSeed } from '../../src/identity/encryption-key.js'
import { isPrivateContent, recipientsOf } from '../../src/private/envelope.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { decodeState } from '../../src/streams/state-codec.js'
import { CeramicWorld, plainMetadata } from '../fixtures/ceramic-replay.js'
import { kilnSigner, seedFor } from '../fixtures/identities.js'

describe('Ceramic\'s TileDocument handler replays private documents', () => {
  it('every version, sharing and a key rotation included: Ceramic\'s content is the stored envelope', async () => {
    const bob = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('bob'), encryptionKey: await encryptionKeyFromSeed(seedFor('bob-x')) })
    const carol = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('carol'), encryptionKey: await encryptionKeyFromSeed(seedFor('carol-x')) })
    const alice = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice'), encryptionKey: await encryptionKeyFromSeed(seedFor('alice-x')) })
    // Alice holds Bob's and Carol's key directories (here by CAR; over the network, by sync).
    for (const reader of [bob, carol]) {
      const directory = await reader.publishEncryptionKey()
      await alice.importCar(await reader.exportCar(directory!.id))
    }
    const note = await alice.create({ content: { title: 'plan' }, family: 'notes', private: { readers: [bob.controller!] } })
    await alice.update(note.id, { content: { title: 'plan', step: 1 } })
    await alice.share(note.id, { add: [carol.controller!] })
    await alice.share(note.id, { remove: [bob.controller!] })
    const last = await alice.update(note.id, { patch: [{ op: 'add', path: '/step', value: 2 }] })
    expect(last.content).toEqual({ title: 'plan', step: 2 })

    const world = new CeramicWorld()
    await world.addCar(await alice.exportCar(note.id), note.id)
    for (const version of await alice.history(note.id)) {
      const theirs = await world.view(note.id, version.cid)
      const stored = decodeState(await storedAt(alice, note.id, version)).content
      expect(isPrivateContent(theirs.content)).toBe(true)
      expect(theirs.content, `content at ${version.cid}`).toEqual(stored)
      expect(plainMetadata(theirs.metadata)).toMatchObject({ family: 'notes', controllers: [alice.controller] })
    }
    const final = await world.view(note.id)
    // Alice's and Carol's devices, not Bob's, after the removal.
    expect(isPrivateContent(final.content) && recipientsOf(final.content).length).toBe(2)

    // What Ceramic replayed, Bob's node opens up to his removal.
    await bob.importCar(await alice.exportCar(note.id))
    expect((await bob.load(note.id)).private).toEqual({ readable: false })
    const [, second] = await alice.history(note.id)
    expect((await bob.load(second.commitId)).content).toEqual({ title: 'plan', step: 1 })
  })
})

/** The state a node stores for a version (a tip once exported up to it), as every peer syncs it. */
async function storedAt (node: StreamNode, id: string, version: { cid: string, commitId: string }): Promise<Uint8Array> {
  const store = createMemoryStore()
  await createStreamNode({ store }).importCar(await node.exportCar(version.commitId))
  return await store.getState(id, version.cid) as Uint8Array
}
