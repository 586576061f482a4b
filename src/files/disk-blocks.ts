/**
 * The server's file blocks on disk: blockstore-level in its own LevelDB directory next to the
 * stream store, behind the verifying, quota-keeping FileBlockstore.
 */
import { LevelBlockstore } from 'blockstore-level'
import { StoreFullError, StoreLockedError } from '../errors.js'
import { createFileBlockstore, type FileBlockstore } from './file-blockstore.js'

export interface DiskBlocksInit {
  /** The LevelDB directory; created if missing. */
  path: string
  quotaBytes?: number
  /** The clock block write times are kept by (garbage collection's grace); Date.now by default. */
  now?: () => number
}

// blockstore-level keeps only the text of LevelDB's error ("IO error: …: No space left on device").
const NO_SPACE = /No space left on device|ENOSPC|File too large|EFBIG|Disk quota exceeded|EDQUOT/i

/** Opens the blockstore; close it with the returned `close`. */
export async function openDiskBlocks (init: DiskBlocksInit): Promise<{ blocks: FileBlockstore, close: () => Promise<void> }> {
  const store = new LevelBlockstore(init.path)
  try {
    await store.open()
  } catch (err) {
    if (/LOCK|locked/i.test(String((err as Error).message))) throw new StoreLockedError(`The file store at ${init.path} is open elsewhere (this or another process)`, { path: init.path }, { cause: err })
    throw err
  }
  const blocks = createFileBlockstore({
    store,
    quotaBytes: init.quotaBytes,
    now: init.now,
    toKilnError: (err) => NO_SPACE.test(String((err as Error).message))
      ? new StoreFullError(`The file store at ${init.path} cannot grow (disk full); nothing of this file was kept`, { path: init.path }, { cause: err })
      : err
  })
  return { blocks, close: async () => { await store.close() } }
}
