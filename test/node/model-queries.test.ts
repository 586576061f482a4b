import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { createDiskStore } from '../../src/store/disk-store.js'
import type { Store } from '../../src/store/store.js'
import type { StreamQuery, StreamSnapshot } from '../../src/api/types.js'
import { kilnSigner } from '../fixtures/identities.js'
import { commentModel, postModel } from '../fixtures/models.js'

const root = mkdtempSync(join(tmpdir(), 'kiln-model-queries-'))
afterAll(() => { rmSync(root, { recursive: true, force: true }) })

async function nodeOf (name: string, store: Store = createMemoryStore()): Promise<StreamNode> {
  return createStreamNode({ store, signer: await kilnSigner(name) })
}

const titles = async (node: StreamNode, query: StreamQuery, limit?: number): Promise<string[]> =>
  (await node.query(query, { limit })).items.map((s) => (s.content as { title: string }).title)

/** Every document of a query, page by page, as a feed reads it. */
async function allPages (node: StreamNode, query: StreamQuery, limit: number): Promise<StreamSnapshot[]> {
  const items: StreamSnapshot[] = []
  let cursor: string | undefined
  do {
    const page = await node.query(query, { limit, cursor })
    items.push(...page.items)
    cursor = page.cursor
  } while (cursor != null)
  return items
}

