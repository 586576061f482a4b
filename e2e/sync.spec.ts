import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { browserProfile, newProfileDir, openAppWithPeer, serverPeerForTests } from './fixtures/server-peer.js'
import { saveNewNote } from './fixtures/demo-pages.js'

// A server peer in this test process (a StreamNode with libp2p on WebSockets, as `kiln serve` runs),
// and two browser profiles: two devices, each with its own IndexedDB and its own SharedWorker node.
const servers = serverPeerForTests()

const device = async (): Promise<BrowserContext> => await browserProfile()
const openApp = async (context: BrowserContext, node: string): Promise<Page> => await openAppWithPeer(context, node, servers.peer)

test('a write on device A reaches a subscriber on device B through the server peer', async () => {
  const node = `sync-${Date.now()}`
  const [a, b] = [await device(), await device()]
  try {
    const pageA = await openApp(a, node)
    const pageB = await openApp(b, node)
    const created = await pageA.evaluate(async () => await window.kiln!.create({ content: { from: 'A' } }))
    // B learns of the new stream (gossip or catch-up), then subscribes and sees A's next edit live.
    await expect.poll(async () => await pageB.evaluate(async (id) => await window.kiln!.load(id).then((s) => s.content, () => null), created.id), { timeout: 15_000 }).toEqual({ from: 'A' })
    await pageB.evaluate(async (id) => { await window.kiln!.subscribe(id, (s) => { window.events.push(s) }) }, created.id)
    await pageA.evaluate(async (id) => await window.kiln!.update(id, { content: { from: 'A', edited: true } }), created.id)
    await expect.poll(async () => await pageB.evaluate(() => window.events.map((e) => e.content)), { timeout: 15_000 }).toEqual([{ from: 'A', edited: true }])
    const status = await pageB.evaluate(async () => await window.kiln!.status())
    expect(status.network?.synced).toBeGreaterThan(0)
  } finally {
    await a.close()
    await b.close()
  }
})

test('a device that was offline catches up with what it missed when it comes back', async () => {
  const node = `catchup-${Date.now()}`
  const a = await device()
  const profileB = newProfileDir()
  const launchB = async () => await browserProfile(profileB)
  let b = await launchB()
  try {
    const pageA = await openApp(a, node)
    await openApp(b, node)
    await b.close() // B goes offline (its browser closes)
    const written = []
    for (let i = 0; i < 3; i++) written.push(await pageA.evaluate(async (n) => await window.kiln!.create({ content: { n } }), i))
    b = await launchB()
    const pageB = await openApp(b, node)
    for (const stream of written) {
      await expect.poll(async () => await pageB.evaluate(async (id) => await window.kiln!.load(id).then((s) => s.tip, () => null), stream.id), { timeout: 20_000 }).toBe(stream.tip)
    }
  } finally {
    await a.close()
    await b.close()
  }
})

test('a new device signed in with the same wallet gets the account\'s streams and writes to them', async () => {
  const node = `wallet-sync-${Date.now()}`
  const [laptop, fresh] = [await device(), await device()]
  try {
    const open = async (context: BrowserContext): Promise<Page> => {
      const page = await context.newPage()
      await page.goto(`/e2e/pages/wallet.html?node=${node}&peers=${encodeURIComponent(servers.peer.addr)}`)
      await expect(page.locator('#status')).toHaveText('ready')
      return page
    }
    const pageA = await open(laptop)
    const account = (await pageA.evaluate(async () => await window.kiln!.signIn(window.ethereum!))).account
    const notes: Array<{ id: string }> = []
    for (let i = 0; i < 3; i++) notes.push(await pageA.evaluate(async (n) => await window.kiln!.create({ content: { n } }), i))
    // A new device: empty IndexedDB, its own session key, the same wallet.
    const pageB = await open(fresh)
    await pageB.evaluate(async () => await window.kiln!.signIn(window.ethereum!))
    await expect.poll(async () => (await pageB.evaluate(async (a) => await window.kiln!.query({ controller: a }), account)).items.length, { timeout: 20_000 }).toBe(3)
    const edited = await pageB.evaluate(async (id) => await window.kiln!.update(id, { content: { n: 0, editedOn: 'new device' } }), notes[0].id)
    expect(edited.metadata.controllers).toEqual([account])
    await expect.poll(async () => await pageA.evaluate(async (id) => (await window.kiln!.load(id)).content, notes[0].id), { timeout: 20_000 }).toEqual({ n: 0, editedOn: 'new device' })
  } finally {
    await laptop.close()
    await fresh.close()
  }
})

