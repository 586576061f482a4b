import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unixfs } from '@helia/unixfs'
import { MemoryBlockstore } from 'blockstore-core'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, describe, expect, it } from 'vitest'
import { openDiskBlocks } from '../../src/files/disk-blocks.js'
import { collect, createFileBlockstore } from '../../src/files/file-blockstore.js'
import { createFileStore, type FileProgress } from '../../src/files/file-store.js'

const MiB = 1024 * 1024

/** Bytes that differ everywhere, so every 1 MiB chunk is its own block. */
function bytesOf (length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed
  for (let i = 0; i < length; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = x >>> 24 }
  return out
}

async function readAll (chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const c of chunks) parts.push(c)
  return new Uint8Array(Buffer.concat(parts))
}

async function keys (store: MemoryBlockstore): Promise<string[]> {
  const out: string[] = []
  for await (const { cid } of store.getAll()) out.push(cid.toString())
  return out.sort()
}

function memoryFiles (init: { quotaBytes?: number, maxFileBytes?: number } = {}) {
  const store = new MemoryBlockstore()
  const files = createFileStore({ blocks: createFileBlockstore({ store, quotaBytes: init.quotaBytes }), maxFileBytes: init.maxFileBytes })
  return { store, files }
}

describe('files: add and read (UnixFS)', () => {
  it('a 3 MB file reads back byte for byte, under the CID helia computes with its defaults', async () => {
    const { files } = memoryFiles()
    const bytes = bytesOf(3 * MiB + 17)
    const added = await files.add(bytes)
    expect(added.size).toBe(bytes.length)
    // helia's own UnixFS with its defaults, on its own store (typed for helia 7's blockstore interface).
    const helias = await unixfs({ blockstore: new MemoryBlockstore() as unknown as Parameters<typeof unixfs>[0]['blockstore'] }).addBytes(bytes)
    expect(added.cid).toBe(helias.toString())
    expect(added.cid).toMatch(/^bafy/) // CIDv1, dag-pb root over raw leaves
    expect(Buffer.from(await readAll(files.read(added.cid))).equals(Buffer.from(bytes))).toBe(true)
    expect(await files.stat(added.cid)).toEqual(added)
  })

  it('a small file is one raw block: its CID is the sha2-256 of its bytes', async () => {
    const { files } = memoryFiles()
    const bytes = new TextEncoder().encode('hello kiln\n')
    const expected = CID.createV1(raw.code, await sha256.digest(bytes))
    expect(await files.add(bytes)).toEqual({ cid: expected.toString(), size: bytes.length })
  })

  it('a stream of chunks gives the same file as the bytes, and progress counts up to the size', async () => {
    const { files } = memoryFiles()
    const bytes = bytesOf(2 * MiB + 5)
    async function * pieces (): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bytes.length; i += 300_000) yield bytes.subarray(i, i + 300_000)
    }
    const adds: FileProgress[] = []
    const added = await files.add(pieces(), { size: bytes.length, onProgress: (p) => adds.push(p) })
    expect(added).toEqual(await memoryFiles().files.add(bytes))
    expect(adds.at(-1)).toEqual({ bytes: bytes.length, total: bytes.length })
    const reads: FileProgress[] = []
    await readAll(files.read(added.cid, { onProgress: (p) => reads.push(p) }))
    expect(reads[0]).toEqual({ bytes: 0, total: bytes.length })
    expect(reads.at(-1)).toEqual({ bytes: bytes.length, total: bytes.length })
  })
})