describe('Model documents queried by content fields', () => {
  it('a feed of several accounts\' posts, filtered, sorted, paged and counted from indexes', async () => {
    const alice = await nodeOf('alice')
    const bob = await nodeOf('bob')
    const model = await alice.create({ type: 'model', content: postModel })
    await bob.importCar(await alice.exportCar(model.id))
    await alice.indexModel(model.id, [['published'], ['tags', 'published'], ['$controller', 'published']])
    for (let i = 0; i < 6; i++) await alice.create({ type: 'MID', model: model.id, content: { title: `a${i}`, published: 100 + i * 10, tags: i % 2 === 0 ? ['news'] : ['life'] } })
    // Bob's posts reach Alice's node as verified commits from elsewhere (a CAR, as sync hands them over).
    for (let i = 0; i < 3; i++) {
      const post = await bob.create({ type: 'MID', model: model.id, content: { title: `b${i}`, published: 105 + i * 10, tags: ['news', 'life'] } })
      await alice.importCar(await bob.exportCar(post.id))
    }
    const bobDid = bob.controller as string

    expect(await titles(alice, { model: model.id, sort: { published: 'desc' } }, 4)).toEqual(['a5', 'a4', 'a3', 'b2'])
    expect(await titles(alice, { model: model.id, where: { published: { greaterThanOrEqualTo: 110, lessThan: 130 } }, sort: { published: 'asc' } })).toEqual(['a1', 'b1', 'a2', 'b2'])
    expect(await titles(alice, { model: model.id, where: { tags: 'news' }, sort: { published: 'desc' } })).toEqual(['a4', 'b2', 'a2', 'b1', 'b0', 'a0'])
    expect(await titles(alice, { model: model.id, where: { $controller: bobDid }, sort: { published: 'desc' } })).toEqual(['b2', 'b1', 'b0'])
    const paged = await allPages(alice, { model: model.id, sort: { published: 'asc' } }, 2)
    expect(paged.map((s) => (s.content as { published: number }).published)).toEqual([100, 105, 110, 115, 120, 125, 130, 140, 150])
    expect(await alice.count({ model: model.id, where: { tags: 'life' } })).toBe(6)
    expect(await alice.count({ model: model.id, where: { $controller: bobDid } })).toBe(3)
    expect(await alice.count({ model: model.id })).toBe(9)

    // An update moves a post: the feed and the counts follow.
    const oldest = paged[0]
    await alice.update(oldest.id, { content: { title: 'a0', published: 999, tags: ['life'] } })
    expect(await titles(alice, { model: model.id, sort: { published: 'desc' } }, 1)).toEqual(['a0'])
    expect(await alice.count({ model: model.id, where: { tags: 'news' } })).toBe(5)
  })

  it('every relation field is indexed without being declared: comments of a post and their count', async () => {
    const node = await nodeOf('carol')
    const posts = await node.create({ type: 'model', content: postModel })
    const comments = await node.create({ type: 'model', content: commentModel(posts.id) })
    const first = await node.create({ type: 'MID', model: posts.id, content: { title: 'first', published: 1 } })
    const second = await node.create({ type: 'MID', model: posts.id, content: { title: 'second', published: 2 } })
    for (const [post, text] of [[first, 'nice'], [second, 'hm'], [first, 'agreed'], [first, 'also']] as const) {
      await node.create({ type: 'MID', model: comments.id, content: { postID: post.id, text } })
    }
    expect(await node.indexes(comments.id)).toEqual([{ model: comments.id, fields: ['postID'], state: 'ready', relation: true }])
    const ofFirst = await node.query({ model: comments.id, where: { postID: first.id } })
    expect(ofFirst.items.map((c) => (c.content as { text: string }).text)).toEqual(['nice', 'agreed', 'also'])
    expect(await node.count({ model: comments.id, where: { postID: first.id } })).toBe(3)
    expect(await node.count({ model: comments.id, where: { postID: second.id } })).toBe(1)
  })

  it('a document\'s views (ComposeDB\'s) come with it: its account, its version, the comments that point at it and their count', async () => {
    const node = await nodeOf('hana')
    // A relation to a document of any Model (model null), so the Post Model can name this one in its views.
    const comments = await node.create({ type: 'model', content: { ...commentModel('unused'), relations: { postID: { type: 'document', model: null } } } })
    const posts = await node.create({
      type: 'model',
      content: {
        ...postModel,
        views: {
          author: { type: 'documentAccount' },
          version: { type: 'documentVersion' },
          comments: { type: 'relationFrom', model: comments.id, property: 'postID' },
          commentCount: { type: 'relationCountFrom', model: comments.id, property: 'postID' }
        }
      }
    })
    const post = await node.create({ type: 'MID', model: posts.id, content: { title: 'with views', published: 1 } })
    const said = []
    for (const text of ['one', 'two']) said.push((await node.create({ type: 'MID', model: comments.id, content: { postID: post.id, text } })).id)
    const loaded = await node.load(post.id)
    expect(loaded.views).toEqual({ author: node.controller, version: loaded.commitId, comments: said, commentCount: 2 })
    const [queried] = (await node.query({ model: posts.id })).items
    expect(queried.views).toMatchObject({ commentCount: 2 })
    // A Model without views gives documents without them.
    expect((await node.load(said[0])).views).toBeUndefined()
  })

  it('an index declared over documents already held is built in the background; queries wait for it', async () => {
    const node = await nodeOf('dave')
    const model = await node.create({ type: 'model', content: postModel })
    for (let i = 0; i < 450; i++) await node.create({ type: 'MID', model: model.id, content: { title: `p${i}`, published: i, meta: { lang: i % 3 === 0 ? 'de' : 'en' } } })
    const declared = await node.indexModel(model.id, [['meta.lang', 'published']])
    expect(declared).toEqual([expect.objectContaining({ model: model.id, fields: ['meta.lang', 'published'], state: 'building', total: 450 })])
    // Asked while building, the query waits and sees every document.
    const german = await node.query({ model: model.id, where: { 'meta.lang': 'de' }, sort: { published: 'desc' } }, { limit: 3 })
    expect(german.items.map((s) => (s.content as { title: string }).title)).toEqual(['p447', 'p444', 'p441'])
    expect(await node.count({ model: model.id, where: { 'meta.lang': 'de' } })).toBe(150)
    expect(await node.indexes(model.id)).toEqual([{ model: model.id, fields: ['meta.lang', 'published'], state: 'ready' }])
  })

  it('queries on fields no index holds, and malformed index declarations, are refused with typed errors', async () => {
    const node = await nodeOf('erin')
    const model = await node.create({ type: 'model', content: postModel })
    await node.create({ type: 'MID', model: model.id, content: { title: 't', published: 1 } })
    await expect(node.query({ model: model.id, where: { title: 't' } })).rejects.toMatchObject({ code: 'ERR_NOT_INDEXED', details: { fields: ['title'] } })
    await expect(node.count({ model: model.id, sort: { published: 'asc' } })).rejects.toMatchObject({ code: 'ERR_NOT_INDEXED' })
    for (const bad of [[], [[]], [['a..b']], [['x', 'x']], [[42]], 'title']) {
      await expect(node.indexModel(model.id, bad as never)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    }
    await expect(node.indexModel('not-a-stream-id', [['title']])).rejects.toMatchObject({ code: 'ERR_INVALID_ID' })
    expect(await node.indexes(model.id)).toEqual([])
  })

  it('a subscription to a filtered query hears only the documents that match it', async () => {
    const node = await nodeOf('frank')
    const model = await node.create({ type: 'model', content: postModel })
    await node.indexModel(model.id, [['tags']])
    const heard: string[] = []
    node.subscribe({ model: model.id, where: { tags: 'news' } }, (s) => { heard.push((s.content as { title: string }).title) })
    await node.create({ type: 'MID', model: model.id, content: { title: 'weather', published: 1, tags: ['life'] } })
    const post = await node.create({ type: 'MID', model: model.id, content: { title: 'election', published: 2, tags: ['news'] } })
    await node.update(post.id, { content: { title: 'election, updated', published: 3, tags: ['news'] } })
    expect(heard).toEqual(['election', 'election, updated'])
  })

  it('on disk, declared indexes outlive a restart, and one left unbuilt is built on the next start', async () => {
    const path = join(root, 'restart')
    const node = await nodeOf('gina', await createDiskStore({ path }))
    const model = await node.create({ type: 'model', content: postModel })
    await node.indexModel(model.id, [['published']])
    for (let i = 0; i < 5; i++) await node.create({ type: 'MID', model: model.id, content: { title: `p${i}`, published: 10 - i, meta: { lang: 'en' } } })
    await node.close()
    // As if the previous run was killed right after declaring a second index.
    const store = await createDiskStore({ path })
    await store.declareIndex({ model: model.id, fields: ['meta.lang'] })
    await store.close()

    const reopened = await nodeOf('gina', await createDiskStore({ path }))
    expect(await titles(reopened, { model: model.id, sort: { published: 'asc' } })).toEqual(['p4', 'p3', 'p2', 'p1', 'p0'])
    expect(await reopened.count({ model: model.id, where: { 'meta.lang': 'en' } })).toBe(5)
    await vi.waitFor(async () => { expect((await reopened.indexes(model.id)).map((s) => s.state)).toEqual(['ready', 'ready']) })
    await reopened.close()
  })
})
