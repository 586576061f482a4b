import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import type { Conflict } from '../src/api/types.js'
import { browserProfile, newProfileDir, serverPeerForTests, type ServerPeer } from './fixtures/server-peer.js'
import { saveNewNote, testWallet as wallet, withInjectedWallet as withWallet } from './fixtures/demo-pages.js'

// Two devices of ONE wallet account (two persistent Chromium profiles, each with its own IndexedDB,
// SharedWorker node and session key) sync through a server peer in this process. A device goes
// offline as a real one does here: its browser closes and comes back with no peers, then rejoins.
const servers = serverPeerForTests()
const SYNC_TIMEOUT = 30_000

/** One device: a browser profile that survives restarts. */
function deviceProfile (): { launch: () => Promise<BrowserContext> } {
  const dir = newProfileDir()
  return { launch: async () => await browserProfile(dir) }
}

/** The wallet test page (e2e/pages/wallet.ts: the same test key on every device) of node `node`, online or not. */
async function openWalletApp (context: BrowserContext, node: string, peer: ServerPeer | undefined): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`/e2e/pages/wallet.html?node=${node}${peer == null ? '' : `&peers=${encodeURIComponent(peer.addr)}`}`)
  await expect(page.locator('#status')).toHaveText('ready')
  return page
}

const load = async (page: Page, id: string): Promise<{ content: unknown, tip: string, conflicts?: Conflict[] }> =>
  await page.evaluate(async (id) => await window.kiln!.load(id).then((s) => ({ content: s.content, tip: s.tip, conflicts: s.conflicts }), () => ({ content: null, tip: '' })), id)
const conflictsOn = async (page: Page, id: string): Promise<Conflict[]> => await page.evaluate(async (id) => await window.kiln!.conflicts(id), id)
const subscribe = async (page: Page, id: string): Promise<void> => { await page.evaluate(async (id) => { await window.kiln!.subscribe(id, (s) => { window.events.push(s) }) }, id) }
const heardConflictAt = async (page: Page, path: string): Promise<boolean> => await page.evaluate((path) => window.events.some((s) => s.conflicts?.some((c) => c.path === path) === true), path)

/** Both pages show the same tip and this content. */
async function bothShow (pages: Page[], id: string, content: unknown): Promise<void> {
  for (const page of pages) await expect.poll(async () => (await load(page, id)).content, { timeout: SYNC_TIMEOUT }).toEqual(content)
  const tip = (await load(pages[0], id)).tip
  for (const page of pages.slice(1)) await expect.poll(async () => (await load(page, id)).tip, { timeout: SYNC_TIMEOUT }).toBe(tip)
}

