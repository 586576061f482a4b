import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, expect, test, type Page } from '@playwright/test'
import config from '../playwright.config.js'

const ALICE = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'

async function openWallet (page: Page, query: string): Promise<void> {
  await page.goto(`/e2e/pages/wallet.html?${query}`)
  await expect(page.locator('#status')).toHaveText('ready')
}

async function errorOf (page: Page, action: string, arg?: unknown): Promise<{ code?: string, name?: string, message?: string } | null> {
  return await page.evaluate(async ([body, value]) => {
    try {
      await (new Function('kiln', 'ethereum', 'arg', `return (async () => { ${body} })()`))(window.kiln, window.ethereum, value)
      return null
    } catch (err) {
      const e = err as { code?: string, name?: string, message?: string }
      return { code: e.code, name: e.name, message: e.message }
    }
  }, [action, arg] as const)
}

test('sign in with a wallet: streams are controlled by the did:pkh, and another tab writes with the same session', async ({ context }) => {
  const node = `wallet-${Date.now()}`
  const a = await context.newPage()
  await openWallet(a, `node=${node}`)
  const session = await a.evaluate(async () => await window.kiln!.signIn(window.ethereum!))
  expect(session.account).toBe(`did:pkh:eip155:1:${ALICE}`)
  expect(session.sessionDid).toMatch(/^did:key:z6Mk/)
  expect(session.resources).toEqual(['ceramic://*'])
  const note = await a.evaluate(async () => await window.kiln!.create({ content: { by: 'wallet' } }))
  expect(note.metadata.controllers).toEqual([`did:pkh:eip155:1:${ALICE}`])
  expect(note.log[0].expirationTime).toBe(Math.floor(Date.parse(session.expiresAt!) / 1000))

  // A second tab shares the session: it writes to the same stream without asking the wallet.
  const b = await context.newPage()
  await openWallet(b, `node=${node}`)
  expect((await b.evaluate(async () => await window.kiln!.session()))?.account).toBe(session.account)
  const updated = await b.evaluate(async (id) => await window.kiln!.update(id, { content: { by: 'wallet', tab: 'B' } }), note.id)
  expect(updated.log).toHaveLength(2)

  // After a reload the session is still there.
  await a.reload()
  await expect(a.locator('#status')).toHaveText('ready')
  expect((await a.evaluate(async () => await window.kiln!.status())).session?.account).toBe(session.account)
  const again = await a.evaluate(async (id) => await window.kiln!.update(id, { content: { by: 'wallet', reloaded: true } }), note.id)
  expect(again.content).toEqual({ by: 'wallet', reloaded: true })
})

test('the session survives a full browser restart', async () => {
  const profile = mkdtempSync(join(tmpdir(), 'kiln-wallet-profile-'))
  const node = `wallet-restart-${Date.now()}`
  const launch = async () => await chromium.launchPersistentContext(profile, { ...config.use?.launchOptions, baseURL: config.use?.baseURL as string })
  let browser = await launch()
  let page = await browser.newPage()
  await openWallet(page, `node=${node}`)
  await page.evaluate(async () => await window.kiln!.signIn(window.ethereum!))
  const note = await page.evaluate(async () => await window.kiln!.create({ content: { n: 1 } }))
  await browser.close()
  browser = await launch()
  page = await browser.newPage()
  await openWallet(page, `node=${node}`)
  const updated = await page.evaluate(async (id) => await window.kiln!.update(id, { content: { n: 2 } }), note.id)
  expect(updated.metadata.controllers).toEqual([`did:pkh:eip155:1:${ALICE}`])
  expect(updated.content).toEqual({ n: 2 })
  await browser.close()
})

test('signing out: the account\'s streams are refused clearly, and new streams use the device key', async ({ page }) => {
  await openWallet(page, `node=signout-${Date.now()}`)
  await page.evaluate(async () => await window.kiln!.signIn(window.ethereum!))
  const note = await page.evaluate(async () => await window.kiln!.create({ content: { n: 1 } }))
  await page.evaluate(async () => { await window.kiln!.signOut() })
  expect(await page.evaluate(async () => await window.kiln!.sessions())).toEqual([])
  expect(await errorOf(page, 'await kiln.update(arg, { content: { n: 2 } })', note.id)).toMatchObject({ code: 'ERR_NO_SIGNER' })
  const plain = await page.evaluate(async () => await window.kiln!.create({ content: { n: 3 } }))
  expect(plain.metadata.controllers[0]).toMatch(/^did:key:/)
})

