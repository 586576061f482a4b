import type { BatchOperation } from 'level'
import { CorruptStoreError, codeOf } from '../errors.js'
import type { StoreStats } from './store.js'
import type { Logger } from '../logger.js'
import { isLogFault, refusedAfter, toStoreError } from './disk-errors.js'
import { SUBLEVELS, type DiskDb } from './disk-schema.js'

export type DiskOp = BatchOperation<DiskDb, string, string | Uint8Array>

/** One caller's writes: applied whole, with what they add to the counters. */
export interface DiskWrite {
  ops: DiskOp[]
  /** CIDs of the blocks `ops` put; only those not stored yet are counted. */
  blocks: string[]
  /** Negative when streams or commits are forgotten. */
  newStreams: number
  newCommits: number
  /** Stored blocks this write deletes. */
  droppedBlocks?: number
}

export interface DiskWriter {
  write: (write: DiskWrite) => Promise<void>
  stats: () => StoreStats
}

const COUNTER_KEYS = { streams: 'count:streams', commits: 'count:commits', blocks: 'count:blocks' } as const
type Counter = keyof typeof COUNTER_KEYS

/**
 * The single path to `db.batch()`. Writes queued while a batch is in flight go out together in the
 * next one (group commit: one log append, one fsync with `sync`), and each batch also stores the
 * new stats counters, so `stats()` is O(1) and never drifts from the data. Counting blocks needs
 * to know which CIDs are new, which is only exact when no two batches run at once — hence one queue.
 */
export async function createDiskWriter (db: DiskDb, init: { path: string, sync: boolean, log: Logger }): Promise<DiskWriter> {
  const meta = db.sublevel(SUBLEVELS.meta)
  const blocks = db.sublevel<string, Uint8Array>(SUBLEVELS.blocks, { valueEncoding: 'view' })
  const names: Counter[] = ['streams', 'commits', 'blocks']
  const stored = await meta.getMany(names.map((n) => COUNTER_KEYS[n]))
  const counts: StoreStats = { streams: Number(stored[0] ?? 0), commits: Number(stored[1] ?? 0), blocks: Number(stored[2] ?? 0) }
  if (names.some((n) => !Number.isSafeInteger(counts[n]))) {
    throw new CorruptStoreError(`The store at ${init.path} has unreadable counters`, { path: init.path, counters: stored })
  }

  let queue: Array<{ write: DiskWrite, resolve: () => void, reject: (err: unknown) => void }> = []
  let flushing = false
  // Set by a batch that failed inside LevelDB: nothing more is written until the store is reopened.
  let fault: unknown

  async function flush (group: typeof queue): Promise<void> {
    const cids = [...new Set(group.flatMap((job) => job.write.blocks))]
    const known = cids.length === 0 ? [] : await blocks.hasMany(cids)
    const next: StoreStats = {
      streams: counts.streams + group.reduce((n, job) => n + job.write.newStreams, 0),
      commits: counts.commits + group.reduce((n, job) => n + job.write.newCommits, 0),
      blocks: counts.blocks + known.filter((has) => !has).length - group.reduce((n, job) => n + (job.write.droppedBlocks ?? 0), 0)
    }
    const ops = group.flatMap((job) => job.write.ops)
    for (const n of names) ops.push({ type: 'put', sublevel: meta, key: COUNTER_KEYS[n], value: String(next[n]) })
    try {
      await db.batch(ops, { sync: init.sync })
    } catch (err) {
      const mapped = toStoreError(err, init.path)
      init.log.error('a batch of %d writes failed: %s', group.length, codeOf(mapped))
      if (isLogFault(err)) {
        fault = mapped
        init.log.error('later writes to %s are refused until it is reopened', init.path)
      }
      throw mapped
    }
    Object.assign(counts, next)
  }

  async function drain (): Promise<void> {
    flushing = true
    while (queue.length > 0) {
      const group = queue
      queue = []
      try {
        if (fault != null) throw refusedAfter(fault, init.path)
        await flush(group)
        for (const job of group) job.resolve()
      } catch (err) {
        for (const job of group) job.reject(toStoreError(err, init.path))
      }
    }
    flushing = false
  }

  return {
    async write (write) {
      await new Promise<void>((resolve, reject) => {
        queue.push({ write, resolve, reject })
        if (!flushing) void drain()
      })
    },
    stats: () => ({ ...counts })
  }
}