test('two devices of one account edit offline: different fields both stay; the same field is a conflict on both, resolved from one, closed on both', async () => {
  test.setTimeout(150_000)
  const node = `conflicts-${Date.now()}`
  const laptop = deviceProfile()
  const phone = deviceProfile()
  let a = await laptop.launch()
  let b = await phone.launch()
  try {
    const pageA = await openWalletApp(a, node, servers.peer)
    const account = (await pageA.evaluate(async () => await window.kiln!.signIn(window.ethereum!))).account
    const note = await pageA.evaluate(async () => await window.kiln!.create({ content: { title: 'draft', body: 'text', place: 'home' } }))
    let pageB = await openWalletApp(b, node, servers.peer)
    await pageB.evaluate(async () => await window.kiln!.signIn(window.ethereum!))
    await expect.poll(async () => (await load(pageB, note.id)).content, { timeout: SYNC_TIMEOUT }).toEqual({ title: 'draft', body: 'text', place: 'home' })

    /** The phone's browser restarts with no peers, edits, then rejoins; the laptop edits meanwhile. */
    const apart = async (onPhone: Record<string, string>, onLaptop: Record<string, string>): Promise<void> => {
      await b.close()
      b = await phone.launch()
      pageB = await openWalletApp(b, node, undefined)
      expect((await pageB.evaluate(async () => await window.kiln!.status())).network?.peers.length ?? 0).toBe(0)
      const patch = (fields: Record<string, string>): unknown[] => Object.entries(fields).map(([key, value]) => ({ op: 'replace', path: `/${key}`, value }))
      const written = await pageB.evaluate(async ([id, patch]) => await window.kiln!.update(id as string, { patch: patch as [] }), [note.id, patch(onPhone)] as const)
      // Signed by the account's session on this device, not by the device key.
      expect(written.metadata.controllers).toEqual([account])
      await pageA.evaluate(async ([id, patch]) => await window.kiln!.update(id as string, { patch: patch as [] }), [note.id, patch(onLaptop)] as const)
      await subscribe(pageB, note.id)
      await pageB.evaluate(async (addr) => { await window.kiln!.addPeers([addr]) }, servers.peer.addr)
    }

    // Apart, each edits a field of its own: after they meet, both edits are kept, on both.
    await apart({ body: 'body from the phone' }, { place: 'office' })
    await bothShow([pageA, pageB], note.id, { title: 'draft', body: 'body from the phone', place: 'office' })
    expect(await conflictsOn(pageA, note.id)).toEqual([])
    expect(await conflictsOn(pageB, note.id)).toEqual([])

    // Apart again, both change the title: one value shows on both, and both report the conflict.
    await subscribe(pageA, note.id)
    await apart({ title: 'title from the phone' }, { title: 'title from the laptop' })
    const titles = ['title from the laptop', 'title from the phone']
    await expect.poll(async () => (await conflictsOn(pageA, note.id)).length, { timeout: SYNC_TIMEOUT }).toBe(1)
    await expect.poll(async () => (await conflictsOn(pageB, note.id)).length, { timeout: SYNC_TIMEOUT }).toBe(1)
    const [conflict] = await conflictsOn(pageA, note.id)
    expect(await conflictsOn(pageB, note.id)).toEqual([conflict])
    expect(conflict).toMatchObject({ stream: note.id, path: '/title', base: 'draft', shown: { author: account }, other: { author: account } })
    expect([conflict.shown.value, conflict.other.value].sort()).toEqual(titles)
    const shown = { title: conflict.shown.value, body: 'body from the phone', place: 'office' }
    await bothShow([pageA, pageB], note.id, shown)
    expect((await load(pageB, note.id)).conflicts).toEqual([conflict])
    // Each device's subscriber heard of it.
    await expect.poll(async () => await heardConflictAt(pageA, '/title'), { timeout: SYNC_TIMEOUT }).toBe(true)
    await expect.poll(async () => await heardConflictAt(pageB, '/title'), { timeout: SYNC_TIMEOUT }).toBe(true)

    // The phone keeps the value the note does not show: closed on both, with that value.
    const resolved = await pageB.evaluate(async ([id, value]) => await window.kiln!.resolveConflict(id, { path: '/title', value }), [note.id, conflict.other.value as string] as const)
    expect(resolved.conflicts).toBeUndefined()
    await bothShow([pageA, pageB], note.id, { ...shown, title: conflict.other.value })
    await expect.poll(async () => await conflictsOn(pageA, note.id), { timeout: SYNC_TIMEOUT }).toEqual([])
    expect(await conflictsOn(pageB, note.id)).toEqual([])
    // The laptop's subscriber heard the closing too: its last snapshot has no conflict.
    await expect.poll(async () => await pageA.evaluate(() => window.events.at(-1)?.conflicts), { timeout: SYNC_TIMEOUT }).toBeUndefined()
  } finally {
    await a.close()
    await b.close()
  }
})

/** The demo (it imports the built library: `npm run build` first), online through the server peer or offline. */
async function openDemo (context: BrowserContext, online: boolean): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`/?peers=${online ? encodeURIComponent(servers.peer.addr) : ''}`)
  await expect(page.locator('#status')).toContainText(online ? '1 peer' : 'shared-worker')
  return page
}

