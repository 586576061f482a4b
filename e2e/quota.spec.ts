import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import config from '../playwright.config.js'
import { type OwnChromium, launchOwnChromium, mountSmallDisk, smallDiskUnavailable } from './fixtures/own-chromium.js'
import { type ServerPeer, serverPeerForTests } from './fixtures/server-peer.js'

/*
 * A full disk under load: Chromium's profile is on a small filesystem of its own, and a page writes
 * through the SharedWorker until IndexedDB refuses (QuotaExceededError). Everything is checked from
 * the page, as an app would see it. Chromium 156 does not enforce CDP's
 * Storage.overrideQuotaForOrigin for IndexedDB (getUsageAndQuota reports the override, writes go
 * past it), nor its quota for a small volume: a full disk is what refuses.
 */
const DISK = 40 * 1024 * 1024
const LIFTED = 256 * 1024 * 1024
const unavailable = smallDiskUnavailable()
test.skip(unavailable != null, `The full-disk e2e needs a tmpfs of its own: ${unavailable ?? ''}. Run it as root.`)
/** Random (incompressible) content per document, well under a commit's size limit. */
const DOC_BYTES = 24 * 1024
const server = serverPeerForTests()
/**
 * How a write that meets the full disk is refused: ERR_STORE_FULL when Chromium reports it on the
 * write's own transaction; ERR_STORE_CLOSED (reason 'terminated') when Chromium only closes the
 * connection, as it did in about one run in ten here, before any write saw the disk error.
 */
const FIRST_REFUSALS = ['ERR_STORE_FULL StoreFullError', 'ERR_STORE_CLOSED StoreClosedError']

/** In the page: four writers create and update documents until ten writes in a row are refused, then everything acknowledged is read back. */
async function fillDisk (page: Page) {
  return await page.evaluate(async (docBytes) => {
    const kiln = window.kiln!
    let hangs = 0
    const browserErrors = new Set<string>() // the browser's own errors behind ERR_STORE_FULL
    const text = (): string => {
      const bytes = crypto.getRandomValues(new Uint8Array(docBytes * 3 / 4))
      return btoa(String.fromCharCode(...bytes))
    }
    /** A write that neither resolves nor rejects within 20 s counts as a hang. */
    const settle = async <T>(write: Promise<T>): Promise<{ ok: T } | { code: string, name: string }> => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const hang = new Promise<{ code: string, name: string }>((resolve) => { timer = setTimeout(() => { hangs++; resolve({ code: 'hang', name: 'hang' }) }, 20_000) })
      const answer = write.then((ok) => ({ ok }), (err: { code?: string, name?: string, message?: string, details?: { browserError?: string, browserMessage?: string } }) => {
        if (err.details?.browserError != null) browserErrors.add(`${err.details.browserError}: ${err.details.browserMessage ?? ''}`)
        else if (typeof err.code !== 'string') browserErrors.add(`untyped ${err.name ?? ''}: ${err.message ?? String(err)}`)
        return { code: err.code ?? 'untyped', name: err.name ?? String(err) }
      })
      // Only a write still unanswered after 20 s counts as a hang: the timer of one that answered is cleared.
      return await Promise.race([answer, hang]).finally(() => { clearTimeout(timer) })
    }
    type Content = { n: number, text: string }
    const acked: Array<{ id: string, tip: string, content: Content }> = []
    const refusals: string[] = [] // the current run of refused writes
    const kinds = new Set<string>() // every kind of refusal seen
    const updated = new Map<string, { tip: string, content: Content }>()
    // Updates refused or hung: what each asked for, which a refused write may still have stored (never acknowledged).
    const unsure = new Map<string, Content[]>()
    // Four writers at once (creates, and updates of what they made) until ten writes in a row are refused.
    for (let n = 0; refusals.length < 10 && n < 2_000; n += 4) {
      const writes = [0, 1, 2, 3].map(async (j) => {
        const content = { n: n + j, text: text() }
        const previous = acked.at(-1 - j)
        if (j === 3 && previous != null) {
          const result = await settle(kiln.update(previous.id, { content }))
          if ('ok' in result) updated.set(previous.id, { tip: result.ok.tip, content })
          else unsure.set(previous.id, [...(unsure.get(previous.id) ?? []), content])
          return result
        }
        const result = await settle(kiln.create({ content }))
        if ('ok' in result) acked.push({ id: result.ok.id, tip: result.ok.tip, content })
        return result
      })
      for (const result of await Promise.all(writes)) {
        if ('ok' in result) refusals.length = 0
        else { refusals.push(`${result.code} ${result.name}`); kinds.add(refusals.at(-1) as string) }
      }
    }
    // With a peer: how many documents it had not confirmed holding when the writes stopped.
    const unconfirmedAtStop = (await kiln.status()).network?.unconfirmed
    // Every acknowledged write, read back: whole, or refused typed (never other content).
    const expected = new Map(acked.map((a) => [a.id, updated.get(a.id)?.content ?? a.content]))
    let intact = 0
    const wrong: string[] = []
    const readRefusals = new Set<string>()
    for (const [id, content] of expected) {
      const loaded = await kiln.load(id).then((s) => s.content, (err: { code?: string }) => { readRefusals.add(err.code ?? 'untyped'); return undefined })
      if (JSON.stringify(loaded) === JSON.stringify(content)) intact++
      else if (loaded !== undefined) wrong.push(id)
    }
    const status = await kiln.status()
    // Each acknowledged document at its last acknowledged tip, for a later check (after a restart).
    const written = acked.map((a) => {
      const last = updated.get(a.id) ?? a
      return { id: a.id, tip: last.tip, content: last.content, unsure: unsure.get(a.id) ?? [] }
    })
    return { written, unconfirmedAtStop, browserErrors: [...browserErrors], hangs, acked: acked.length, updates: updated.size, refusals, kinds: [...kinds], intact, wrong, readRefusals: [...readRefusals], expected: expected.size, closed: status.closed }
  }, DOC_BYTES)
}

