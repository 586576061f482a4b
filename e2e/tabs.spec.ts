import { expect, test, type Page } from '@playwright/test'

async function openApp (page: Page, node = 'kiln-e2e'): Promise<void> {
  await page.goto(`/e2e/pages/app.html?node=${node}`)
  await expect(page.locator('#status')).toHaveText('ready')
}

test('two tabs share one node: a write in tab A reaches a subscriber in tab B', async ({ context }) => {
  const a = await context.newPage()
  const b = await context.newPage()
  const node = `tabs-${Date.now()}`
  await openApp(a, node)
  await openApp(b, node)
  const created = await a.evaluate(async () => await window.kiln!.create({ content: { title: 'from A' } }))
  await b.evaluate(async (id) => { await window.kiln!.subscribe(id, (s) => { window.events.push(s) }) }, created.id)
  await a.evaluate(async (id) => await window.kiln!.update(id, { content: { title: 'edited in A' } }), created.id)
  await expect.poll(async () => await b.evaluate(() => window.events.map((e) => e.content))).toEqual([{ title: 'edited in A' }])
  const status = await b.evaluate(async () => await window.kiln!.status())
  expect(status).toMatchObject({ mode: 'shared-worker', storage: 'indexeddb', clients: 2, streams: 1 })
  expect(status.did).toMatch(/^did:key:z6Mk/)
})

test('data survives a reload', async ({ page }) => {
  const node = `reload-${Date.now()}`
  await openApp(page, node)
  const created = await page.evaluate(async () => await window.kiln!.create({ content: { kept: true } }))
  await page.reload()
  await expect(page.locator('#status')).toHaveText('ready')
  const loaded = await page.evaluate(async (id) => await window.kiln!.load(id), created.id)
  expect(loaded.content).toEqual({ kept: true })
})

test('a typed error from the worker arrives typed in the page', async ({ page }) => {
  await openApp(page, `errors-${Date.now()}`)
  const error = await page.evaluate(async () => {
    const created = await window.kiln!.create({ content: { n: 1 } })
    await window.kiln!.update(created.id, { content: { n: 2 } })
    try {
      await window.kiln!.update(created.id, { content: { n: 3 }, expectedTip: created.tip })
      return null
    } catch (err) {
      const e = err as { name: string, code: string, message: string }
      const { KilnError } = await import('/src/errors.ts' as string)
      return { name: e.name, code: e.code, message: e.message, isKilnError: err instanceof KilnError }
    }
  })
  expect(error).toMatchObject({ name: 'StaleTipError', code: 'ERR_STALE_TIP', isKilnError: true })
})

/** In the page: a second Kiln on the same node, subscribed to `id`; returns what the node counts before and after it closes. */
const closeSecondConnection = async (page: Page, node: string, id: string) => await page.evaluate(async ([name, streamId]) => {
  const { connect } = await import('/src/client/index.ts' as string) as typeof import('../src/client/index.js')
  const second = await connect({ name })
  await second.subscribe(streamId, () => {})
  const counts = async () => { const s = await window.kiln!.status(); return { clients: s.clients, subscriptions: s.subscriptions } }
  const before = await counts()
  await second.close()
  const after = await counts()
  const later = await second.load(streamId).then(() => null, (err: { code?: string, name?: string }) => ({ code: err.code, name: err.name }))
  return { before, after, later }
}, [node, id] as const)

test('closing a Kiln frees its subscriptions and its place in the node at once; its later calls fail typed', async ({ page }) => {
  const node = `close-${Date.now()}`
  await openApp(page, node)
  const created = await page.evaluate(async () => await window.kiln!.create({ content: { n: 1 } }))
  const counted = await closeSecondConnection(page, node, created.id)
  expect(counted.before).toEqual({ clients: 2, subscriptions: 1 })
  expect(counted.after).toEqual({ clients: 1, subscriptions: 0 })
  expect(counted.later).toEqual({ code: 'ERR_CONNECTION_CLOSED', name: 'ConnectionClosedError' })
  // The first connection is untouched.
  expect((await page.evaluate(async (id) => await window.kiln!.load(id), created.id)).content).toEqual({ n: 1 })
})

test('has(id) tells whether this node holds a stream, for StreamIDs and CommitIDs, without fetching it', async ({ page }) => {
  await openApp(page, `has-${Date.now()}`)
  const answers = await page.evaluate(async () => {
    const kiln = window.kiln!
    const created = await kiln.create({ content: { n: 1 } })
    const updated = await kiln.update(created.id, { content: { n: 2 } })
    // A valid Tile StreamID (a vector from Ceramic's own tests) that this browser never saw.
    const elsewhere = 'kjzl6cwe1jw148c0yiywjeppf07ebkvptk6zspz8uwy26saoh4lr79n2sawm0pj'
    const invalid = await kiln.has('not-a-stream-id').then(() => null, (err: { code?: string }) => err.code)
    return { stream: await kiln.has(created.id), commit: await kiln.has(updated.commitId), elsewhere: await kiln.has(elsewhere), invalid }
  })
  expect(answers).toEqual({ stream: true, commit: true, elsewhere: false, invalid: 'ERR_INVALID_ID' })
})
