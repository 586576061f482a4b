/**
 * Garbage collection of file blocks. A block stays when it belongs to a file that a kept document
 * refers to, or when it was written less than the grace period ago (an add in progress, or a file
 * added and not yet named by a document); every other block is removed.
 *
 * A kept document is every stream the node holds, and it refers to every file any of its commits
 * names, on every branch: an old version can still be loaded, exported and synced, so the files it
 * names stay as long as the stream does. Once the stream is forgotten (unfollow), its files go at
 * the next collection after the grace period. On a Node data dir, files pinned with `kiln file add`
 * are kept as well (file-pins.ts).
 */
import * as dagPb from '@ipld/dag-pb'
import type { AbortOptions } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import type { GarbageCollected } from '../api/types.js'
import { blockKey, collect, type FileBlockstore } from './file-blockstore.js'
import type { FileRoots } from './file-roots.js'

export interface CollectOptions extends AbortOptions {
  graceMs: number
  /** Runs the removals with no add writing meanwhile (the file store's write turn). */
  exclusive: <T>(task: () => Promise<T>) => Promise<T>
  now?: () => number
}

/**
 * Removes the blocks of `blocks` that no file of `roots` needs and that are older than the grace
 * period. Candidates are listed first and the roots read after, so a document written meanwhile
 * is seen; files named while removing are marked before the next removal.
 */
export async function collectGarbage (blocks: FileBlockstore, roots: FileRoots, options: CollectOptions): Promise<GarbageCollected> {
  const now = options.now ?? Date.now
  const late: Array<Promise<string[]>> = []
  const stopWatching = roots.watch?.((refs) => { late.push(refs) }) ?? (() => {})
  try {
    const cutoff = now() - options.graceMs
    const candidates: Array<{ cid: CID, size: number }> = []
    let kept = 0
    for await (const pair of blocks.getAll(options)) {
      // The listing's CID class may be another copy of multiformats: one of ours, same bytes.
      const cid = CID.decode(pair.cid.bytes)
      const bytes = pair.bytes
      if (blocks.writtenAt(cid) > cutoff) kept++
      else candidates.push({ cid, size: (await collect(bytes)).byteLength })
    }
    const needed = new Set<string>()
    const mark = async (ref: string): Promise<void> => { await markFile(blocks, CID.parse(ref), needed, options) }
    for await (const ref of roots.all()) await mark(ref)

    return await options.exclusive(async () => {
      let removed = 0
      let bytesFreed = 0
      for (const { cid, size } of candidates) {
        options.signal?.throwIfAborted()
        for (const refs of late.splice(0)) for (const ref of await refs) await mark(ref)
        // Touched since it was listed (an add found it held and uses it again): not garbage.
        if (needed.has(blockKey(cid)) || blocks.writtenAt(cid) > cutoff) {
          kept++
          continue
        }
        await blocks.delete(cid, options)
        removed++
        bytesFreed += size
      }
      return { removed, kept, bytesFreed }
    })
  } finally {
    stopWatching()
  }
}

/** Marks every held block of the file's DAG (a block not held has nothing to keep). */
async function markFile (blocks: FileBlockstore, cid: CID, needed: Set<string>, options: AbortOptions): Promise<void> {
  const key = blockKey(cid)
  if (needed.has(key) || !await blocks.has(cid, options)) return
  needed.add(key)
  if (cid.code !== dagPb.code) return
  for (const link of dagPb.decode(await blocks.getBlock(cid, options)).Links) {
    await markFile(blocks, CID.decode(link.Hash.bytes), needed, options)
  }
}