async function openApp (page: Page, peer?: ServerPeer): Promise<void> {
  const peers = peer == null ? '' : `&peers=${encodeURIComponent(peer.addr)}`
  await page.goto(`${config.use?.baseURL as string}/e2e/pages/app.html?node=quota${peers}`)
  await expect(page.locator('#status')).toHaveText('ready', { timeout: 20_000 })
  if (peer != null) await expect.poll(async () => (await page.evaluate(async () => await window.kiln!.status())).network?.peers.length ?? 0, { timeout: 20_000 }).toBeGreaterThan(0)
}

async function withSmallDisk (task: (chrome: OwnChromium, page: Page) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'kiln-quota-'))
  const profile = join(root, 'profile')
  mkdirSync(profile)
  const chrome = await launchOwnChromium(profile, { diskBytes: DISK })
  try {
    const page = await chrome.context.newPage()
    await openApp(page)
    await task(chrome, page)
  } finally {
    await chrome.kill()
    rmSync(root, { recursive: true, force: true })
  }
}

// Once a fixme (CI saw an untyped DOMException among the refusals, and Chromium's close as the first
// refusal). Writes that hung around Chromium's close (2 of 14 runs in session 15) are refused since
// the store refuses every call in flight when the connection is terminated: no hang in 14 runs
// after. An untyped AbortError (a transaction aborted before the close event said why) was seen once
// in 8 runs in session 16; the store now waits for the close's reason.
test('a full disk refuses writes typed (ERR_STORE_FULL, then ERR_STORE_CLOSED once Chromium closes the database), none hangs, and nothing read back is wrong', async () => {
  test.setTimeout(120_000)
  await withSmallDisk(async (_chrome, page) => {
    const full = await fillDisk(page)
    console.log(`quota: ${full.acked} documents and ${full.updates} updates acknowledged before the ${DISK / 2 ** 20} MiB disk was full; ` +
      `writes refused with ${full.kinds.join(', ')} (${full.hangs} hung 20 s; the browser said ${full.browserErrors.join(' | ')}); ${full.intact}/${full.expected} read back intact, ${full.wrong.length} wrong, reads refused with ${full.readRefusals.join(', ') || 'nothing'}; store closed: ${full.closed?.details?.reason as string ?? 'no'}`)
    expect(full.acked).toBeGreaterThan(10)
    expect(full.refusals.length).toBeGreaterThanOrEqual(10)
    // The first refusal says the disk is full (or that Chromium closed the database for it); any later one, that it is closed.
    expect(FIRST_REFUSALS).toContain(full.kinds[0])
    // No write hangs, and none is refused untyped.
    expect(full.hangs).toBe(0)
    expect(full.kinds.filter((k) => k !== 'ERR_STORE_FULL StoreFullError' && k !== 'ERR_STORE_CLOSED StoreClosedError')).toEqual([])
    expect(full.wrong).toEqual([])
    expect(full.readRefusals.filter((code) => code !== 'ERR_STORE_CLOSED')).toEqual([])
  })
})

