import { describe, expect, it } from 'vitest'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { KIT, installKit } from '../../src/kit/index.js'
import { CommitID, StreamID } from '../../src/ids/index.js'
import { CeramicWorld } from '../fixtures/ceramic-replay.js'
import { kilnSigner } from '../fixtures/identities.js'
import { PUBLISHED } from '../../src/kit/published.js'
import { base64 } from 'multiformats/bases/base64'

async function nodeOf (name: string): Promise<StreamNode> {
  return createStreamNode({ store: createMemoryStore(), signer: await kilnSigner(name) })
}

/** Bob holds Alice's stream as sync would bring it; Alice's node is never used again (she is offline). */
async function handOver (from: StreamNode, to: StreamNode, id: string): Promise<void> {
  await to.importCar(await from.exportCar(id))
}

describe('fork and remix', () => {
  it('a Tile fork is the forker\'s own stream, with the source\'s CommitID in its genesis and the source\'s family, tags and content', async () => {
    const [alice, bob] = [await nodeOf('alice'), await nodeOf('bob')]
    const source = await alice.create({ content: { title: 'Recipe', steps: ['mix'] }, family: 'recipes', tags: ['food'] })
    const edited = await alice.update(source.id, { content: { title: 'Recipe', steps: ['mix', 'bake'] } })
    await handOver(alice, bob, source.id)

    const fork = await bob.fork(source.id)
    expect(fork.id).not.toBe(source.id)
    expect(fork.metadata.controllers).toEqual([bob.controller])
    expect(fork.metadata).toMatchObject({ family: 'recipes', tags: ['food'], forkOf: edited.commitId })
    expect(fork.content).toEqual({ title: 'Recipe', steps: ['mix', 'bake'] })
    // The fork is written like any stream of Bob's: he updates it; its provenance stays.
    const remixed = await bob.update(fork.id, { content: { title: 'Bob\'s recipe', steps: ['bake'] } })
    expect(remixed.metadata.forkOf).toBe(edited.commitId)
    // The source is untouched.
    expect((await bob.load(source.id)).tip).toBe(edited.tip)
  })

  it('a fork of an old version names that version; changes are a new content or a patch', async () => {
    const [alice, bob] = [await nodeOf('alice'), await nodeOf('bob')]
    const source = await alice.create({ content: { title: 'v1', n: 1 } })
    await alice.update(source.id, { content: { title: 'v2', n: 2 } })
    await handOver(alice, bob, source.id)

    const ofOld = await bob.fork(source.commitId, { patch: [{ op: 'replace', path: '/n', value: 10 }] })
    expect(ofOld.content).toEqual({ title: 'v1', n: 10 })
    expect(ofOld.metadata.forkOf).toBe(source.commitId)
    const replaced = await bob.fork(source.id, { content: { title: 'mine' } })
    expect(replaced.content).toEqual({ title: 'mine' })
    expect(CommitID.fromString(replaced.metadata.forkOf as string).baseID.toString()).toBe(source.id)
  })

  it('"forks of X" is a query on any node that holds them, and "forked from" is in each fork\'s metadata', async () => {
    const [alice, bob, carol] = [await nodeOf('alice'), await nodeOf('bob'), await nodeOf('carol')]
    const source = await alice.create({ content: { title: 'Original' } })
    const other = await alice.create({ content: { title: 'Unrelated' } })
    await handOver(alice, bob, source.id)
    await handOver(alice, carol, source.id)
    const bobs = await bob.fork(source.id)
    const carols = await carol.fork(source.id, { content: { title: 'Carol\'s' } })
    const forkOfFork = await carol.fork(carols.id)
    // Everything reaches a fourth node, as sync would bring it.
    const reader = await nodeOf('dave')
    for (const [node, id] of [[alice, source.id], [alice, other.id], [bob, bobs.id], [carol, carols.id], [carol, forkOfFork.id]] as const) await handOver(node, reader, id)

    expect((await reader.query({ forkOf: source.id })).items.map((s) => s.id).sort()).toEqual([bobs.id, carols.id].sort())
    expect(await reader.count({ forkOf: source.id })).toBe(2)
    expect((await reader.query({ forkOf: carols.id })).items.map((s) => s.id)).toEqual([forkOfFork.id])
    expect((await reader.query({ forkOf: source.id, controller: carol.controller })).items.map((s) => s.id)).toEqual([carols.id])
    expect(await reader.count({ forkOf: other.id })).toBe(0)
    expect((await reader.load(forkOfFork.id)).metadata.forkOf).toBe(carols.commitId)
  })

  it('a Model document forks into a new document of the same Model, checked against its schema; single documents and Models are refused', async () => {
    const [alice, bob] = [await nodeOf('alice'), await nodeOf('bob')]
    for (const node of [alice, bob]) await installKit(node)
    const post = await alice.create({ type: 'MID', model: KIT.post, content: { title: 'Hello', body: 'First post', published: 1 } })
    const profile = await alice.create({ type: 'MID', model: KIT.profile, deterministic: true, content: { name: 'Alice' } })
    await handOver(alice, bob, post.id)
    await handOver(alice, bob, profile.id)

    const fork = await bob.fork(post.id, { patch: [{ op: 'replace', path: '/body', value: 'First post, remixed' }] })
    expect(fork.metadata).toMatchObject({ model: KIT.post, controllers: [bob.controller], forkOf: post.commitId })
    expect(fork.content).toEqual({ title: 'Hello', body: 'First post, remixed', published: 1 })
    expect((await bob.query({ model: KIT.post, forkOf: post.id })).items.map((s) => s.id)).toEqual([fork.id])

    const before = await bob.stats()
    await expect(bob.fork(post.id, { patch: [{ op: 'add', path: '/colour', value: 'red' }] })).rejects.toMatchObject({ code: 'ERR_SCHEMA_VIOLATION' })
    await expect(bob.fork(profile.id)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    await expect(bob.fork(KIT.post)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    await expect(bob.fork(post.id, { patch: [{ op: 'remove', path: '/nothing' }] })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    expect(await bob.stats()).toEqual(before)
  })

  it('a read-only node, or a source it does not hold, cannot fork', async () => {
    const alice = await nodeOf('alice')
    const source = await alice.create({ content: { a: 1 } })
    const readOnly = createStreamNode({ store: createMemoryStore() })
    await handOver(alice, readOnly, source.id)
    await expect(readOnly.fork(source.id)).rejects.toMatchObject({ code: 'ERR_NO_SIGNER' })
    const bob = await nodeOf('bob')
    await expect(bob.fork(source.id)).rejects.toMatchObject({ code: 'ERR_STREAM_NOT_FOUND' })
  })

  it('Ceramic\'s own Tile and ModelInstanceDocument handlers accept forks (the provenance header and later updates)', async () => {
    const [alice, bob] = [await nodeOf('alice'), await nodeOf('bob')]
    for (const node of [alice, bob]) await installKit(node)
    const tile = await alice.create({ content: { title: 'Tile' }, family: 'notes' })
    const post = await alice.create({ type: 'MID', model: KIT.post, content: { body: 'Post', published: 1 } })
    await handOver(alice, bob, tile.id)
    await handOver(alice, bob, post.id)
    const tileFork = await bob.fork(tile.id, { content: { title: 'Tile, forked' } })
    const postFork = await bob.fork(post.id)
    const tileForkEdited = await bob.update(tileFork.id, { content: { title: 'Tile, forked and edited' } })
    const postForkEdited = await bob.update(postFork.id, { content: { body: 'Post, remixed', published: 2 } })

    const world = new CeramicWorld()
    await world.addCar(base64.baseDecode(PUBLISHED.post.car), KIT.post)
    for (const doc of [tileForkEdited, postForkEdited]) {
      await world.addCar(await bob.exportCar(doc.id), doc.id)
      const view = await world.view(doc.id)
      expect(view.content).toEqual(doc.content)
      expect(view.metadata.controllers).toEqual([bob.controller])
    }
    // Ceramic's Tile handler keeps the genesis header as metadata: the provenance is there too.
    expect((await world.view(tileFork.id)).metadata.forkOf).toBe(tile.commitId)
    expect(StreamID.fromString(postFork.id).type).toBe(3)
  })
})
