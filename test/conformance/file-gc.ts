import { describe, expect, it } from 'vitest'
import { fileUri } from '../../src/files/file-refs.js'
import type { FileBlockstore } from '../../src/files/file-blockstore.js'
import { documentFileRoots, type FileRoots } from '../../src/files/file-roots.js'
import { createFileStore, type FileStore } from '../../src/files/file-store.js'
import { createDidKeySigner } from '../../src/identity/signer.js'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'

/** How a blockstore plugs into the suite: opened (or reopened, same name) with the test's clock. */
export interface GcHarness {
  open: (name: string, now: () => number) => Promise<{ blocks: FileBlockstore, close: () => Promise<void> }>
  /** True when blocks survive close + reopen (disk, IndexedDB). */
  persistent: boolean
}

const MiB = 1024 * 1024
const GRACE = 60_000
let counter = 0

/** Bytes that differ by seed; `same` leading bytes shared with any other call of the same `same`. */
function bytesOf (length: number, seed: number, same = 0): Uint8Array {
  const out = new Uint8Array(length)
  let x = 7
  for (let i = 0; i < length; i++) {
    if (i === same) x = seed
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

async function readAll (files: FileStore, cid: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const part of files.read(cid)) parts.push(part)
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const part of parts) { out.set(part, at); at += part.byteLength }
  return out
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])

async function countBlocks (blocks: FileBlockstore): Promise<number> {
  let n = 0
  for await (const _ of blocks.getAll()) n++
  return n
}