test('the demo lists conflicts between two devices with both values and who wrote each; "Keep this" or a typed value closes them on both', async () => {
  test.setTimeout(150_000)
  const account = `did:pkh:eip155:1:${wallet.address.toLowerCase()}`
  const laptop = deviceProfile()
  const phone = deviceProfile()
  const a = await withWallet(await laptop.launch())
  let b = await withWallet(await phone.launch())
  try {
    const pageA = await openDemo(a, true)
    await pageA.getByRole('button', { name: 'Connect wallet' }).click()
    await expect(pageA.locator('#account')).toContainText(`Signed in as ${account}`)
    const id = await saveNewNote(pageA, 'Trip plan', 'train at 9')

    let pageB = await openDemo(b, true)
    await pageB.getByRole('button', { name: 'Connect wallet' }).click()
    await expect(pageB.locator('#account')).toContainText(`Signed in as ${account}`)
    await pageB.getByLabel('Open a shared note').fill(id)
    await pageB.getByRole('button', { name: 'Open', exact: true }).click()
    await expect(pageB.getByLabel('Text')).toHaveValue('train at 9', { timeout: SYNC_TIMEOUT })

    // The phone goes offline (its browser restarts with no peers); both change the title and the text.
    await b.close()
    b = await withWallet(await phone.launch())
    pageB = await openDemo(b, false)
    await pageB.locator('#notes button', { hasText: 'Trip plan' }).click()
    await pageB.getByLabel('Title').fill('Trip by train')
    await pageB.getByLabel('Text').fill('train at 9, seat 42')
    await pageB.getByRole('button', { name: 'Save' }).click()
    await expect(pageB.locator('#message')).toHaveText('saved')
    await pageA.getByLabel('Title').fill('Trip by car')
    await pageA.getByLabel('Text').fill('leave at 8')
    await pageA.getByRole('button', { name: 'Save' }).click()
    await expect(pageA.locator('#message')).toHaveText('saved')
    await expect(pageA.locator('#conflicts')).toBeHidden()

    // Back online: both devices list the conflicts, with both values and who wrote each.
    await b.close()
    b = await withWallet(await phone.launch())
    pageB = await openDemo(b, true)
    await pageB.locator('#notes button', { hasText: 'Trip by' }).click()
    for (const page of [pageA, pageB]) {
      const panel = page.getByRole('region', { name: 'Conflicts' })
      await expect(panel).toBeVisible({ timeout: SYNC_TIMEOUT })
      await expect(panel.locator('li.conflict')).toHaveCount(2)
      await expect(panel.locator('li.conflict').first()).toContainText('body (was "train at 9")')
      await expect(panel.locator('li.conflict').last()).toContainText('title (was "Trip plan")')
      for (const value of ['Trip by train', 'Trip by car', 'train at 9, seat 42', 'leave at 8']) await expect(panel.locator('.conflict-side', { hasText: `"${value}"` })).toContainText(`by ${account}`)
    }
    // Both show the same title: the one the conflict rule picked.
    const shownA = await pageA.getByLabel('Title').inputValue()
    await expect(pageB.getByLabel('Title')).toHaveValue(shownA)
    const other = shownA === 'Trip by train' ? 'Trip by car' : 'Trip by train'
    await expect(pageA.locator('.conflict-side', { hasText: `"${shownA}"` })).toContainText('shown now')

    // On the phone the user keeps the other title, and types a text of their own: the conflicts
    // close on both devices, which show those values.
    await pageB.locator('.conflict-side', { hasText: `"${other}"` }).getByRole('button', { name: 'Keep this' }).click()
    await expect(pageB.locator('#message')).toHaveText('conflict resolved')
    await expect(pageB.locator('li.conflict')).toHaveCount(1)
    await pageB.locator('li.conflict', { hasText: 'body' }).getByLabel('Or another value').fill('train at 9, car at 8')
    await pageB.locator('li.conflict', { hasText: 'body' }).getByRole('button', { name: 'Use this value' }).click()
    for (const page of [pageB, pageA]) {
      await expect(page.getByLabel('Title')).toHaveValue(other, { timeout: SYNC_TIMEOUT })
      await expect(page.getByLabel('Text')).toHaveValue('train at 9, car at 8', { timeout: SYNC_TIMEOUT })
      await expect(page.locator('#conflicts')).toBeHidden({ timeout: SYNC_TIMEOUT })
    }
  } finally {
    await a.close()
    await b.close()
  }
})
