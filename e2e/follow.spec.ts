import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, expect, test, type BrowserContext, type Page } from '@playwright/test'
import config from '../playwright.config.js'
import { createStreamNode, type StreamNode } from '../src/node/stream-node.js'
import { createMemoryStore } from '../src/store/memory-store.js'
import { createDenyList } from '../src/sync/peer-score.js'
import { createKilnLibp2p, type KilnLibp2p } from '../src/sync/libp2p-config.js'
import { startSync, type Sync } from '../src/sync/sync.js'

// A server peer that wants every stream, and two browser profiles (two people).
let server: { node: StreamNode, libp2p: KilnLibp2p, sync: Sync, addr: string }

test.beforeAll(async () => {
  const node = createStreamNode({ store: createMemoryStore() })
  const denyList = createDenyList()
  const libp2p = await createKilnLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0/ws'], relay: true, denyList })
  const sync = await startSync({ node, libp2p, denyList, syncIntervalMs: 2_000 })
  server = { node, libp2p, sync, addr: libp2p.getMultiaddrs()[0].toString() }
})

test.afterAll(async () => {
  await server.sync.stop()
  await server.libp2p.stop()
  await server.node.close()
})

async function person (): Promise<BrowserContext> {
  return await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'kiln-person-')), { ...config.use?.launchOptions, baseURL: config.use?.baseURL as string })
}

async function openApp (context: BrowserContext, node: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`/e2e/pages/app.html?node=${node}&peers=${encodeURIComponent(server.addr)}`)
  await expect(page.locator('#status')).toHaveText('ready')
  await expect.poll(async () => (await page.evaluate(async () => await window.kiln!.status())).network?.peers.length ?? 0).toBeGreaterThan(0)
  return page
}

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
    expect(await b.evaluate(async () => await window.kiln!.follows())).toEqual([{ model, held: 2 }])

    // The follow is kept across a reload.
    await b.reload()
    await expect(b.locator('#status')).toHaveText('ready')
    expect(await b.evaluate(async () => await window.kiln!.follows())).toEqual([{ model, held: 2 }])

    // After unfollowing, new documents of the Model no longer come (what Bob holds stays current).
    await b.evaluate(async (m) => { await window.kiln!.unfollow({ model: m }) }, model)
    expect(await b.evaluate(async () => await window.kiln!.follows())).toEqual([])
    const later = await post(a, model, 'after the unfollow')
    await expect.poll(async () => await server.node.has(later), { timeout: 15_000 }).toBe(true)
    await b.waitForTimeout(3_000)
    expect(await texts(b, model)).toEqual(['before the follow', 'live'])

    const refused = await b.evaluate(async () => await window.kiln!.follow({ model: 'not-a-model' }).then(() => null, (err: { code?: string }) => err.code))
    expect(refused).toBe('ERR_INVALID_INPUT')
  } finally {
    await alice.close()
    await bob.close()
  }
})
