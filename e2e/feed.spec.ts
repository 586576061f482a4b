import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { browserProfile, openAppWithPeer, serverPeerForTests } from './fixtures/server-peer.js'

// A feed of other people's posts, filtered and sorted from IndexedDB indexes in the worker, with
// comment counts from the relation index, live: two browser profiles (two people) through a server peer.
const servers = serverPeerForTests()

const postModel = {
  version: '2.0', name: 'Post', interface: false, implements: [], accountRelation: { type: 'list' },
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', additionalProperties: false,
    properties: { title: { type: 'string' }, published: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } },
    required: ['title', 'published']
  }
}
const commentModel = (posts: string): object => ({
  version: '2.0', name: 'Comment', interface: false, implements: [], accountRelation: { type: 'list' },
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', additionalProperties: false,
    properties: { postID: { type: 'string' }, text: { type: 'string' } }, required: ['postID', 'text']
  },
  relations: { postID: { type: 'document', model: posts } }
})

interface FeedItem { title: string, comments: number }

/** The page's feed: news posts, newest first, each with its comment count. */
async function feed (page: Page, posts: string, comments: string): Promise<FeedItem[]> {
  return await page.evaluate(async ([p, c]) => {
    const kiln = window.kiln!
    const { items } = await kiln.query({ model: p, where: { tags: 'news' }, sort: { published: 'desc' } }, { limit: 10 })
    return await Promise.all(items.map(async (s) => ({
      title: (s.content as { title: string }).title,
      comments: await kiln.count({ model: c, where: { postID: s.id } })
    })))
  }, [posts, comments] as const)
}

test('a feed of another person\'s posts: filtered, sorted, with comment counts, live, from indexes', async () => {
  const node = `feed-${Date.now()}`
  const [alice, bob]: BrowserContext[] = [await browserProfile(), await browserProfile()]
  try {
    const a = await openAppWithPeer(alice, node, servers.peer)
    const b = await openAppWithPeer(bob, node, servers.peer)
    const posts = await a.evaluate(async (content) => (await window.kiln!.create({ type: 'model', content })).id, postModel)
    const comments = await a.evaluate(async (content) => (await window.kiln!.create({ type: 'model', content })).id, commentModel(posts))
    const publish = async (page: Page, title: string, published: number, tags: string[]): Promise<string> =>
      await page.evaluate(async ([m, content]) => (await window.kiln!.create({ type: 'MID', model: m, content })).id, [posts, { title, published, tags }] as const)
    const first = await publish(a, 'first news', 1, ['news'])
    await publish(a, 'a recipe', 2, ['food'])
    await publish(a, 'second news', 3, ['news'])

    // Bob follows both Models and declares the index his feed needs; postID is indexed by itself.
    const statuses = await b.evaluate(async ([p, c]) => {
      const kiln = window.kiln!
      await kiln.follow({ model: p })
      await kiln.follow({ model: c })
      return await kiln.indexModel(p, [['tags', 'published']])
    }, [posts, comments] as const)
    expect(statuses).toEqual([expect.objectContaining({ model: posts, fields: ['tags', 'published'] })])
    await expect.poll(async () => await feed(b, posts, comments), { timeout: 20_000 })
      .toEqual([{ title: 'second news', comments: 0 }, { title: 'first news', comments: 0 }])
    expect(await b.evaluate(async (c) => await window.kiln!.indexes(c), comments)).toEqual([{ model: comments, fields: ['postID'], state: 'ready', relation: true }])
    await expect(b.evaluate(async (p) => await window.kiln!.query({ model: p, where: { title: 'x' } }), posts)).rejects.toThrow(/ERR_NOT_INDEXED|No index/)

    // Bob comments on Alice's first post; Alice, following comments, sees the count on her side too.
    await b.evaluate(async ([c, postID]) => { await window.kiln!.create({ type: 'MID', model: c, content: { postID, text: 'good one' } }) }, [comments, first] as const)
    expect(await feed(b, posts, comments)).toEqual([{ title: 'second news', comments: 0 }, { title: 'first news', comments: 1 }])
    await a.evaluate(async (c) => { await window.kiln!.follow({ model: c }) }, comments)
    await expect.poll(async () => await a.evaluate(async ([c, postID]) => await window.kiln!.count({ model: c, where: { postID } }), [comments, first] as const), { timeout: 20_000 }).toBe(1)

    // Bob's filtered subscription hears Alice's next news post, and not her next recipe.
    await b.evaluate(async (p) => {
      await window.kiln!.subscribe({ model: p, where: { tags: 'news' } }, (s) => { window.events.push(s) })
    }, posts)
    await publish(a, 'another recipe', 4, ['food'])
    await publish(a, 'breaking news', 5, ['news'])
    await expect.poll(async () => await b.evaluate(() => window.events.map((s) => (s.content as { title: string }).title)), { timeout: 20_000 }).toEqual(['breaking news'])
    expect((await feed(b, posts, comments)).map((item) => item.title)).toEqual(['breaking news', 'second news', 'first news'])
  } finally {
    await alice.close()
    await bob.close()
  }
})
