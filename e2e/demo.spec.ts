import { expect, test } from '@playwright/test'
import { testWallet, withInjectedWallet } from './fixtures/demo-pages.js'

// The demo imports the built library (dist/kiln.js); `npm test` builds it before these tests.
test('the demo: create a note, edit it, see its history, and watch a second tab update', async ({ context }) => {
  const first = await context.newPage()
  const second = await context.newPage()
  await first.goto('/')
  await expect(first.locator('#status')).toContainText('shared-worker')
  await second.goto('/')
  await expect(second.locator('#status')).toContainText('shared-worker')

  await first.getByRole('button', { name: 'New note' }).click()
  await first.getByLabel('Title').fill('Groceries')
  await first.getByLabel('Text').fill('eggs, flour')
  await first.getByRole('button', { name: 'Save' }).click()
  await expect(first.locator('#message')).toHaveText('saved')

  // The second tab hears about the note without reloading, and opens it.
  await expect(second.locator('#notes button', { hasText: 'Groceries' })).toBeVisible()
  await second.locator('#notes button', { hasText: 'Groceries' }).click()
  await expect(second.getByLabel('Text')).toHaveValue('eggs, flour')

  // An edit in the first tab reaches the note open in the second.
  await first.getByLabel('Text').fill('eggs, flour, milk')
  await first.getByRole('button', { name: 'Save' }).click()
  await expect(second.getByLabel('Text')).toHaveValue('eggs, flour, milk')

  // History: three versions (created, saved, saved again); the first one can be viewed.
  await expect(second.locator('#history li')).toHaveCount(3)
  await second.locator('#history button', { hasText: 'version 2' }).click()
  await expect(second.locator('#version')).toContainText('"body": "eggs, flour"')
})

test('the built library falls back to a dedicated worker where SharedWorker is missing', async ({ context }) => {
  await context.addInitScript(() => { delete (window as { SharedWorker?: unknown }).SharedWorker })
  const page = await context.newPage()
  await page.goto('/')
  await expect(page.locator('#status')).toContainText('dedicated-worker')
  await page.getByRole('button', { name: 'New note' }).click()
  await page.getByLabel('Title').fill('Offline list')
  await page.getByRole('button', { name: 'Save' }).click()
  await expect(page.locator('#message')).toHaveText('saved')
  await expect(page.locator('#notes button', { hasText: 'Offline list' })).toBeVisible()
})

test('the demo\'s Connect wallet button signs in with an injected wallet and shows the account and its streams', async ({ context }) => {
  // The injected wallet: `window.ethereum` in the page, its key in this test.
  await withInjectedWallet(context)
  const wallet = testWallet
  const page = await context.newPage()
  await page.goto('/')
  await expect(page.locator('#status')).toContainText('shared-worker')
  await page.getByRole('button', { name: 'Connect wallet' }).click()
  await expect(page.locator('#account')).toContainText(`Signed in as did:pkh:eip155:1:${wallet.address.toLowerCase()} · 0 streams`)
  await page.getByRole('button', { name: 'New note' }).click()
  await expect(page.locator('#account')).toContainText('· 1 stream ·')
  await expect(page.locator('#message')).toContainText('signed by did:pkh:eip155:1:')
})
