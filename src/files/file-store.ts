/**
 * A node's files: UnixFS (CIDv1, raw leaves, 1 MiB chunks: @helia/unixfs's defaults) in a
 * FileBlockstore. Adding is all or nothing: the file is chunked into a staging store first, so a
 * file over the size limit, a quota refusal or a failed write leaves nothing behind; blocks are
 * then written root last, so a file is either readable whole or not there. Reading verifies every
 * block against its CID; blocks this node lacks come from its network (helia's bitswap on the
 * node's libp2p, file-network.ts) once one is attached.
 */
import { unixfs } from '@helia/unixfs'
import type { Blockstore } from 'interface-blockstore'
import type { AbortOptions } from '@libp2p/interface'
import * as dagPb from '@ipld/dag-pb'
import { CID } from 'multiformats/cid'
import { BlockNotFoundError, FileTooLargeError, InvalidIdError, InvalidInputError, KilnError } from '../errors.js'
import type { FileInfo, FileProgress, GarbageCollected, GarbageCollectionOptions } from '../api/types.js'
import { type Logger, silentLogger } from '../logger.js'
import { DEFAULT_GC_GRACE_MS, DEFAULT_MAX_FILE_BYTES, FILE_BLOCK_FETCH_TIMEOUT_MS } from './constants.js'
import { collect, type FileBlockstore } from './file-blockstore.js'
import { collectGarbage } from './file-gc.js'
import type { FileRoots } from './file-roots.js'

// What the page API returns for files (src/api/types.ts), re-exported for the Node side.
export type { FileInfo, FileProgress } from '../api/types.js'

export interface FileOptions extends AbortOptions {
  onProgress?: (progress: FileProgress) => void
}

export interface AddFileOptions extends FileOptions {
  /** The file's length when known up front (progress shows it; a longer source is refused). */
  size?: number
}

export type FileSource = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>

export interface FileStoreInit {
  blocks: FileBlockstore
  /** Default DEFAULT_MAX_FILE_BYTES. */
  maxFileBytes?: number
  /** How long a read waits for peers to send one missing block (default FILE_BLOCK_FETCH_TIMEOUT_MS). */
  fetchTimeoutMs?: number
  log?: Logger
}

export interface FileStore {
  /** Stores a file; resolves once every block is written. */
  add: (source: FileSource, options?: AddFileOptions) => Promise<FileInfo>
  /**
   * The file's bytes in order, each block verified; missing blocks are asked of the network. A
   * file not held whose root says it is past the size limit is ERR_FILE_TOO_LARGE, before any leaf is fetched.
   */
  read: (cid: string, options?: FileOptions) => AsyncIterable<Uint8Array>
  /** The file's length, from its root block (fetched if missing). */
  stat: (cid: string, options?: AbortOptions) => Promise<FileInfo>
  /** Whether this node holds every block of the file (a read half-way from peers holds only part). */
  has: (cid: string, options?: AbortOptions) => Promise<boolean>
  /** The local, verified blockstore (the HTTP gateway serves only what is held). */
  blocks: FileBlockstore
  /**
   * Reads from now on ask `network` (helia's networked blockstore, which verifies what peers send
   * and keeps it in `blocks`) for blocks this node lacks; undefined goes back to local only.
   */
  useNetwork: (network: Blockstore | undefined) => void
  /**
   * Removes the blocks no file of `roots` needs that are older than the grace period (file-gc.ts);
   * no add writes meanwhile. ERR_INVALID_INPUT for a grace that is not a number of ms ≥ 0.
   */
  collectGarbage: (roots: FileRoots, options?: GarbageCollectionOptions & AbortOptions & { now?: () => number }) => Promise<GarbageCollected>
}

/** Parses a CID given by a caller; anything else is ERR_INVALID_ID. */
export function parseCid (text: string): CID {
  try {
    return CID.parse(text)
  } catch (err) {
    throw new InvalidIdError(`Not a CID: "${text.slice(0, 100)}"`, undefined, { cause: err })
  }
}

