/**
 * The blockstore under a node's files: every block read from disk or IndexedDB is hashed and
 * compared with its CID before anyone sees it (a damaged block is ERR_STORE_CORRUPT, never served),
 * and every write counts against the quota (ERR_STORE_FULL before anything is written).
 */
import { BaseBlockstore } from 'blockstore-core'
import type { Blockstore, Pair } from 'interface-blockstore'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { concat, equals, toString } from 'uint8arrays'
import { BlockNotFoundError, CorruptStoreError, StoreFullError } from '../errors.js'

export interface FileBlockstoreInit {
  /** Where the blocks are kept (blockstore-level on Node, blockstore-idb in browsers). */
  store: Blockstore
  /** The clock write times are read from (ms); Date.now by default. */
  now?: () => number
  /** Bytes of blocks this store may hold; no limit when absent (the disk or browser quota still applies). */
  quotaBytes?: number
  /** Turns the store's own failure (ENOSPC, QuotaExceededError, …) into a typed Kiln error. */
  toKilnError?: (err: unknown) => unknown
}

export interface FileBlockstore extends Blockstore {
  /** Bytes of blocks held (counted once, at the first call, then kept up to date). */
  usedBytes: (options?: AbortOptions) => Promise<number>
  /** Refuses, before anything is written, a write of `bytes` more that would pass the quota. */
  reserve: (bytes: number, options?: AbortOptions) => Promise<void>
  /** The whole block, verified against its CID. */
  getBlock: (cid: CID, options?: AbortOptions) => Promise<Uint8Array>
  /**
   * When the block was last written or touched (ms), as far as this process knows: a block held
   * from before the store was opened counts as written at the opening, so its age is never overstated.
   */
  writtenAt: (cid: CID) => number
  /** Counts held blocks as written now (an add that found them held uses them again). */
  touch: (cids: CID[]) => void
}

const SHA2_256 = sha256.code

class VerifyingBlockstore extends BaseBlockstore implements FileBlockstore {
  private used: number | undefined
  private readonly now: () => number
  private readonly openedAt: number
  // Only this process's writes: after a restart every block is as young as the opening (safe for GC).
  private readonly written = new Map<string, number>()
  constructor (private readonly init: FileBlockstoreInit) {
    super()
    this.now = init.now ?? Date.now
    this.openedAt = this.now()
  }

  writtenAt (cid: CID): number {
    return this.written.get(blockKey(cid)) ?? this.openedAt
  }

  touch (cids: CID[]): void {
    const at = this.now()
    for (const cid of cids) this.written.set(blockKey(cid), at)
  }

  async usedBytes (options?: AbortOptions): Promise<number> {
    if (this.used == null) {
      let total = 0
      for await (const { bytes } of this.init.store.getAll(options)) total += (await collect(bytes)).byteLength
      this.used ??= total
    }
    return this.used
  }

  async reserve (bytes: number, options?: AbortOptions): Promise<void> {
    const quota = this.init.quotaBytes
    if (quota == null) return
    const used = await this.usedBytes(options)
    if (used + bytes > quota) {
      throw new StoreFullError(`Storing ${bytes} more bytes would pass the files quota (${used} of ${quota} bytes used); nothing was stored`, { used, quota, bytes })
    }
  }

  async put (cid: CID, block: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options?: AbortOptions): Promise<CID> {
    const bytes = block instanceof Uint8Array ? block : await collect(block)
    if (await this.init.store.has(cid, options)) {
      this.touch([cid])
      return cid
    }
    await this.reserve(bytes.byteLength, options)
    try {
      await this.init.store.put(cid, bytes, options)
    } catch (err) {
      throw this.init.toKilnError?.(err) ?? err
    }
    if (this.used != null) this.used += bytes.byteLength
    this.touch([cid])
    return cid
  }

  async * get (cid: CID, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    yield await this.getBlock(cid, options)
  }

  async getBlock (cid: CID, options?: AbortOptions): Promise<Uint8Array> {
    let bytes: Uint8Array
    try {
      bytes = await collect(this.init.store.get(cid, options))
    } catch (err) {
      if ((err as Error).name === 'NotFoundError') throw new BlockNotFoundError(`Block ${cid.toString()} is not held here`, { cid: cid.toString() }, { cause: err })
      throw this.init.toKilnError?.(err) ?? err
    }
    // Only sha2-256 blocks are written (Kiln's files and what bitswap accepts); check every read.
    if (cid.multihash.code === SHA2_256 && !equals((await sha256.digest(bytes)).digest, cid.multihash.digest)) {
      throw new CorruptStoreError(`Block ${cid.toString()} is damaged: its bytes do not hash to its CID`, { cid: cid.toString() })
    }
    return bytes
  }

  async has (cid: CID, options?: AbortOptions): Promise<boolean> {
    return await this.init.store.has(cid, options)
  }

  async delete (cid: CID, options?: AbortOptions): Promise<void> {
    const size = this.used == null || !await this.init.store.has(cid, options) ? 0 : (await collect(this.init.store.get(cid, options))).byteLength
    await this.init.store.delete(cid, options)
    this.written.delete(blockKey(cid))
    if (this.used != null) this.used -= size
  }

  async * getAll (options?: AbortOptions): AsyncGenerator<Pair> {
    yield * this.init.store.getAll(options)
  }
}

/** A block's key in a blockstore: its multihash (a listing gives dag-pb blocks back with the raw codec). */
export const blockKey = (cid: CID): string => toString(cid.multihash.bytes, 'base32')

/** A blockstore that verifies what it reads and keeps to a quota. */
export function createFileBlockstore (init: FileBlockstoreInit): FileBlockstore {
  return new VerifyingBlockstore(init)
}

/** The bytes of a block given as chunks (interface-blockstore 6 yields them so). */
export async function collect (chunks: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  if (chunks instanceof Uint8Array) return chunks
  const parts: Uint8Array[] = []
  for await (const part of chunks) parts.push(part)
  return parts.length === 1 ? parts[0] : concat(parts)
}
