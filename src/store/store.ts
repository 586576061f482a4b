import type { IndexDefinition, Page, PageRequest, StreamQuery } from '../api/types.js'
import type { Block } from '../commits/block.js'
import type { EventTypeCode } from '../streams/state.js'
import { InvalidInputError } from '../errors.js'
import { type IndexedFields, entryKeys } from './field-index.js'

/**
 * The Store port: everything the node keeps, in the units the node writes atomically (design §2).
 * Ids and CIDs are strings here so that records are plain data in IndexedDB and on disk alike.
 */
export interface Store {
  /**
   * Writes one accepted commit in one transaction: its blocks, the commit record, the new state at
   * its tip, and the stream record (tips, canonical tip, indexed fields). All or nothing.
   * Throws StaleTipError when the stream's canonical tip is no longer `batch.expectedTip`.
   */
  putCommit: (batch: CommitBatch) => Promise<void>
  /**
   * Writes several streams' batches (one per stream) in one transaction, all or nothing: if any
   * stream moved from its `expectedTip`, StaleTipError and nothing of any is stored.
   */
  putCommits: (batches: CommitBatch[]) => Promise<void>
  getBlock: (cid: string) => Promise<Uint8Array | undefined>
  getStream: (id: string) => Promise<StreamRecord | undefined>
  /** The encoded state at one of the stream's tips (see streams/state-codec). */
  getState: (id: string, tip: string) => Promise<Uint8Array | undefined>
  /** Several streams' states at once, in order (one read for a page of query results). */
  getStates: (refs: Array<{ id: string, tip: string }>) => Promise<Array<Uint8Array | undefined>>
  /** Every commit of every branch of a stream, in no particular order. */
  getCommits: (id: string) => Promise<CommitRecord[]>
  /**
   * Every commit record of every stream, page by page in the store's own order (one scan, not a
   * read per stream: what an index over all commits is built from). Commits stored while the pages
   * are read may or may not appear, and a record may appear twice.
   */
  listCommits: (page?: PageRequest) => Promise<Page<CommitRecord>>
  /**
   * Every commit's EventId without its network header (event-keys.ts), in byte order, page by page:
   * kept in the same transaction as each commit, so the Recon index loads its keys sorted at start
   * instead of building them from every commit. Optional: the index builds from `listCommits` on a
   * store without it (memory and IndexedDB, whose nodes hold far fewer commits than a server).
   */
  listEventKeys?: (page?: PageRequest) => Promise<Page<EventKeyRecord>>
  /**
   * Streams matching every given field, oldest first, served from an index (never a full scan).
   * With `where` or `sort`, one field index of the Model serves it (see field-index.ts).
   */
  query: (query: StreamQuery, page?: PageRequest) => Promise<Page<QueriedRecord>>
  /** How many streams match a query, from the same indexes. */
  count: (query: StreamQuery) => Promise<number>
  /** The field indexes declared on this store, with whether each has been built. */
  indexes: () => Promise<StoredIndex[]>
  /**
   * Declares a field index (not built): from now on every write of the Model's documents keeps it;
   * documents stored before need `reindex`, then `setIndexReady`. Declaring it again changes nothing.
   */
  declareIndex: (definition: IndexDefinition) => Promise<void>
  setIndexReady: (definition: IndexDefinition) => Promise<void>
  /**
   * Sets the indexed fields of streams still at `tip`. A stream that moved on since is left alone
   * and its id returned: the caller reads it again and indexes its new tip.
   */
  reindex: (items: Array<{ id: string, tip: string, fields: IndexedFields }>) => Promise<string[]>
  setPinned: (id: string, pinned: boolean) => Promise<void>
  /**
   * Drops a stream this node no longer needs, in one transaction: its record, index entries,
   * commit records and states, and the given blocks (the caller names those only this stream
   * uses; capabilities and anchor proofs may be shared). Unknown ids change nothing.
   */
  forget: (id: string, blocks: string[]) => Promise<void>
  stats: () => Promise<StoreStats>
  close: () => Promise<void>
}

/** A record a query found, with the encoded state at its tip when the store read it along. */
export type QueriedRecord = StreamRecord & { tipState?: Uint8Array }

