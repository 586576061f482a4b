/**
 * Files across devices: device A adds an image and sets it as its profile's avatar; device B (its
 * own browser profile, another IndexedDB) syncs the profile through the server peer, reads the
 * image by its CID and shows it. And a 20 MB file makes the same trip, byte for byte.
 */
import { expect, test, type Page } from '@playwright/test'
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