/**
 * @example
 * const files = createFileStore({ blocks: createFileBlockstore({ store: new MemoryBlockstore() }) })
 * const { cid, size } = await files.add(new TextEncoder().encode('hello'))
 * for await (const chunk of files.read(cid)) console.log(chunk)
 */
export function createFileStore (init: FileStoreInit): FileStore {
  const { blocks } = init
  const log = init.log ?? silentLogger
  const maxFileBytes = init.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES
  let network: Blockstore | undefined
  // One add writes at a time (its rollback removes only blocks no other add is writing), and
  // garbage collection removes blocks in a turn of its own.
  let writing: Promise<unknown> = Promise.resolve()
  const inTurn = async <T>(task: () => Promise<T>): Promise<T> => {
    const done = writing.then(task)
    writing = done.catch(() => {})
    return await done
  }

  /** The source's bytes, refused as soon as they pass the limit (nothing is kept of them). */
  async function * limited (source: FileSource, options: AddFileOptions, staged: Staging): AsyncGenerator<Uint8Array> {
    const limit = Math.min(maxFileBytes, options.size ?? Infinity)
    let bytes = 0
    const chunks = source instanceof Uint8Array ? [source] : source
    for await (const chunk of chunks) {
      bytes += chunk.byteLength
      if (bytes > limit) {
        throw new FileTooLargeError(options.size != null && bytes <= maxFileBytes
          ? `The file is longer than the ${options.size} bytes announced; nothing was stored`
          : `The file is larger than the ${maxFileBytes}-byte limit; nothing was stored`, { limit: maxFileBytes })
      }
      staged.size = bytes
      options.onProgress?.({ bytes, ...(options.size != null && { total: options.size }) })
      yield chunk
    }
  }

  /** Writes the staged blocks the store lacks, root last; on failure removes those it wrote. */
  async function commit (staged: Staging, root: CID, options: AbortOptions): Promise<void> {
    const fresh: Array<{ cid: CID, bytes: Uint8Array }> = []
    const held: CID[] = []
    for (const block of staged.blocks.values()) {
      if (block.cid.equals(root)) continue
      if (await blocks.has(block.cid, options)) held.push(block.cid)
      else fresh.push(block)
    }
    const rootBlock = staged.blocks.get(root.toString())
    if (rootBlock != null) {
      if (await blocks.has(root, options)) held.push(root)
      else fresh.push(rootBlock)
    }
    // Blocks an older file left are this file's now: young again, so garbage collection's grace covers them.
    blocks.touch(held)
    await blocks.reserve(fresh.reduce((sum, b) => sum + b.bytes.byteLength, 0), options)
    const written: CID[] = []
    try {
      for (const block of fresh) {
        await blocks.put(block.cid, block.bytes, options)
        written.push(block.cid)
      }
    } catch (err) {
      for (const cid of written.reverse()) {
        await Promise.resolve(blocks.delete(cid)).catch((cause: unknown) => { log.error('could not remove block %s after a failed add: %s', cid.toString(), (cause as Error).message) })
      }
      throw err
    }
  }

  /** Reads blocks locally, else from the network with a per-block deadline. */
  const reader: Pick<Blockstore, 'get' | 'put' | 'has'> = {
    has: async (cid, options) => await blocks.has(cid, options),
    put: async (cid, bytes, options) => await blocks.put(cid, bytes, options),
    get: async function * (cid, options: AbortOptions = {}) {
      if (network == null || await blocks.has(cid, options)) {
        yield * blocks.get(cid, options)
        return
      }
      const deadline = AbortSignal.timeout(init.fetchTimeoutMs ?? FILE_BLOCK_FETCH_TIMEOUT_MS)
      const signal = options.signal == null ? deadline : AbortSignal.any([options.signal, deadline])
      try {
        yield * network.get(cid, { ...options, signal })
      } catch (err) {
        options.signal?.throwIfAborted()
        if (err instanceof KilnError) throw err
        throw new BlockNotFoundError(`Block ${cid.toString()} is not held here and no connected peer sent it`, { cid: cid.toString() }, { cause: err })
      }
    }
  }
  const fs = unixfs({ blockstore: asUnixfsBlocks(reader) })

  async function stat (text: string, options: AbortOptions = {}): Promise<FileInfo> {
    const cid = parseCid(text)
    const stats = await fs.stat(asUnixfsCid(cid), options)
    return { cid: cid.toString(), size: Number(stats.size) }
  }

  return {
    blocks,
    async add (source, options = {}) {
      const staged = staging()
      const added = await unixfs({ blockstore: asUnixfsBlocks(staged) }).addByteStream(limited(source, options, staged), {
        signal: options.signal,
        // Explicit, so a change of @helia/unixfs's defaults cannot change what Kiln's CIDs mean.
        cidVersion: 1,
        rawLeaves: true
      })
      const cid = CID.decode(added.bytes)
      await inTurn(async () => { await commit(staged, cid, options) })
      return { cid: cid.toString(), size: staged.size }
    },
    async * read (text, options = {}) {
      const cid = parseCid(text)
      const total = (await stat(text, options)).size
      // The root block says how long the file is: a file past the limit is not fetched at all.
      if (total > maxFileBytes && !await holdsWhole(blocks, cid, options)) {
        throw new FileTooLargeError(`The file is ${total} bytes, past the ${maxFileBytes}-byte limit; it was not fetched`, { limit: maxFileBytes, size: total })
      }
      let bytes = 0
      options.onProgress?.({ bytes, total })
      for await (const chunk of fs.cat(asUnixfsCid(cid), { signal: options.signal })) {
        bytes += chunk.byteLength
        options.onProgress?.({ bytes, total })
        yield chunk
      }
    },
    stat,
    has: async (text, options) => await holdsWhole(blocks, parseCid(text), options),
    useNetwork (next) { network = next },
    async collectGarbage (roots, options = {}) {
      const graceMs = options.graceMs ?? DEFAULT_GC_GRACE_MS
      if (typeof graceMs !== 'number' || !Number.isFinite(graceMs) || graceMs < 0) {
        throw new InvalidInputError(`The grace period must be a number of milliseconds, 0 or more, not ${String(graceMs)}`)
      }
      return await collectGarbage(blocks, roots, { ...options, graceMs, exclusive: inTurn })
    }
  }
}

