/**
 * Files kept for their own sake on a Node data dir: `kiln file add` pins what it adds, so a file
 * served at /ipfs/{cid} that no document names is not garbage. A JSON list of CIDs in one file,
 * replaced whole on each change (write to a temporary file, then rename); one process uses a data
 * dir at a time (the file store's LevelDB lock).
 */
import { readFile, rename, writeFile } from 'node:fs/promises'
import { CorruptStoreError } from '../errors.js'
import type { FileRoots } from './file-roots.js'
import { parseCid } from './file-store.js'

/** The pins' file in the data dir, next to `files/` and `store/`. */
export const PINS_FILE = 'file-pins.json'

export interface FilePins {
  list: () => Promise<string[]>
  /** Pins the file (its CID as CIDv1); pinning again changes nothing. */
  pin: (cid: string) => Promise<void>
  /** False when it was not pinned. */
  unpin: (cid: string) => Promise<boolean>
  /** The pinned files, as garbage collection's roots. */
  roots: FileRoots
}

export function filePins (path: string): FilePins {
  const list = async (): Promise<string[]> => {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    let parsed: unknown
    try { parsed = JSON.parse(text) } catch (err) { parsed = err }
    if (!Array.isArray(parsed) || !parsed.every((c) => typeof c === 'string')) {
      throw new CorruptStoreError(`${path} must hold a JSON list of CIDs; garbage collection stops until it does`, { path })
    }
    return parsed
  }
  const save = async (cids: string[]): Promise<void> => {
    await writeFile(`${path}.tmp`, JSON.stringify(cids, null, 1) + '\n')
    await rename(`${path}.tmp`, path)
  }
  const normal = (cid: string): string => parseCid(cid).toV1().toString()
  return {
    list,
    async pin (cid) {
      const pins = await list()
      const wanted = normal(cid)
      if (!pins.includes(wanted)) await save([...pins, wanted])
    },
    async unpin (cid) {
      const pins = await list()
      const unwanted = normal(cid)
      if (!pins.includes(unwanted)) return false
      await save(pins.filter((c) => c !== unwanted))
      return true
    },
    roots: { all: async function * () { yield * await list() } }
  }
}
