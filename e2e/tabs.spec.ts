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