/**
 * Fills the small disk through the worker, kills Chromium, grows the disk, starts Chromium again on
 * the same profile and reloads every acknowledged write (from the device, or from `peer` if given),
 * then writes anew. `unconfirmed` is the page's status().network.unconfirmed when Chromium was killed.
 */
async function fullDiskThenRestart (peer?: ServerPeer) {
  const root = mkdtempSync(join(tmpdir(), 'kiln-quota-'))
  const disk = join(root, 'disk')
  mkdirSync(disk)
  // On the host's mount namespace (not the browser's own), so the profile outlives the browser.
  const small = mountSmallDisk(disk, DISK)
  const profile = join(disk, 'profile')
  const launch = async (): Promise<{ chrome: OwnChromium, page: Page }> => {
    const chrome = await launchOwnChromium(profile, { diskCacheDir: join(root, 'cache') })
    const page = await chrome.context.newPage()
    await openApp(page, peer)
    return { chrome, page }
  }
  let chrome: OwnChromium | undefined
  try {
    const first = await launch()
    chrome = first.chrome
    const full = await fillDisk(first.page)
    // What the page is told is on no peer yet (confirmed writes are asked about within a few seconds).
    const filledAt = Date.now()
    const unconfirmed = peer == null
      ? undefined
      : await expect.poll(async () => (await first.page.evaluate(async () => await window.kiln!.status())).network?.unconfirmed, { timeout: 30_000 }).toBe(0)
        .then(() => 0, async () => (await first.page.evaluate(async () => await window.kiln!.status())).network?.unconfirmed ?? -1)
    const confirmedMs = Date.now() - filledAt
    await chrome.kill()
    small.resize(LIFTED)
    const second = await launch()
    chrome = second.chrome
    const after = await second.page.evaluate(async (written) => {
      const kiln = window.kiln!
      const lost: string[] = []
      let refusedButStored = 0
      for (const { id, tip, content, unsure } of written) {
        const loaded = await kiln.load(id).then((s) => ({ tip: s.tip, content: JSON.stringify(s.content) }), (err: { code?: string }) => ({ tip: err.code ?? 'untyped', content: '' }))
        if (loaded.tip === tip && loaded.content === JSON.stringify(content)) continue
        // A refused update may have been stored even so (its transaction committed as the connection closed).
        if (unsure.some((c) => JSON.stringify(c) === loaded.content)) { refusedButStored++; continue }
        lost.push(`#${content.n} ${id}: acknowledged tip ${tip}, loaded ${loaded.tip}`)
      }
      // Told, not asserted: the device's signing key is in IndexedDB too, so where Chromium deleted it
      // this device writes as a new did:key, and the earlier documents (the old key's) refuse its updates.
      const earlier = written.at(-1)
      const earlierUpdate = earlier == null ? 'none' : await kiln.update(earlier.id, { content: { after: 'restart' } }).then(() => 'ok', (err: { code?: string }) => err.code ?? 'untyped')
      const created = await kiln.create({ content: { after: 'restart' } })
      const updated = await kiln.update(created.id, { content: { after: 'restart', again: true } })
      const reloaded = await kiln.load(created.id)
      return { lost, refusedButStored, earlierUpdate, newContent: reloaded.content, newTip: reloaded.tip, updatedTip: updated.tip }
    }, full.written)
    console.log(`quota restart${peer == null ? '' : ' with a server peer'}: ${full.acked} documents and ${full.updates} updates acknowledged before the ${DISK / 2 ** 20} MiB disk was full (refused with ${full.kinds.join(', ')}; the browser said ${full.browserErrors.join(' | ')}); ` +
      (unconfirmed == null ? '' : `${full.unconfirmedAtStop ?? '?'} documents on no peer yet when the writes stopped, ${unconfirmed} at the kill ${confirmedMs} ms after they were read back (status().network.unconfirmed); `) +
      `after a kill and the disk grown to ${LIFTED / 2 ** 20} MiB, ${full.written.length - after.lost.length}/${full.written.length} reload at their acknowledged tip and content, ` +
      `${after.lost.length} lost, ${after.refusedButStored} refused updates found stored; an update of an earlier document: ${after.earlierUpdate}; a new create and update: ${after.newTip === after.updatedTip ? 'ok' : 'wrong tip'}`)
    return { full, after, unconfirmed }
  } finally {
    await chrome?.kill()
    small.unmount()
    rmSync(root, { recursive: true, force: true })
  }
}

