import { deleteDB } from 'idb'
import { afterAll, describe, expect, it } from 'vitest'
import { filesDatabase, openIdbBlocks } from '../../src/files/idb-blocks.js'
import { createFileStore } from '../../src/files/file-store.js'
import { fileGcConformance } from '../conformance/file-gc.js'

const MiB = 1024 * 1024
const names: string[] = []
afterAll(async () => { await Promise.all(names.map(async (n) => { await deleteDB(filesDatabase(n)) })) })

function bytesOf (length: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length)
  let x = seed
  for (let i = 0; i < length; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = x >>> 24 }
  return out
}

describe('files in IndexedDB (blockstore-idb, Chromium)', () => {
  it('a 20 MB file round trips through IndexedDB, survives reopening, and reports its throughput', async () => {
    const name = `files-${Date.now()}`
    names.push(name)
    const bytes = bytesOf(20 * MiB)
    const first = await openIdbBlocks(name)
    const t0 = performance.now()
    const added = await createFileStore({ blocks: first.blocks }).add(bytes)
    const addMs = performance.now() - t0
    await first.close()
    const again = await openIdbBlocks(name)
    const t1 = performance.now()
    const parts: Uint8Array<ArrayBuffer>[] = []
    for await (const chunk of createFileStore({ blocks: again.blocks }).read(added.cid)) parts.push(new Uint8Array(chunk))
    const readMs = performance.now() - t1
    const back = new Uint8Array(await new Blob(parts).arrayBuffer())
    await again.close()
    expect(added.size).toBe(bytes.length)
    expect(back.length).toBe(bytes.length)
    expect(back.every((b, i) => b === bytes[i])).toBe(true)
    console.log(`idb files: add ${(20 / (addMs / 1000)).toFixed(1)} MB/s, read ${(20 / (readMs / 1000)).toFixed(1)} MB/s`)
  }, 120_000)

  it('a file past the quota is ERR_STORE_FULL and nothing of it is kept', async () => {
    const name = `files-quota-${Date.now()}`
    names.push(name)
    const { blocks, close } = await openIdbBlocks(name, 2 * MiB)
    try {
      const files = createFileStore({ blocks })
      await expect(files.add(bytesOf(3 * MiB))).rejects.toMatchObject({ code: 'ERR_STORE_FULL' })
      expect(await blocks.usedBytes()).toBe(0)
      await expect(files.add(bytesOf(MiB))).resolves.toMatchObject({ size: MiB })
    } finally {
      await close()
    }
  })
})

fileGcConformance('IndexedDB', {
  persistent: true,
  open: async (name, now) => {
    if (!names.includes(name)) names.push(name)
    return await openIdbBlocks(name, undefined, now)
  }
})
