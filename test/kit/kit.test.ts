import { describe, expect, it } from 'vitest'
import { base64 } from 'multiformats/bases/base64'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { KIT, KIT_MODELS, KIT_PUBLISHER, followId, installKit, kitQueries, profileId, type KitModelName } from '../../src/kit/index.js'
import { PUBLISHED } from '../../src/kit/published.js'
import { CeramicWorld } from '../fixtures/ceramic-replay.js'
import { kilnSigner } from '../fixtures/identities.js'

async function nodeOf (name: string): Promise<StreamNode> {
  return createStreamNode({ store: createMemoryStore(), signer: await kilnSigner(name) })
}

/** Every commit `from` holds of these streams reaches `to`, as sync would bring them. */
async function share (from: StreamNode, to: StreamNode, ids: string[]): Promise<void> {
  for (const id of ids) await to.importCar(await from.exportCar(id))
}

describe('the kit of standard Models', () => {
  it('the published Models are the definitions, signed by the kit\'s publisher, and install with their indexes', async () => {
    const node = await nodeOf('alice')
    expect(await installKit(node)).toEqual(KIT)
    for (const name of Object.keys(KIT_MODELS) as KitModelName[]) {
      const model = await node.load(KIT[name])
      expect(model.content, name).toEqual(KIT_MODELS[name])
      expect(model.metadata.controllers).toEqual([PUBLISHED[name].publisher])
    }
    // The first Models' publisher; later ones (LinkedAccount, Credential) were signed by their own
    // discarded key, so the first Models kept their StreamIDs.
    for (const name of ['profile', 'follow', 'post', 'comment', 'reaction'] as const) expect(PUBLISHED[name].publisher, name).toBe(KIT_PUBLISHER)
    expect((await node.indexes(KIT.comment)).map((s) => s.fields)).toEqual([['target'], ['target', 'published']])
    expect((await node.indexes(KIT.linkedAccount)).map((s) => s.fields)).toEqual([['account'], ['$controller', 'issued']])
    // Installing again changes nothing.
    const before = await node.stats()
    await installKit(node)
    expect(await node.stats()).toEqual(before)
  })

  it('Ceramic\'s own handlers accept every kit Model and a document of each', async () => {
    const alice = await nodeOf('alice')
    await installKit(alice)
    const post = await alice.create({ type: 'MID', model: KIT.post, content: { title: 'Hello', body: 'First post', tags: ['intro'], published: 1 } })
    const docs = [
      await alice.create({ type: 'MID', model: KIT.profile, deterministic: true, content: { name: 'Alice', bio: 'Builds things', links: ['https://example.org'] } }),
      await alice.create({ type: 'MID', model: KIT.follow, unique: ['did:key:z6MkBob'], content: { followed: 'did:key:z6MkBob', since: 2 } }),
      post,
      await alice.create({ type: 'MID', model: KIT.comment, content: { target: post.id, text: 'nice', published: 3 } }),
      await alice.create({ type: 'MID', model: KIT.reaction, unique: [post.id], content: { target: post.id, kind: 'like' } })
    ]
    const world = new CeramicWorld()
    for (const name of Object.keys(PUBLISHED) as KitModelName[]) await world.addCar(base64.baseDecode(PUBLISHED[name].car), KIT[name])
    for (const name of Object.keys(PUBLISHED) as KitModelName[]) expect((await world.view(KIT[name])).content, name).toEqual(KIT_MODELS[name])
    for (const doc of docs) {
      await world.addCar(await alice.exportCar(doc.id), doc.id)
      expect((await world.view(doc.id)).content, doc.metadata.model).toEqual(doc.content)
    }
  })

  it('profiles and follows are found from DIDs alone; followers, following, a feed, comments and reactions come from indexes', async () => {
    const [alice, bob, carol] = [await nodeOf('alice'), await nodeOf('bob'), await nodeOf('carol')]
    for (const node of [alice, bob, carol]) await installKit(node)
    const [a, b, c] = [alice.controller, bob.controller, carol.controller] as string[]
    const profile = await alice.create({ type: 'MID', model: KIT.profile, deterministic: true, content: { name: 'Alice' } })
    expect(profile.id).toBe(await profileId(a))
    // Bob and Carol follow Alice; Carol also follows Bob.
    const follows = [
      await bob.create({ type: 'MID', model: KIT.follow, unique: [a], content: { followed: a, since: 10 } }),
      await carol.create({ type: 'MID', model: KIT.follow, unique: [a], content: { followed: a, since: 11 } }),
      await carol.create({ type: 'MID', model: KIT.follow, unique: [b], content: { followed: b, since: 12 } })
    ]
    expect(follows[0].id).toBe(await followId(b, a))
    const posts = [
      await alice.create({ type: 'MID', model: KIT.post, content: { body: 'a1', published: 100 } }),
      await bob.create({ type: 'MID', model: KIT.post, content: { body: 'b1', published: 150 } }),
      await alice.create({ type: 'MID', model: KIT.post, content: { body: 'a2', published: 200, tags: ['news'] } })
    ]
    // Everything reaches Carol (as following the kit's Models would bring it).
    await share(alice, carol, [profile.id, posts[0].id, posts[2].id])
    await share(bob, carol, [follows[0].id, posts[1].id])
    await carol.create({ type: 'MID', model: KIT.comment, content: { target: posts[2].id, text: 'great', published: 300 } })
    await carol.create({ type: 'MID', model: KIT.reaction, unique: [posts[2].id], content: { target: posts[2].id, kind: 'like' } })

    expect(((await carol.load(await profileId(a))).content as { name: string }).name).toBe('Alice')
    expect(await carol.count(kitQueries.followersOf(a))).toBe(2)
    expect(await carol.count(kitQueries.followersOf(b))).toBe(1)
    expect((await carol.query(kitQueries.followedBy(c))).items.map((s) => (s.content as { followed: string }).followed)).toEqual([b, a])
    const feed = await carol.query(kitQueries.feedOf([a, b]), { limit: 10 })
    expect(feed.items.map((s) => (s.content as { body: string }).body)).toEqual(['a2', 'b1', 'a1'])
    expect((await carol.query(kitQueries.postsTagged('news'))).items.map((s) => s.id)).toEqual([posts[2].id])
    expect(await carol.count(kitQueries.commentsOn(posts[2].id))).toBe(1)
    expect(await carol.count(kitQueries.reactionsTo(posts[2].id, 'like'))).toBe(1)
  })
})