/** The garbage collection suite, run on every file blockstore (memory, disk, IndexedDB). */
export function fileGcConformance (label: string, harness: GcHarness): void {
  describe(`file garbage collection (${label})`, () => {
    async function setup (): Promise<{ node: StreamNode, files: FileStore, blocks: FileBlockstore, clock: { t: number }, gc: (roots?: FileRoots) => ReturnType<FileStore['collectGarbage']>, close: () => Promise<void>, name: string }> {
      const clock = { t: 1_000_000 }
      const now = (): number => clock.t
      const name = `gc-${label}-${Date.now()}-${counter++}`
      const { blocks, close } = await harness.open(name, now)
      const node = createStreamNode({ store: createMemoryStore(), signer: await createDidKeySigner(new Uint8Array(32).fill(7)) })
      const files = createFileStore({ blocks })
      const gc = async (roots = documentFileRoots(node)): ReturnType<FileStore['collectGarbage']> => await files.collectGarbage(roots, { graceMs: GRACE, now })
      return { node, files, blocks, clock, gc, name, close: async () => { await node.close(); await close() } }
    }

    it('keeps a file a document names, removes an unnamed one only once it is older than the grace period', async () => {
      const { node, files, blocks, clock, gc, close } = await setup()
      try {
        const named = bytesOf(2 * MiB + 100, 1)
        const unnamed = bytesOf(2 * MiB + 100, 2)
        const kept = await files.add(named)
        const dropped = await files.add(unnamed)
        await node.create({ content: { title: 'post', image: { src: fileUri(kept.cid) } } })
        const all = await countBlocks(blocks)
        expect(all).toBe(8)

        clock.t += GRACE - 1
        expect(await gc()).toEqual({ removed: 0, kept: 8, bytesFreed: 0 })
        expect(await files.has(dropped.cid)).toBe(true)

        clock.t += 2
        const done = await gc()
        expect(done.removed).toBe(4)
        expect(done.kept).toBe(4)
        expect(done.bytesFreed).toBeGreaterThanOrEqual(unnamed.length)
        expect(await files.has(dropped.cid)).toBe(false)
        expect(sameBytes(await readAll(files, kept.cid), named)).toBe(true)
        expect(await blocks.usedBytes()).toBeLessThan(named.length + 1000)
      } finally { await close() }
    })

    it('keeps a file only an older version named, and lets it go once its stream is forgotten', async () => {
      const { node, files, clock, gc, close } = await setup()
      try {
        const first = await files.add(bytesOf(300_000, 3))
        const second = await files.add(bytesOf(300_000, 4))
        const post = await node.create({ content: { image: fileUri(first.cid) } })
        await node.update(post.id, { content: { image: fileUri(second.cid) } })
        clock.t += GRACE + 1
        expect((await gc()).removed).toBe(0)
        expect(await files.has(first.cid)).toBe(true)

        expect(await node.forget(post.id)).toBe(true)
        expect(await gc()).toMatchObject({ removed: 2, kept: 0 })
        expect(await files.has(first.cid)).toBe(false)
        expect(await files.has(second.cid)).toBe(false)
      } finally { await close() }
    })

    it('a shared block: removing one file leaves the other whole', async () => {
      const { node, files, blocks, clock, gc, close } = await setup()
      try {
        // Same first MiB (one raw leaf both files hold), different rest.
        const a = bytesOf(2 * MiB, 5, MiB)
        const b = bytesOf(2 * MiB, 6, MiB)
        expect(sameBytes(a.subarray(0, MiB), b.subarray(0, MiB))).toBe(true)
        const fileA = await files.add(a)
        const fileB = await files.add(b)
        expect(await countBlocks(blocks)).toBe(5)
        await node.create({ content: { keep: fileUri(fileB.cid) } })
        clock.t += GRACE + 1
        expect(await gc()).toMatchObject({ removed: 2, kept: 3 })
        expect(await files.has(fileA.cid)).toBe(false)
        expect(sameBytes(await readAll(files, fileB.cid), b)).toBe(true)
      } finally { await close() }
    })

    it('a file added while collection runs is kept, and so is an old file a document names meanwhile', async () => {
      const { node, files, clock, gc, close } = await setup()
      try {
        const old = await files.add(bytesOf(400_000, 7))
        const again = bytesOf(400_000, 8)
        const reused = await files.add(again)
        clock.t += GRACE + 1
        const documents = documentFileRoots(node)
        let added: Awaited<ReturnType<FileStore['add']>> | undefined
        // Collection pauses between listing the blocks and removing any: an add and a write land then.
        const roots: FileRoots = {
          async * all () {
            added = await files.add(bytesOf(400_000, 9))
            expect((await files.add(again)).cid).toBe(reused.cid)
            await node.create({ content: { image: fileUri(old.cid) } })
            yield * documents.all()
          },
          watch: documents.watch
        }
        expect(await gc(roots)).toMatchObject({ removed: 0 })
        expect(await files.has(old.cid)).toBe(true)
        expect(await files.has(reused.cid)).toBe(true)
        expect(await files.has(added?.cid ?? '')).toBe(true)
      } finally { await close() }
    })

    it('a document written while blocks are being removed keeps its file', async () => {
      const { node, files, clock, gc, close } = await setup()
      try {
        const first = await files.add(bytesOf(400_000, 10))
        const late = await files.add(bytesOf(400_000, 11))
        clock.t += GRACE + 1
        const documents = documentFileRoots(node)
        const roots: FileRoots = {
          async * all () {
            yield * documents.all()
            // Written after every document was read, before the first removal: only `watch` hears of it.
            await node.create({ content: { image: fileUri(late.cid) } })
          },
          watch: documents.watch
        }
        const done = await gc(roots)
        expect(done.removed).toBe(1)
        expect(await files.has(first.cid)).toBe(false)
        expect(await files.has(late.cid)).toBe(true)
      } finally { await close() }
    })

    if (harness.persistent) {
      it('blocks found on reopening count as written then: nothing goes before a grace period has passed', async () => {
        const { files, clock, close, name } = await setup()
        const file = await files.add(bytesOf(300_000, 12))
        await close()
        clock.t += 10 * GRACE
        const now = (): number => clock.t
        const { blocks, close: closeAgain } = await harness.open(name, now)
        try {
          const reopened = createFileStore({ blocks })
          const none: FileRoots = { all: async function * () {} }
          expect(await reopened.collectGarbage(none, { graceMs: GRACE, now })).toMatchObject({ removed: 0, kept: 1 })
          clock.t += GRACE + 1
          expect(await reopened.collectGarbage(none, { graceMs: GRACE, now })).toMatchObject({ removed: 1, kept: 0 })
          expect(await reopened.has(file.cid)).toBe(false)
        } finally { await closeAgain() }
      })
    }

    it('a grace that is not a number of ms ≥ 0 is ERR_INVALID_INPUT and removes nothing', async () => {
      const { files, blocks, gc: _, close, node } = await setup()
      try {
        await files.add(bytesOf(1000, 13))
        for (const graceMs of [-1, Number.NaN, '1h' as unknown as number]) {
          await expect(files.collectGarbage(documentFileRoots(node), { graceMs })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
        }
        expect(await countBlocks(blocks)).toBe(1)
      } finally { await close() }
    })
  })
}