/** What the node knows of a stream without decoding its state: tips and indexed fields. */
export interface StreamRecord {
  id: string
  type: number
  /** Every branch tip (CIDs). A fork keeps both branches; nothing is deleted. */
  tips: string[]
  /** The tip the conflict rule picks; `load` returns the state at this tip. */
  tip: string
  controller: string
  /**
   * The genesis's controller, once a later commit (a tile's) changed it: every EventId of the
   * stream names it (event-keys.ts), as Ceramic's do, so peers key the stream alike whenever they got it.
   */
  initController?: string
  model?: string
  family?: string
  schema?: string
  tags?: string[]
  /** The StreamID of the stream this one was forked from (its metadata's `forkOf` names the version). */
  forkOf?: string
  /** A Model document's values of the fields its Model's indexes hold, by path. */
  fields?: IndexedFields
  /** When this node first stored the stream (ms); the query order. */
  createdAt: number
  /** When this node last accepted a commit for it (ms). */
  updatedAt: number
  pinned: boolean
}

export interface CommitRecord {
  stream: string
  cid: string
  /** Absent for the genesis. */
  prev?: string
  type: EventTypeCode
  /** Anchor time (unix seconds). */
  timestamp?: number
  expirationTime?: number
  /** When this node accepted the commit (ms): the time its CACAO was judged at. */
  receivedAt: number
  /** True when this node wrote it (only the author re-signs a write that lost a conflict). */
  local?: boolean
}

/** One commit's EventId without the network header (event-keys.ts `eventKeyOf`), and what it names. */
export interface EventKeyRecord {
  key: Uint8Array
  stream: string
  cid: string
}

export interface CommitBatch {
  /** The stream record as it is after this commit. */
  stream: StreamRecord
  /** The canonical tip the write was computed against, or null for a new stream. */
  expectedTip: string | null
  /** The commit that becomes a tip. */
  commit: CommitRecord
  /** Commits between the previous tip and `commit`, oldest first (a run synced or imported at once). */
  earlierCommits?: CommitRecord[]
  blocks: Block[]
  /** The encoded state at `commit.cid`, which becomes a tip. */
  state: Uint8Array
  /** A tip this commit extends: its stored state is dropped (it is no longer a tip). */
  replacedTip?: string
}

// The query types are the page's (a page queries what the store indexes).
export type { Page, PageRequest, StreamQuery }

export interface StoredIndex extends IndexDefinition {
  ready: boolean
}

export interface StoreStats {
  streams: number
  commits: number
  blocks: number
}

export const DEFAULT_PAGE_SIZE = 100
export const MAX_PAGE_SIZE = 1000

/** The query fields in the order an index is chosen: the most selective first. */
export const INDEXED_FIELDS = ['forkOf', 'model', 'controller', 'family', 'schema'] as const

export function pageSize (page: PageRequest = {}): number {
  return Math.min(Math.max(1, page.limit ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
}

/** Sort key of a stream in every index: creation time, then id (stable pages as streams arrive). */
export function orderKey (record: Pick<StreamRecord, 'createdAt' | 'id'>): string {
  return `${record.createdAt.toString(16).padStart(12, '0')}:${record.id}`
}

export function matches (record: StreamRecord, query: StreamQuery): boolean {
  return INDEXED_FIELDS.every((field) => query[field] == null || record[field] === query[field])
}

/** Every field-index key of a record, under the indexes declared for its Model. */
export function fieldKeys (record: StreamRecord, indexes: IndexDefinition[]): string[] {
  if (record.model == null) return []
  const order = orderKey(record)
  return indexes.filter((d) => d.model === record.model).flatMap((d) => entryKeys(d, record.fields, order))
}

/** How many records a paged read yields, page by page: a count for queries no single index counts. */
export async function countPages (read: (page: PageRequest) => Promise<Page<StreamRecord>>): Promise<number> {
  let n = 0
  let cursor: string | undefined
  do {
    const page = await read({ limit: MAX_PAGE_SIZE, cursor })
    n += page.items.length
    cursor = page.cursor
  } while (cursor != null)
  return n
}

/** putCommits takes one batch per stream (a stream's commits of one call form one run). */
export function assertOneBatchPerStream (batches: CommitBatch[]): void {
  if (new Set(batches.map((b) => b.stream.id)).size !== batches.length) throw new InvalidInputError('putCommits takes one batch per stream')
}
