import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { browserProfile, openAppWithPeer, serverPeerForTests } from './fixtures/server-peer.js'

// A server peer that wants every stream, and two browser profiles (two people).
const servers = serverPeerForTests()

const person = async (): Promise<BrowserContext> => await browserProfile()
const openApp = async (context: BrowserContext, node: string): Promise<Page> => await openAppWithPeer(context, node, servers.peer)

const postModel = {
  version: '2.0', name: 'Post', interface: false, implements: [], accountRelation: { type: 'list' },
  schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', additionalProperties: false, properties: { text: { type: 'string' } }, required: ['text'] }
}

const post = async (page: Page, model: string, text: string): Promise<string> =>
  await page.evaluate(async ([m, t]) => (await window.kiln!.create({ type: 'MID', model: m, content: { text: t } })).id, [model, text] as const)
const texts = async (page: Page, model: string): Promise<string[]> =>
  await page.evaluate(async (m) => (await window.kiln!.query({ model: m })).items.map((s) => (s.content as { text: string }).text).sort(), model)

test('following a Model brings other people\'s documents of it, live and across a reload, until unfollowed', async () => {
  const node = `follow-${Date.now()}`
  const [alice, bob] = [await person(), await person()]
  try {
    const a = await openApp(alice, node)
    const b = await openApp(bob, node)
    const model = await a.evaluate(async (content) => (await window.kiln!.create({ type: 'model', content })).id, postModel)
    await post(a, model, 'before the follow')
    // Bob holds nothing of it yet and does not get it unasked.
    expect(await texts(b, model)).toEqual([])

    const followed = await b.evaluate(async (m) => {
      await window.kiln!.subscribe({ model: m }, (s) => { window.events.push(s) })
      return await window.kiln!.follow({ model: m })
    }, model)
    expect(followed).toMatchObject({ model })
    await expect.poll(async () => await texts(b, model), { timeout: 20_000 }).toEqual(['before the follow'])

    // A new document by Alice reaches Bob's query subscription live.
    await post(a, model, 'live')
    await expect.poll(async () => await b.evaluate(() => window.events.map((s) => (s.content as { text: string }).text)), { timeout: 15_000 }).toContain('live')
    // What the follow holds, and how far catch-up is: nothing is pending.
    await expect.poll(async () => await b.evaluate(async () => await window.kiln!.follows()), { timeout: 15_000 })
      .toMatchObject([{ model, held: 2, catchUp: { syncing: false, pending: 0 } }])
    // (Whether the earlier post came by Recon catch-up or by gossip replayed when the interest
    // changed, `fetched` counts only the former: test/sync/recon.test.ts checks its figures.)

    // The follow is kept across a reload.
    await b.reload()
    await expect(b.locator('#status')).toHaveText('ready')
    expect(await b.evaluate(async () => await window.kiln!.follows())).toMatchObject([{ model, held: 2 }])

    // Unfollowing forgets what Bob no longer needs (a pinned document stays), and new documents
    // of the Model no longer come.
    const pinned = (await b.evaluate(async (m) => (await window.kiln!.query({ model: m })).items, model)).find((s) => (s.content as { text: string }).text === 'live')!
    await b.evaluate(async (id) => { await window.kiln!.pin(id) }, pinned.id)
    expect(await b.evaluate(async (m) => await window.kiln!.unfollow({ model: m }), model)).toEqual({ forgotten: 1 })
    expect(await b.evaluate(async () => await window.kiln!.follows())).toEqual([])
    expect(await texts(b, model)).toEqual(['live'])
    const later = await post(a, model, 'after the unfollow')
    await expect.poll(async () => await servers.peer.node.has(later), { timeout: 15_000 }).toBe(true)
    await b.waitForTimeout(3_000)
    expect(await texts(b, model)).toEqual(['live'])

    // Following again brings everything back, the forgotten document too.
    await b.evaluate(async (m) => { await window.kiln!.follow({ model: m }) }, model)
    await expect.poll(async () => await texts(b, model), { timeout: 20_000 }).toEqual(['after the unfollow', 'before the follow', 'live'])

    const refused = await b.evaluate(async () => await window.kiln!.follow({ model: 'not-a-model' }).then(() => null, (err: { code?: string }) => err.code))
    expect(refused).toBe('ERR_INVALID_INPUT')
  } finally {
    await alice.close()
    await bob.close()
  }
})
