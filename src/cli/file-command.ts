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
import { FILES_DIR } from '../files/constants.js'
import { openDiskBlocks } from '../files/disk-blocks.js'
import { createFileStore, type FileInfo } from '../files/file-store.js'

export const FILE_USAGE = `  file add <path>                         store a file (UnixFS, CIDv1); prints { cid, size }
  file get <cid> [--out file]             the file's bytes, verified (stdout by default)`

/** Runs one `file` subcommand; returns what to print as JSON, or undefined when the bytes went to stdout. */
export async function runFile (dir: string, args: string[], out: string | undefined): Promise<FileInfo | (FileInfo & { out: string }) | undefined> {
  const [sub, target] = args
  if ((sub !== 'add' && sub !== 'get') || target == null || target === '') {
    throw new InvalidInputError(`Usage:\n${FILE_USAGE}`)
  }
  const disk = await openDiskBlocks({ path: join(dir, FILES_DIR) })
  try {
    const files = createFileStore({ blocks: disk.blocks })
    if (sub === 'add') {
      const size = await fileSize(target)
      return await files.add(createReadStream(target), { size })
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
