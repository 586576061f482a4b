/**
 * Files across devices: device A adds an image and sets it as its profile's avatar; device B (its
 * own browser profile, another IndexedDB) syncs the profile through the server peer, reads the
 * image by its CID and shows it. And a 20 MB file makes the same trip, byte for byte. And the
 * demo does it for a user: an avatar and a note's image, each with a progress bar.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { saveNewNote } from './fixtures/demo-pages.js'
import { browserProfile, openAppWithPeer, serverPeerForTests } from './fixtures/server-peer.js'

const servers = serverPeerForTests()

/** An image drawn in the page: a PNG of `width`×`height`, as a user's photo would be. */
async function addImage (page: Page, width: number, height: number): Promise<{ cid: string, size: number, progress: number[] }> {
  return await page.evaluate(async ([w, h]) => {
    const canvas = new OffscreenCanvas(w, h)
    const ctx = canvas.getContext('2d')!
    for (let x = 0; x < w; x += 8) { ctx.fillStyle = `hsl(${x % 360} 80% 50%)`; ctx.fillRect(x, 0, 8, h) }
    const blob = await canvas.convertToBlob({ type: 'image/png' })
    const progress: number[] = []
    const added = await window.kiln!.addFile(blob, { onProgress: ({ bytes }) => { progress.push(bytes) } })
    return { ...added, progress }
  }, [width, height])
}

test('an avatar added on device A shows on device B, through the server peer', async () => {
  test.setTimeout(60_000)
  const deviceA = await browserProfile()
  const deviceB = await browserProfile()
  try {
    const a = await openAppWithPeer(deviceA, 'files-a', servers.peer)
    const image = await addImage(a, 640, 480)
    expect(image.cid).toMatch(/^baf/)
    expect(image.progress.at(-1)).toBe(image.size)
    const profile = await a.evaluate(async (cid) => await window.kiln!.create({
      content: { name: 'Alice', avatar: { src: `ipfs://${cid}`, mimeType: 'image/png' } }
    }), image.cid)

    const b = await openAppWithPeer(deviceB, 'files-b', servers.peer)
    const shown = await b.evaluate(async (id) => {
      // B has never seen the profile: load asks the server, then the avatar comes by its CID.
      const { content } = await window.kiln!.load(id) as { content: { avatar: { src: string } } }
      const cid = content.avatar.src.slice('ipfs://'.length)
      const progress: number[] = []
      const blob = await window.kiln!.readFile(cid, { onProgress: ({ bytes }) => { progress.push(bytes) } })
      const img = document.createElement('img')
      img.src = URL.createObjectURL(blob)
      document.body.append(img)
      await img.decode()
      return { width: img.naturalWidth, height: img.naturalHeight, bytes: blob.size, progress }
    }, profile.id)
    expect(shown).toMatchObject({ width: 640, height: 480, bytes: image.size })
    expect(shown.progress.at(-1)).toBe(image.size)
  } finally {
    await deviceA.close()
    await deviceB.close()
  }
})

test('a 20 MB file round trip: added on A, read on B through the server, the same SHA-256', async () => {
  test.setTimeout(90_000)
  const deviceA = await browserProfile()
  const deviceB = await browserProfile()
  try {
    const a = await openAppWithPeer(deviceA, 'big-a', servers.peer)
    const sent = await a.evaluate(async () => {
      const bytes = new Uint8Array(20 * 1024 * 1024)
      for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536))
      const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)))
      const t0 = performance.now()
      const { cid, size } = await window.kiln!.addFile(bytes)
      const addMs = performance.now() - t0
      const doc = await window.kiln!.create({ content: { title: 'big file', file: `ipfs://${cid}` } })
      return { cid, size, digest, addMs, id: doc.id }
    })
    expect(sent.size).toBe(20 * 1024 * 1024)
    // The server keeps the files of the documents it holds: wait until it has all of this one.
    await expect.poll(async () => await servers.peer.files.has(sent.cid), { timeout: 60_000 }).toBe(true)
    const b = await openAppWithPeer(deviceB, 'big-b', servers.peer)
    const got = await b.evaluate(async (cid) => {
      const t0 = performance.now()
      const blob = await window.kiln!.readFile(cid)
      const readMs = performance.now() - t0
      const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer())))
      return { size: blob.size, digest, readMs }
    }, sent.cid)
    expect(got.size).toBe(sent.size)
    expect(got.digest).toEqual(sent.digest)
    console.log(`20 MB: add on A ${(20 / (sent.addMs / 1000)).toFixed(1)} MB/s; read on B from the server ${(20 / (got.readMs / 1000)).toFixed(1)} MB/s`)
  } finally {
    await deviceA.close()
    await deviceB.close()
  }
})