describe('files: refusals leave nothing behind', () => {
  it('a file over the size limit is ERR_FILE_TOO_LARGE and no block of it is stored', async () => {
    const { store, files } = memoryFiles({ maxFileBytes: 2 * MiB })
    await expect(files.add(bytesOf(2 * MiB + 1))).rejects.toMatchObject({ code: 'ERR_FILE_TOO_LARGE' })
    expect(await keys(store)).toEqual([])
    // Exactly at the limit is allowed.
    await expect(files.add(bytesOf(2 * MiB))).resolves.toMatchObject({ size: 2 * MiB })
  })

  it('a source longer than its announced size is refused', async () => {
    const { store, files } = memoryFiles()
    await expect(files.add(bytesOf(1000), { size: 999 })).rejects.toMatchObject({ code: 'ERR_FILE_TOO_LARGE' })
    expect(await keys(store)).toEqual([])
  })

  it('a file past the quota is ERR_STORE_FULL, stores nothing, and what was stored before stays readable', async () => {
    const { store, files } = memoryFiles({ quotaBytes: 3 * MiB })
    const first = await files.add(bytesOf(2 * MiB, 7))
    const before = await keys(store)
    await expect(files.add(bytesOf(2 * MiB, 8))).rejects.toMatchObject({ code: 'ERR_STORE_FULL' })
    expect(await keys(store)).toEqual(before)
    expect((await readAll(files.read(first.cid))).length).toBe(2 * MiB)
    // The same file again needs no room: its blocks are held.
    await expect(files.add(bytesOf(2 * MiB, 7))).resolves.toEqual(first)
  })

  it('a write that fails half-way (disk full) removes the blocks it wrote', async () => {
    const store = new MemoryBlockstore()
    let puts = 0
    const failing = Object.assign(Object.create(store) as MemoryBlockstore, {
      put: async (...args: Parameters<MemoryBlockstore['put']>) => {
        if (++puts === 3) throw new Error('IO error: blocks/000012.log: No space left on device')
        return await store.put(...args)
      }
    })
    const files = createFileStore({
      blocks: createFileBlockstore({ store: failing, toKilnError: (err) => Object.assign(new Error('full'), { code: 'ERR_STORE_FULL', cause: err }) })
    })
    await expect(files.add(bytesOf(4 * MiB))).rejects.toMatchObject({ code: 'ERR_STORE_FULL' })
    expect(puts).toBe(3)
    expect(await keys(store)).toEqual([])
  })
})

describe('files: reads are verified', () => {
  it('a damaged block is ERR_STORE_CORRUPT, never returned', async () => {
    const { store, files } = memoryFiles()
    const added = await files.add(bytesOf(3 * MiB))
    const [leaf] = (await keys(store)).filter((k) => k.startsWith('bafk'))
    const damaged = new Uint8Array(await collect(store.get(CID.parse(leaf))))
    damaged[100] ^= 0xff
    await store.put(CID.parse(leaf), damaged)
    await expect(readAll(files.read(added.cid))).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT' })
  })

  it('a file this node does not hold, with no network, is ERR_BLOCK_NOT_FOUND', async () => {
    const { files } = memoryFiles()
    const elsewhere = await memoryFiles().files.add(bytesOf(100))
    await expect(readAll(files.read(elsewhere.cid))).rejects.toMatchObject({ code: 'ERR_BLOCK_NOT_FOUND' })
    expect(await files.has(elsewhere.cid)).toBe(false)
  })

  it('a CID that does not parse is ERR_INVALID_ID', async () => {
    const { files } = memoryFiles()
    await expect(files.stat('not-a-cid')).rejects.toMatchObject({ code: 'ERR_INVALID_ID' })
  })
})

describe('files on disk (blockstore-level)', () => {
  const dirs: string[] = []
  afterEach(async () => { for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true }) })

  it('a file survives closing and reopening the store, and the quota counts what was there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kiln-files-'))
    dirs.push(dir)
    const bytes = bytesOf(MiB + 3)
    const first = await openDiskBlocks({ path: join(dir, 'files') })
    const added = await createFileStore({ blocks: first.blocks }).add(bytes)
    await first.close()
    const again = await openDiskBlocks({ path: join(dir, 'files'), quotaBytes: MiB + 100 })
    try {
      const files = createFileStore({ blocks: again.blocks })
      expect(Buffer.from(await readAll(files.read(added.cid))).equals(Buffer.from(bytes))).toBe(true)
      await expect(files.add(bytesOf(200, 9))).rejects.toMatchObject({ code: 'ERR_STORE_FULL' })
    } finally {
      await again.close()
    }
  })
})
