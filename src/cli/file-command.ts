/**
 * `kiln file add <path>` and `kiln file get <cid> [--out file]`: the node's files in the data dir
 * (`<dir>/files`), without starting the network. A file this node does not hold is
 * ERR_BLOCK_NOT_FOUND here; `kiln serve` fetches missing files from its peers.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { InvalidInputError } from '../errors.js'
import type { GarbageCollected } from '../api/types.js'
import { DEFAULT_GC_GRACE_MS, FILES_DIR } from '../files/constants.js'
import { openDiskBlocks } from '../files/disk-blocks.js'
import { allRoots, documentFileRoots } from '../files/file-roots.js'
import { PINS_FILE, filePins } from '../files/file-pins.js'
import { createFileStore, type FileInfo } from '../files/file-store.js'
import type { StreamNode } from '../node/stream-node.js'
import { parseDuration } from '../server/serve-units.js'

export const FILE_USAGE = `  file add <path>                         store and pin a file (UnixFS, CIDv1); prints { cid, size }
  file get <cid> [--out file]             the file's bytes, verified (stdout by default)
  file unpin <cid>                        let garbage collection remove the file unless a document names it
  file gc [--gc-grace 1h]                 remove file blocks neither pinned nor named by a held document (any version),
                                          older than the grace; prints { removed, kept, bytesFreed } (not while kiln
                                          serve runs: serve collects on its own, see --gc-interval)`

/** `kiln file gc`: one garbage collection of the data dir's files against the documents `node` holds. */
export async function collectFileGarbage (node: StreamNode, dir: string, grace: string | undefined): Promise<GarbageCollected> {
  const graceMs = grace == null ? DEFAULT_GC_GRACE_MS : parseDuration(grace, '--gc-grace')
  const disk = await openDiskBlocks({ path: join(dir, FILES_DIR) })
  try {
    const roots = allRoots(documentFileRoots(node), filePins(join(dir, PINS_FILE)).roots)
    return await createFileStore({ blocks: disk.blocks }).collectGarbage(roots, { graceMs })
  } finally {
    await disk.close()
  }
}

/** Runs one `file` subcommand; returns what to print as JSON, or undefined when the bytes went to stdout. */
export async function runFile (dir: string, args: string[], out: string | undefined): Promise<FileInfo | (FileInfo & { out: string }) | { cid: string, unpinned: boolean } | undefined> {
  const [sub, target] = args
  if ((sub !== 'add' && sub !== 'get' && sub !== 'unpin') || target == null || target === '') {
    throw new InvalidInputError(`Usage:\n${FILE_USAGE}`)
  }
  const pins = filePins(join(dir, PINS_FILE))
  if (sub === 'unpin') return { cid: target, unpinned: await pins.unpin(target) }
  const disk = await openDiskBlocks({ path: join(dir, FILES_DIR) })
  try {
    const files = createFileStore({ blocks: disk.blocks })
    if (sub === 'add') {
      const size = await fileSize(target)
      const added = await files.add(createReadStream(target), { size })
      await pins.pin(added.cid)
      return added
    }
    const info = await files.stat(target)
    const bytes = Readable.from(files.read(target))
    if (out == null) {
      await pipeline(bytes, process.stdout, { end: false })
      return undefined
    }
    try {
      await pipeline(bytes, createWriteStream(out))
    } catch (err) {
      // A damaged or missing block half-way: no partial file is left under the name asked for.
      await rm(out, { force: true })
      throw err
    }
    return { ...info, out }
  } finally {
    await disk.close()
  }
}

async function fileSize (path: string): Promise<number> {
  try {
    const s = await stat(path)
    if (!s.isFile()) throw new InvalidInputError(`${path} is not a file`)
    return s.size
  } catch (err) {
    if (err instanceof InvalidInputError) throw err
    throw new InvalidInputError(`Cannot read ${path}: ${(err as Error).message}`, undefined, { cause: err })
  }
}