/** Every block of the DAG under `cid` is held: raw leaves by a lookup, dag-pb nodes read for their links. */
async function holdsWhole (blocks: FileBlockstore, cid: CID, options?: AbortOptions): Promise<boolean> {
  if (!await blocks.has(cid, options)) return false
  if (cid.code !== dagPb.code) return true
  for (const link of dagPb.decode(await blocks.getBlock(cid, options)).Links) {
    if (!await holdsWhole(blocks, CID.decode(link.Hash.bytes), options)) return false
  }
  return true
}

/** Where an add chunks its file before anything reaches the store: blocks by CID, and the file's length. */
interface Staging extends Pick<Blockstore, 'get' | 'put' | 'has'> {
  blocks: Map<string, { cid: CID, bytes: Uint8Array }>
  size: number
}

function staging (): Staging {
  const blocks = new Map<string, { cid: CID, bytes: Uint8Array }>()
  return {
    blocks,
    size: 0,
    has: async (cid) => blocks.has(cid.toString()),
    put: async (cid, bytes) => {
      blocks.set(cid.toString(), { cid: CID.decode(cid.bytes), bytes: await collect(bytes) })
      return cid
    },
    get: async function * (cid) {
      const block = blocks.get(cid.toString())
      if (block == null) throw new BlockNotFoundError(`Block ${cid.toString()} was not staged`)
      yield block.bytes
    }
  }
}

// @helia/unixfs is typed against interface-blockstore 7 (helia 7), the rest of Kiln against 6 (helia 6):
// the same blockstore methods at runtime (get yields chunks in both). These casts are where they meet.
type UnixfsBlocks = Parameters<typeof unixfs>[0]['blockstore']
type UnixfsCid = Parameters<ReturnType<typeof unixfs>['cat']>[0]
const asUnixfsBlocks = (blocks: Pick<Blockstore, 'get' | 'put' | 'has'>): UnixfsBlocks => blocks as unknown as UnixfsBlocks
const asUnixfsCid = (cid: CID): UnixfsCid => cid as unknown as UnixfsCid
