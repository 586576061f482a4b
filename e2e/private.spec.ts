import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { browserProfile, openAppWithPeer, serverPeerForTests } from './fixtures/server-peer.js'
import { keyDirectoryId } from '../src/private/key-directory.js'

// Two browser profiles (two people, each with a device key and an X25519 key in its worker) and
// a server peer in this process that holds no key.
const servers = serverPeerForTests()

const openApp = async (context: BrowserContext, node: string): Promise<Page> => await openAppWithPeer(context, node, servers.peer)
const didOf = async (page: Page): Promise<string> => (await page.evaluate(async () => await window.kiln!.status())).did as string

test('a private note written in browser A for browser B\'s account is read in B through the server peer, which holds only ciphertext', async () => {
  const node = `private-${Date.now()}`
  const [a, b] = [await browserProfile(), await browserProfile()]
  try {
    const pageA = await openApp(a, node)
    const pageB = await openApp(b, node)
    const [alice, bob] = [await didOf(pageA), await didOf(pageB)]
    // B's account takes private documents: its device's key goes in its key directory.
    const published = await pageB.evaluate(async () => await window.kiln!.publishEncryptionKey())
    const bobDirectory = await keyDirectoryId(bob)
    expect(published.id).toBe(bobDirectory)
    await expect.poll(async () => await servers.peer.node.has(bobDirectory), { timeout: 15_000 }).toBe(true)

    // A fetches Bob's directory from the server when it shares: wait until A is connected to it.
    await expect.poll(async () => (await pageA.evaluate(async () => await window.kiln!.status())).network?.peers.length ?? 0, { timeout: 15_000 }).toBeGreaterThan(0)
    const note = await pageA.evaluate(async (reader) => await window.kiln!.create({ content: { title: 'For Bob', body: 'SECRET-E2E-1' }, private: { readers: [reader] } }), bob)
    expect(note.content).toEqual({ title: 'For Bob', body: 'SECRET-E2E-1' })
    expect(note.private).toEqual({ readable: true, readers: [alice, bob] })

    // B loads it (fetched from the server peer) and follows A's next edit live.
    await expect.poll(async () => await pageB.evaluate(async (id) => await window.kiln!.load(id).then((s) => s.content, () => null), note.id), { timeout: 15_000 })
      .toEqual({ title: 'For Bob', body: 'SECRET-E2E-1' })
    await pageB.evaluate(async (id) => { await window.kiln!.subscribe(id, (s) => { window.events.push(s) }) }, note.id)
    const edited = await pageA.evaluate(async (id) => await window.kiln!.update(id, { content: { title: 'For Bob', body: 'SECRET-E2E-2' } }), note.id)
    await expect.poll(async () => await pageB.evaluate((tip) => window.events.find((e) => e.tip === tip)?.content, edited.tip), { timeout: 15_000 })
      .toEqual({ title: 'For Bob', body: 'SECRET-E2E-2' })

    // The server holds the stream and cannot read it; what it would hand on has no plaintext.
    await expect.poll(async () => (await servers.peer.node.find(note.id))?.tips, { timeout: 15_000 }).toEqual([edited.tip])
    const atServer = await servers.peer.node.load(note.id)
    expect(atServer.private).toEqual({ readable: false })
    expect(atServer.content).toBeNull()
    const car = Buffer.from(await servers.peer.node.exportCar(note.id))
    expect(car.includes('SECRET-E2E')).toBe(false)

    // A removes B: B holds the later version and cannot open it; the one it read stays readable.
    await pageA.evaluate(async ([id, reader]) => await window.kiln!.share(id, { remove: [reader] }), [note.id, bob])
    const later = await pageA.evaluate(async (id) => await window.kiln!.update(id, { content: { title: 'Not for Bob', body: 'SECRET-E2E-3' } }), note.id)
    await expect.poll(async () => await pageB.evaluate(async (id) => (await window.kiln!.load(id)).tip, note.id), { timeout: 15_000 }).toBe(later.tip)
    const atB = await pageB.evaluate(async (id) => await window.kiln!.load(id), note.id)
    expect(atB.private).toEqual({ readable: false })
    expect(atB.content).toBeNull()
    expect(await pageB.evaluate(async (commitId) => (await window.kiln!.load(commitId)).content, edited.commitId)).toEqual({ title: 'For Bob', body: 'SECRET-E2E-2' })
  } finally {
    await a.close()
    await b.close()
  }
})

// The demo (the built library): two people in two browser profiles share a private note.
test('the demo: B accepts private notes, A writes one for B\'s DID, B opens it by id and reads it; the server cannot', async () => {
  const [a, b] = [await browserProfile(), await browserProfile()]
  try {
    const openDemo = async (context: BrowserContext): Promise<Page> => {
      const page = await context.newPage()
      await page.goto(`/?peers=${encodeURIComponent(servers.peer.addr)}`)
      await expect(page.locator('#status')).toContainText('1 peer', { timeout: 15_000 })
      return page
    }
    const [pageA, pageB] = [await openDemo(a), await openDemo(b)]
    const bob = ((await pageB.locator('#status').textContent()) ?? '').split(' · ')[0]
    expect(bob).toMatch(/^did:key:/)
    await pageB.getByRole('button', { name: 'Accept private notes' }).click()
    await expect(pageB.locator('#private-message')).toHaveText(`Others can now share private notes with ${bob}`)
    await expect.poll(async () => await servers.peer.node.has(await keyDirectoryId(bob)), { timeout: 15_000 }).toBe(true)

    await pageA.getByLabel('New private note for').fill(bob)
    await pageA.getByRole('button', { name: 'New private note' }).click()
    await expect(pageA.locator('#private-info')).toContainText(`Private, readable by did:key:`)
    await expect(pageA.locator('#private-info')).toContainText(bob)
    await pageA.getByLabel('Title').fill('Surprise party')
    await pageA.getByLabel('Text').fill('SECRET-DEMO: Saturday at 8')
    await pageA.getByRole('button', { name: 'Save' }).click()
    await expect(pageA.locator('#message')).toHaveText('saved')
    const id = await pageA.locator('#note-id').textContent() as string

    await pageB.getByLabel('Open a shared note').fill(id)
    await pageB.getByRole('button', { name: 'Open' }).click()
    await expect(pageB.getByLabel('Title')).toHaveValue('Surprise party', { timeout: 15_000 })
    await expect(pageB.getByLabel('Text')).toHaveValue('SECRET-DEMO: Saturday at 8')
    await expect(pageB.locator('#private-info')).toContainText('Private, readable by')

    const atServer = await servers.peer.node.load(id)
    expect(atServer.private).toEqual({ readable: false })
    expect(Buffer.from(await servers.peer.node.exportCar(id)).includes('SECRET-DEMO')).toBe(false)
  } finally {
    await a.close()
    await b.close()
  }
})
