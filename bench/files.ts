/**
 * Files in Node on disk: add and read 1, 20 and 100 MiB through Kiln's file store (UnixFS in
 * blockstore-level behind the verifying, quota-keeping blockstore; all-or-nothing adds) and through
 * @helia/unixfs on blockstore-level with its defaults, the same chunking (1 MiB, raw leaves, CIDv1):
 * both give the same CID. MB/s are MiB of file per second. Run: npm run bench
 * (`BENCH_FILE_SIZES=1,20` changes the sizes, in MiB; each figure is the median of `BENCH_FILE_RUNS`,
 * 3 by default, each run in a fresh store, kiln and helia taking turns).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unixfs } from '@helia/unixfs'
import { LevelBlockstore } from 'blockstore-level'
import { openDiskBlocks } from '../src/files/disk-blocks.js'
import { createFileStore } from '../src/files/file-store.js'

const MiB = 1024 * 1024
const sizes = (process.env.BENCH_FILE_SIZES ?? '1,20,100').split(',').map(Number)
const runs = Number(process.env.BENCH_FILE_RUNS ?? 3)
const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-files-'))

/** Bytes that differ everywhere (no two chunks alike), fed in 64 KiB pieces as a file stream is. */
function fileBytes (length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed
  for (let i = 0; i < length; i += 4) { x = (x * 1103515245 + 12345) >>> 0; out[i] = x >>> 24; out[i + 1] = x >>> 16; out[i + 2] = x >>> 8; out[i + 3] = x }
  return out
}
function * pieces (bytes: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += 64 * 1024) yield bytes.subarray(at, at + 64 * 1024)
}

interface Figures { addMBs: number, readMBs: number, cid: string }

async function timed<T> (task: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now()
  const out = await task()
  return [out, (performance.now() - t) / 1000]
}

async function kiln (bytes: Uint8Array, path: string): Promise<Figures> {
  const disk = await openDiskBlocks({ path })
  try {
    const files = createFileStore({ blocks: disk.blocks, maxFileBytes: bytes.length })
    const [added, addS] = await timed(async () => await files.add(pieces(bytes), { size: bytes.length }))
    const [read, readS] = await timed(async () => { let n = 0; for await (const chunk of files.read(added.cid)) n += chunk.byteLength; return n })
    if (read !== bytes.length) throw new Error(`kiln read ${read} bytes of ${bytes.length}`)
    return { addMBs: bytes.length / MiB / addS, readMBs: bytes.length / MiB / readS, cid: added.cid }
  } finally {
    await disk.close()
  }
}

async function helia (bytes: Uint8Array, path: string): Promise<Figures> {
  const store = new LevelBlockstore(path)
  await store.open()
  try {
    // @helia/unixfs is typed against a newer interface-blockstore than blockstore-level's; the same methods at runtime.
    const fs = unixfs({ blockstore: store as unknown as Parameters<typeof unixfs>[0]['blockstore'] })
    const [cid, addS] = await timed(async () => await fs.addByteStream(pieces(bytes)))
    const [read, readS] = await timed(async () => { let n = 0; for await (const chunk of fs.cat(cid)) n += chunk.byteLength; return n })
    if (read !== bytes.length) throw new Error(`helia read ${read} bytes of ${bytes.length}`)
    return { addMBs: bytes.length / MiB / addS, readMBs: bytes.length / MiB / readS, cid: cid.toString() }
  } finally {
    await store.close()
  }
}

// One small round each first, unprinted: the first add of a process also pays for loading and compiling.
await kiln(fileBytes(MiB, 99), join(dir, 'warm-kiln'))
await helia(fileBytes(MiB, 99), join(dir, 'warm-helia'))

const rows: string[] = []
for (const [i, size] of sizes.entries()) {
  const bytes = fileBytes(size * MiB, i + 1)
  const ourRuns: Figures[] = []
  const theirRuns: Figures[] = []
  for (let run = 0; run < runs; run++) {
    ourRuns.push(await kiln(bytes, join(dir, `kiln-${size}-${run}`)))
    theirRuns.push(await helia(bytes, join(dir, `helia-${size}-${run}`)))
    rmSync(join(dir, `kiln-${size}-${run}`), { recursive: true, force: true })
    rmSync(join(dir, `helia-${size}-${run}`), { recursive: true, force: true })
  }
  const ours = median(ourRuns)
  const theirs = median(theirRuns)
  if (ours.cid !== theirs.cid) throw new Error(`different CIDs for ${size} MiB: kiln ${ours.cid}, helia ${theirs.cid}`)
  rows.push(`  ${`${size} MiB`.padEnd(12)} ${fmt(ours.addMBs)} ${fmt(theirs.addMBs)} ${ratio(ours.addMBs, theirs.addMBs)}       ${fmt(ours.readMBs)} ${fmt(theirs.readMBs)} ${ratio(ours.readMBs, theirs.readMBs)}`)
}
rmSync(dir, { recursive: true, force: true })

console.log(`\nNode ${process.version}, files on disk (blockstore-level), MB/s (MiB of file per second), median of ${runs}; same CIDs both sides`)
console.log('               add:  kiln    helia kiln/helia   read:  kiln    helia kiln/helia')
for (const row of rows) console.log(row)

function median (figures: Figures[]): Figures {
  const middle = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]
  return { addMBs: middle(figures.map((f) => f.addMBs)), readMBs: middle(figures.map((f) => f.readMBs)), cid: figures[0].cid }
}

function fmt (n: number): string { return n.toFixed(1).padStart(8) }
function ratio (a: number, b: number): string { return `${(a / b).toFixed(2)}x`.padStart(10) }