test('both devices edit the same note while one is offline: after it reconnects every device holds both edits', async () => {
  const node = `offline-edit-${Date.now()}`
  const profileB = newProfileDir()
  const launchB = async () => await browserProfile(profileB)
  const a = await device()
  let b = await launchB()
  const open = async (context: BrowserContext, online: boolean): Promise<Page> => {
    const page = await context.newPage()
    await page.goto(`/e2e/pages/wallet.html?node=${node}${online ? `&peers=${encodeURIComponent(servers.peer.addr)}` : ''}`)
    await expect(page.locator('#status')).toHaveText('ready')
    return page
  }
  try {
    const pageA = await open(a, true)
    await pageA.evaluate(async () => await window.kiln!.signIn(window.ethereum!))
    const note = await pageA.evaluate(async () => await window.kiln!.create({ content: { items: ['first'] } }))
    let pageB = await open(b, true)
    await pageB.evaluate(async () => await window.kiln!.signIn(window.ethereum!))
    await expect.poll(async () => await pageB.evaluate(async (id) => await window.kiln!.load(id).then((s) => s.content, () => null), note.id), { timeout: 20_000 }).toEqual({ items: ['first'] })

    // B's browser restarts with no peers: an offline device. Both edit the note.
    await b.close()
    b = await launchB()
    pageB = await open(b, false)
    await pageB.evaluate(async (id) => await window.kiln!.update(id, { patch: [{ op: 'add', path: '/items/-', value: 'offline on B' }] }), note.id)
    await pageA.evaluate(async (id) => await window.kiln!.update(id, { patch: [{ op: 'add', path: '/items/-', value: 'online on A' }] }), note.id)

    // B comes back online: the devices converge on one tip that holds both edits.
    await pageB.evaluate(async (addr) => { await window.kiln!.addPeers([addr]) }, servers.peer.addr)
    const both = ['first', 'offline on B', 'online on A']
    const items = async (page: Page): Promise<string[]> => await page.evaluate(async (id) => [...((await window.kiln!.load(id)).content as { items: string[] }).items].sort(), note.id)
    await expect.poll(async () => await items(pageA), { timeout: 30_000 }).toEqual(both)
    await expect.poll(async () => await items(pageB), { timeout: 30_000 }).toEqual(both)
    const tipA = await pageA.evaluate(async (id) => (await window.kiln!.load(id)).tip, note.id)
    await expect.poll(async () => await pageB.evaluate(async (id) => (await window.kiln!.load(id)).tip, note.id), { timeout: 30_000 }).toBe(tipA)
  } finally {
    await a.close()
    await b.close()
  }
})

test('the demo: a note shared by its id opens on another device, fetched through the server peer, and follows its edits', async () => {
  const [a, b] = [await device(), await device()]
  try {
    const openDemo = async (context: BrowserContext): Promise<Page> => {
      const page = await context.newPage()
      await page.goto(`/?peers=${encodeURIComponent(servers.peer.addr)}`)
      await expect(page.locator('#status')).toContainText('1 peer')
      return page
    }
    const pageA = await openDemo(a)
    const pageB = await openDemo(b)
    const id = await saveNewNote(pageA, 'Trip plan', 'train at 9')

    // B has never seen it: opening it by id fetches it from the network.
    await pageB.getByLabel('Open a shared note').fill(id)
    await pageB.getByRole('button', { name: 'Open', exact: true }).click()
    await expect(pageB.getByLabel('Text')).toHaveValue('train at 9', { timeout: 20_000 })
    await expect(pageB.locator('#note-id')).toHaveText(id)

    // A's next edit reaches B's open note live.
    await pageA.getByLabel('Text').fill('train at 9, seat 42')
    await pageA.getByRole('button', { name: 'Save' }).click()
    await expect(pageB.getByLabel('Text')).toHaveValue('train at 9, seat 42', { timeout: 20_000 })

    // A made-up id is reported, not hung on.
    await pageB.getByLabel('Open a shared note').fill('kjzl6cwe1jw147ww5d8pswh1hjh686mut8v1br10dar8l9a3n1wf8z38l0bg8qa')
    await pageB.getByRole('button', { name: 'Open', exact: true }).click()
    await expect(pageB.locator('#open-message')).toHaveText('Not found here or on any connected peer.', { timeout: 20_000 })
  } finally {
    await a.close()
    await b.close()
  }
})