// Data loss, in Chromium (156): when LevelDB meets the full disk writing its log or a table file
// ("Connection is closing because of: IO error: …/000045.log (or 000054.ldb): FILE_ERROR_NO_SPACE"),
// Chromium closes the connection and deletes the origin's whole IndexedDB database while still
// running (the profile's IndexedDB directory is empty right after the kill), acknowledged writes and
// all. It did so in 16 of 18 runs; in the other two the database was not closed and all came back.
// Persistent storage (navigator.storage.persist() granted) does not prevent it, nor does refusing
// every write after the first full-disk refusal. The origin's OPFS files go with it (50 files written
// before the fill were gone after the restart; one written after the deletion was there), so a
// second copy on the device does not help, and a separate storage bucket could not be opened on
// this disk ("Too many buckets created"). KILN_QUOTA_RESTART=1 runs it.
test('after a full disk, Chromium killed and the disk grown, every acknowledged write reloads with its content and new writes succeed', async () => {
  test.fixme(process.env.KILN_QUOTA_RESTART !== '1', 'Chromium deletes the IndexedDB database after LevelDB meets a full disk (see above); KILN_QUOTA_RESTART=1 runs it')
  test.setTimeout(150_000)
  const { full, after } = await fullDiskThenRestart()
  expect(full.acked).toBeGreaterThan(10)
  expect(FIRST_REFUSALS).toContain(full.kinds[0])
  expect(after.lost).toEqual([])
  expect(after.newContent).toEqual({ after: 'restart', again: true })
  expect(after.newTip).toBe(after.updatedTip)
})

// What protects a user from that deletion: a peer holding the writes, and status() saying which
// are not on one yet. With a server peer, every acknowledged write reaches it and is confirmed
// (unconfirmed 0) before the kill, and after the restart each reloads, from the device or the peer.
test('with a server peer, every write status() says a peer holds survives the full disk and the restart', async () => {
  test.setTimeout(180_000)
  const { full, after, unconfirmed } = await fullDiskThenRestart(server.peer)
  expect(full.acked).toBeGreaterThan(10)
  expect(FIRST_REFUSALS).toContain(full.kinds[0])
  expect(unconfirmed).toBe(0)
  expect(after.lost).toEqual([])
  expect(after.newContent).toEqual({ after: 'restart', again: true })
  expect(after.newTip).toBe(after.updatedTip)
})

// Chromium 156 closes the IndexedDB connection after LevelDB meets ENOSPC ("Connection is closing
// because of: IO error: …: FILE_ERROR_NO_SPACE"), so the node's store is closed until the worker
// restarts: reads of documents not in its cache are refused and writes stay refused after space
// returns. Reopening the database in place was tried: it then lacked one of 247 acknowledged
// documents (StreamNotFound), so the store must not write near a full disk rather than recover.
// And it cannot see one coming: navigator.storage.estimate() on this 40 MiB disk reports a quota
// of usage + 1 GiB whatever the free space (session 16), while LevelDB's compactions briefly double
// the usage. That no write hangs is asserted by the typed-refusal test above.
test.fixme('once a full disk has room again writes succeed and every acknowledged write reads back, without restarting the worker', async () => {
  await withSmallDisk(async (chrome, page) => {
    const full = await fillDisk(page)
    chrome.resizeDisk(LIFTED)
    const after = await page.evaluate(async () => {
      const kiln = window.kiln!
      const created = await kiln.create({ content: { after: 'lifted' } })
      const updated = await kiln.update(created.id, { content: { after: 'lifted', again: true } })
      return { content: (await kiln.load(created.id)).content, tip: updated.tip, loadedTip: (await kiln.load(created.id)).tip }
    })
    expect(full.intact).toBe(full.expected)
    expect(after.content).toEqual({ after: 'lifted', again: true })
    expect(after.loadedTip).toBe(after.tip)
  })
})