/** A noisy PNG drawn in the page (a few MB, so adding and reading it take several progress steps). */
async function pngFile (page: Page, width: number, height: number): Promise<{ name: string, mimeType: string, buffer: Buffer }> {
  const base64 = await page.evaluate(async ([w, h]) => {
    const canvas = new OffscreenCanvas(w, h)
    const ctx = canvas.getContext('2d')!
    const pixels = ctx.createImageData(w, h)
    crypto.getRandomValues(pixels.data.subarray(0, 65536))
    for (let i = 65536; i < pixels.data.length; i += 65536) crypto.getRandomValues(pixels.data.subarray(i, i + 65536))
    for (let i = 3; i < pixels.data.length; i += 4) pixels.data[i] = 255
    ctx.putImageData(pixels, 0, 0)
    const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer())
    let text = ''
    for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192))
    return btoa(text)
  }, [width, height])
  return { name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from(base64, 'base64') }
}

/** The demo page (the built library) on `context`, syncing through the server peer. */
async function openDemo (context: BrowserContext): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`/?peers=${encodeURIComponent(servers.peer.addr)}`)
  await expect(page.locator('#status')).toContainText('1 peer', { timeout: 20_000 })
  return page
}

/** The progress bar ended full, after more than one step. */
async function expectFullProgress (page: Page, selector: string, size: number): Promise<void> {
  const bar = page.locator(selector)
  await expect(bar).toBeVisible()
  await expect(bar).toHaveAttribute('data-bytes', String(size))
  expect(await bar.evaluate((el: HTMLProgressElement) => ({ value: el.value, max: el.max }))).toEqual({ value: size, max: size })
  expect(Number(await bar.getAttribute('data-updates'))).toBeGreaterThan(1)
}

test('the demo: an avatar on A\'s profile and an image on A\'s note show on B, with progress bars', async () => {
  test.setTimeout(90_000)
  const deviceA = await browserProfile()
  const deviceB = await browserProfile()
  try {
    const a = await openDemo(deviceA)
    const avatar = await pngFile(a, 1200, 900)
    await a.locator('#avatar-input').setInputFiles(avatar)
    await expect(a.locator('#own-avatar img')).toBeVisible()
    await expectFullProgress(a, '#avatar-progress', avatar.buffer.length)
    const profileId = (await a.locator('#profile-link').textContent())!.replace('Your profile: ', '')

    const noteId = await saveNewNote(a, 'Holiday', 'the beach')
    const photo = await pngFile(a, 1000, 800)
    await a.locator('#note-image-input').setInputFiles(photo)
    await expect(a.locator('#note-image img')).toBeVisible()
    await expectFullProgress(a, '#note-image-progress', photo.buffer.length)
    // Saving the text again keeps the image.
    await a.getByLabel('Text').fill('the beach, at noon')
    await a.getByRole('button', { name: 'Save' }).click()
    await expect(a.locator('#message')).toHaveText('saved')
    await expect(a.locator('#note-image img')).toBeVisible()

    // B has neither document nor file: both come through the server peer.
    const b = await openDemo(deviceB)
    await b.locator('#profile-id').fill(profileId)
    await b.locator('#profile-open').getByRole('button', { name: 'Show profile' }).click()
    const shownAvatar = b.locator('#other-avatar img')
    await expect(shownAvatar).toBeVisible({ timeout: 30_000 })
    expect(await shownAvatar.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([1200, 900])
    await expectFullProgress(b, '#other-progress', avatar.buffer.length)

    await b.locator('#open-id').fill(noteId)
    await b.locator('#open-form').getByRole('button', { name: 'Open' }).click()
    await expect(b.getByLabel('Text')).toHaveValue('the beach, at noon', { timeout: 30_000 })
    const shownPhoto = b.locator('#note-image img')
    await expect(shownPhoto).toBeVisible({ timeout: 30_000 })
    expect(await shownPhoto.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([1000, 800])
    await expectFullProgress(b, '#note-image-progress', photo.buffer.length)
  } finally {
    await deviceA.close()
    await deviceB.close()
  }
})
