import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, expect, test } from '@playwright/test'
import config from '../playwright.config.js'

const launchOptions = config.use?.launchOptions ?? {}
const baseURL = config.use?.baseURL as string

test('data survives a full browser restart (same profile)', async () => {
  const profile = mkdtempSync(join(tmpdir(), 'kiln-profile-'))
  const node = `restart-${Date.now()}`
  let browser = await chromium.launchPersistentContext(profile, { ...launchOptions, baseURL })
  let page = await browser.newPage()
  await page.goto(`/e2e/pages/app.html?node=${node}`)
  await expect(page.locator('#status')).toHaveText('ready')
  const created = await page.evaluate(async () => await window.kiln!.create({ content: { survives: 'restart' } }))
  const updated = await page.evaluate(async (id) => await window.kiln!.update(id, { content: { survives: 'restart', edited: true } }), created.id)
  const did = (await page.evaluate(async () => await window.kiln!.status())).did
  await browser.close()

  browser = await chromium.launchPersistentContext(profile, { ...launchOptions, baseURL })
  page = await browser.newPage()
  await page.goto(`/e2e/pages/app.html?node=${node}`)
  await expect(page.locator('#status')).toHaveText('ready')
  const loaded = await page.evaluate(async (id) => await window.kiln!.load(id), created.id)
  expect(loaded.content).toEqual({ survives: 'restart', edited: true })
  expect(loaded.tip).toBe(updated.tip)
  // The device identity persists too: the same DID signs after the restart.
  expect((await page.evaluate(async () => await window.kiln!.status())).did).toBe(did)
  await browser.close()
})

test('the script-tag build works: Kiln.connect from kiln.iife.js', async ({ page }) => {
  await page.goto(`/e2e/pages/script-tag/index.html?node=script-${Date.now()}`)
  await expect(page.locator('#status')).toHaveText('ready')
  const loaded = await page.evaluate(async () => {
    const w = window as unknown as { kiln: { load: (id: string) => Promise<{ content: unknown }> }, created: { id: string } }
    return await w.kiln.load(w.created.id)
  })
  expect(loaded.content).toEqual({ via: 'script tag' })
})