test('a wallet that signs with another key than the account it claims is refused, and no session is kept', async ({ page }) => {
  await openWallet(page, `node=forged-${Date.now()}&key=0&signer=1`)
  expect(await errorOf(page, 'await kiln.signIn(ethereum)')).toMatchObject({ code: 'ERR_INVALID_CAPABILITY' })
  expect(await page.evaluate(async () => await window.kiln!.sessions())).toEqual([])
})

test('a wallet that gives no account, or refuses, fails typed (ERR_WALLET) and keeps no session', async ({ page }) => {
  await openWallet(page, `node=no-account-${Date.now()}`)
  expect(await errorOf(page, 'await kiln.signIn({ request: async () => [] })')).toMatchObject({ code: 'ERR_WALLET', name: 'WalletError' })
  const refused = "await kiln.signIn({ request: async () => { throw Object.assign(new Error('User rejected the request'), { code: 4001 }) } })"
  expect(await errorOf(page, refused)).toMatchObject({ code: 'ERR_WALLET', name: 'WalletError', message: expect.stringContaining('User rejected') })
  expect(await page.evaluate(async () => await window.kiln!.sessions())).toEqual([])
})

test('an expired session is refused at sign-in', async ({ page }) => {
  await openWallet(page, `node=expired-${Date.now()}`)
  expect(await errorOf(page, 'await kiln.signIn(ethereum, { expiresIn: -2 * 24 * 3600 })')).toMatchObject({ code: 'ERR_CAPABILITY_EXPIRED' })
})

test('a narrower grant is honoured when writing: a model-scoped session cannot write a Tile', async ({ page }) => {
  await openWallet(page, `node=scope-${Date.now()}`)
  const model = 'kjzl6hvfrbw6c5ajfmes842lu09vjxu5956e3xq0xk12gp2jcf9s90cagt2god9'
  await page.evaluate(async (m) => await window.kiln!.signIn(window.ethereum!, { resources: [`ceramic://*?model=${m}`] }), model)
  expect(await errorOf(page, 'await kiln.create({ content: { n: 1 } })')).toMatchObject({ code: 'ERR_CAPABILITY_SCOPE' })
  expect((await page.evaluate(async () => await window.kiln!.stats())).streams).toBe(0)
})

test('a session past its expiry refuses new writes, and what it signed before stays loadable', async ({ page }) => {
  await openWallet(page, `node=short-${Date.now()}`)
  await page.evaluate(async () => await window.kiln!.signIn(window.ethereum!, { expiresIn: 3, renewBefore: 0 }))
  const note = await page.evaluate(async () => await window.kiln!.create({ content: { signed: 'in time' } }))
  await page.waitForTimeout(3500)
  expect(await errorOf(page, 'await kiln.update(arg, { content: { late: true } })', note.id)).toMatchObject({ code: 'ERR_CAPABILITY_EXPIRED' })
  const loaded = await page.evaluate(async (id) => await window.kiln!.load(id), note.id)
  expect(loaded.content).toEqual({ signed: 'in time' })
})

test('the tab that signed in asks the wallet again before the session expires', async ({ page }) => {
  await openWallet(page, `node=renew-${Date.now()}`)
  const first = await page.evaluate(async () => await window.kiln!.signIn(window.ethereum!, { expiresIn: 8, renewBefore: 5 }))
  expect(await page.evaluate(() => window.walletPrompts)).toBe(1)
  await expect.poll(async () => await page.evaluate(() => window.walletPrompts), { timeout: 10_000 }).toBe(2)
  await expect.poll(async () => (await page.evaluate(async () => await window.kiln!.session()))?.expiresAt).not.toBe(first.expiresAt)
  const renewed = await page.evaluate(async () => await window.kiln!.session())
  expect(Date.parse(renewed!.expiresAt!)).toBeGreaterThan(Date.parse(first.expiresAt!))
  expect(renewed!.sessionDid).not.toBe(first.sessionDid)
  expect(await page.evaluate(async () => (await window.kiln!.sessions()).length)).toBe(1)
})
