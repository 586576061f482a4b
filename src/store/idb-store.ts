import { openDB, unwrap, type IDBPDatabase, type IDBPObjectStore, type StoreNames } from 'idb'
import {
  KilnError, StaleTipError, codeOf, StoreClosedError, StoreFullError, StoreLockedError, StoreVersionError
} from '../errors.js'
import { DEFAULT_NODE_NAME, storeLock } from '../api/names.js'
import { type Logger, silentLogger } from '../logger.js'
import { ALL_STORES, IDB_SCHEMA_VERSION, INDEXES_KEY, modelCountKey, upgradeSchema, type KilnDB, type StreamRow } from './idb-schema.js'
import {
  INDEXED_FIELDS, assertOneBatchPerStream, countPages, fieldKeys, matches, orderKey, pageSize,
  type CommitBatch, type CommitRecord, type Page, type PageRequest, type QueriedRecord, type Store, type StoredIndex, type StreamQuery, type StreamRecord
} from './store.js'
import { type KeyRange, planFieldQuery, sameIndex, usesFields } from './field-index.js'
import { countFieldQuery, readFieldQuery, type FieldIndexReader, type IndexEntry } from './field-query.js'

export { IDB_SCHEMA_VERSION } from './idb-schema.js'

export interface IdbStoreInit {
  /** The IndexedDB database name; also names the Web Lock `kiln-store:<name>`. */
  name?: string
  /**
   * Called once if the database is closed underneath the store: a newer Kiln asked to upgrade it
   * (`versionchange`), it was deleted, or the browser terminated the connection. Every later call
   * rejects with the same StoreClosedError (`details.reason` says which).
   */
  onClosed?: (error: KilnError) => void
  /** Silent unless given. */
  log?: Logger
}

/**
 * Every write acknowledges only once it is on disk ('strict'): an acknowledged commit may be an
 * offline write that exists nowhere else, and 'relaxed' (Chrome's default) can lose it to an OS
 * crash or power loss. Throughput comes from batching commits per transaction, not from this.
 */
const WRITE_DURABILITY: IDBTransactionDurability = 'strict'

/**
 * A full disk as Chromium reports it when LevelDB fails to write (an UnknownError, "IO error: …:
 * FILE_ERROR_NO_SPACE"); QuotaExceededError is the other form, when Chromium sees it coming.
 */
const NO_SPACE = /FILE_ERROR_NO_SPACE|No space left on device/i

/** Batches written in one transaction at most (keeps one transaction's size and time bounded). */
const MAX_GROUP_SIZE = 100
/** How long a write aborted without a reason waits for the browser's close event to give one. */
const ABORT_REASON_WAIT_MS = 100

/**
 * Stream rows remembered as last written, at most. A write to one of them reads nothing before its
 * puts: that read was 0.7-1.1 ms of a 3.5-5.4 ms update transaction in Chromium.
 */
const WRITTEN_ROWS = 1000

/** One caller's batches (one per stream): stored together or not at all. */
interface PendingWrite {
  batches: CommitBatch[]
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * A Store on IndexedDB (through `idb`), for the browser node. One writer per database: the store
 * holds the Web Lock `kiln-store:<name>` until it is closed, so a second open fails with
 * StoreLockedError instead of two nodes writing the same data.
 *
 * @example
 * const store = await createIdbStore({ name: 'kiln', onClosed: (err) => { report(err) } })
 */
export async function createIdbStore ({ name = DEFAULT_NODE_NAME, onClosed, log = silentLogger }: IdbStoreInit = {}): Promise<Store> {
  const releaseLock = await acquireLock(storeLock(name))
  let closedError: KilnError | undefined
  let db: IDBPDatabase<KilnDB>
  /** Refusals of the calls in flight, for a connection the browser closes under them. */
  const unanswered = new Set<(err: KilnError) => void>()

  // Closed underneath us: let go of the database and the lock so the newer Kiln can proceed.
  const closeUnderneath = (reason: 'versionchange' | 'deleted' | 'terminated', message: string, details: Record<string, unknown> = {}): void => {
    if (closedError != null) return
    closedError = new StoreClosedError(message, { reason, ...details })
    log.error('%s', message)
    db.close() // synchronously, inside the event: the other side's upgrade is then not blocked
    void releaseLock()
    // Writes still queued will never be tried; a browser-closed connection aborted the one in flight.
    for (const item of [...(reason === 'terminated' ? writing : []), ...pending.splice(0)]) item.reject(closedError)
    // Nor may any call still waiting on a request stay unanswered: on a full disk Chromium 156 left
    // some requests without success or error after closing the connection (writes hung for good).
    if (reason === 'terminated') for (const refuse of unanswered) refuse(closedError)
    onClosed?.(closedError)
  }

  try {
    db = await openDB<KilnDB>(name, IDB_SCHEMA_VERSION, {
      upgrade: upgradeSchema,
      blocking: (currentVersion, newVersion) => {
        if (newVersion == null) closeUnderneath('deleted', `IndexedDB database ${name} is being deleted elsewhere; the store was closed`)
        else closeUnderneath('versionchange', `A newer Kiln took over the store ${name} (upgrading it from version ${currentVersion} to ${newVersion}); this one was closed`, { newVersion })
      },
      terminated: () => { closeUnderneath('terminated', `The browser closed IndexedDB database ${name} (storage cleared or failed)`) }
    })
  } catch (err) {
    await releaseLock()
    if ((err as Error)?.name === 'VersionError') {
      throw new StoreVersionError(`IndexedDB database ${name} was written by a newer Kiln (schema version above ${IDB_SCHEMA_VERSION}); upgrade Kiln to open it`, { schemaVersion: IDB_SCHEMA_VERSION }, { cause: err })
    }
    throw err
  }

  let declared = (await db.get('meta', INDEXES_KEY) as StoredIndex[] | undefined) ?? []

  const open = (): void => {
    if (closedError != null) throw new StoreClosedError(closedError.message, closedError.details)
  }
  // IDB failures become typed errors; anything else unexpected is passed on untouched.
  const translate = (err: unknown): unknown => {
    if (err instanceof KilnError) return err
    const errName = (err as Error)?.name
    if (errName === 'QuotaExceededError' || (errName === 'UnknownError' && NO_SPACE.test((err as Error).message))) {
      // The browser's own error is kept in the details: Chromium's two forms (QuotaExceededError,
      // or LevelDB's UnknownError "IO error … FILE_ERROR_NO_SPACE") are followed differently.
      return new StoreFullError('Browser storage is full (its quota or the disk); nothing of this write was stored', { browserError: errName, browserMessage: (err as Error).message }, { cause: err })
    }
    if (closedError != null) return new StoreClosedError(closedError.message, closedError.details, { cause: err })
    return err
  }
  // When the browser closes the connection, its transactions abort before the close event arrives
  // (an untyped AbortError reached a page in 1 of 8 full-disk runs): wait briefly for the close's reason.
  const translateAborted = async (err: unknown): Promise<unknown> => {
    for (let waited = 0; (err as Error)?.name === 'AbortError' && closedError == null && waited < ABORT_REASON_WAIT_MS; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    return translate(err)
  }
  // One-store read transaction whose `done` is observed: a failed read rejects its own request.
  const reader = <N extends 'blocks' | 'streams' | 'commits' | 'states'>(storeName: N) => {
    const tx = db.transaction(storeName, 'readonly')
    tx.done.catch(() => {})
    return tx.store
  }
  const guarded = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    open()
    return await new Promise<R>((resolve, reject) => {
      unanswered.add(reject)
      fn(...args).then(resolve, async (err: unknown) => { reject(await translateAborted(err)) }).finally(() => unanswered.delete(reject))
    })
  }

  /**
   * Group commit: batches that arrive while a transaction is in flight are written together in the
   * next one. One IndexedDB transaction costs 1-2 ms whatever it holds (design §6), so concurrent
   * writers share that cost. Each batch still gets its own stale-tip check and its own answer.
   */
  const pending: PendingWrite[] = []
  /**
   * Rows as the last committed write left them, by stream id. This store is its database's only
   * writer (the Web Lock), so they are what a read would return. Every other write to a row
   * (pinning, reindexing, forgetting) drops it here and counts in `otherRowWrites`: a group in
   * flight meanwhile remembers nothing, as its rows may be older than that write's.
   */
  const written = new Map<string, StreamRow>()
  let otherRowWrites = 0
  const dropRows = (ids: string[]): void => {
    otherRowWrites++
    for (const id of ids) written.delete(id)
  }
  const remember = (row: StreamRow): void => {
    written.delete(row.id)
    written.set(row.id, row)
    if (written.size > WRITTEN_ROWS) written.delete(written.keys().next().value as string)
  }
  /** The group whose transaction is in flight. */
  let writing: PendingWrite[] = []
  let flushing = false
  const enqueue = async (batches: CommitBatch[]): Promise<void> => await new Promise<void>((resolve, reject) => {
    pending.push({ batches, resolve, reject })
    if (!flushing) void flush()
  })
  const flush = async (): Promise<void> => {
    flushing = true
    while (pending.length > 0) {
      writing = pending.splice(0, MAX_GROUP_SIZE)
      await writeGroup(writing)
    }
    writing = []
    flushing = false
  }
  /**
   * The counts since the last write that changed them (a group of commits, a forget): IndexedDB's
   * count() walks every record, several ms of the browser's CPU at 10,000 streams, and pages poll
   * status(). Counted again after each such write, so a write's caller then sees its own.
   */
  let counted: Promise<{ streams: number, commits: number, blocks: number }> | undefined
  const countAll = async (): Promise<{ streams: number, commits: number, blocks: number }> => {
    const tx = db.transaction(['streams', 'commits', 'blocks'], 'readonly')
    const [streams, commits, blocks] = await Promise.all([
      tx.objectStore('streams').count(), tx.objectStore('commits').count(), tx.objectStore('blocks').count(), tx.done
    ])
    return { streams, commits, blocks }
  }

  const writeGroup = async (group: PendingWrite[]): Promise<void> => {
    // Everything that is not IDB happens before the transaction opens: it closes itself when idle.
    const prepared = group.map((item) => ({ item, rows: item.batches.map((b) => rowOf(b.stream, declared)) }))
    const otherWritesBefore = otherRowWrites
    const accepted: PendingWrite[] = []
    let tx
    try {
      tx = db.transaction(ALL_STORES, 'readwrite', { durability: WRITE_DURABILITY })
    } catch (err) {
      for (const item of group) item.reject(translate(err))
      return
    }
    tx.done.catch(() => {}) // observed below; never an unhandled rejection
    // The writes are raw IndexedDB requests, unobserved: a failed one aborts the transaction, which
    // `tx.done` reports. A promise and two listeners per request (idb's wrapping) cost the worker
    // ~0.15 ms of CPU per commit in Chromium.
    const raw = unwrap(tx)
    const tables = new Map<string, IDBObjectStore>()
    const table = (tableName: StoreNames<KilnDB>): IDBObjectStore => {
      let found = tables.get(tableName)
      if (found == null) tables.set(tableName, found = raw.objectStore(tableName))
      return found
    }
    const counts: Array<Promise<unknown>> = []
    const refused = new Set<PendingWrite>()
    const added = new Map<string, number>() // new streams per Model
    try {
      // The rows not remembered are read at once: one round trip for the group. Awaited one at a
      // time, 15 concurrent writers' reads took 13 ms of a 20 ms transaction in Chromium.
      const ids = [...new Set(group.flatMap((item) => item.batches.map((b) => b.stream.id)))]
      const streams = tx.objectStore('streams')
      const found = await Promise.all(ids.map(async (id) => written.get(id) ?? await streams.get(id)))
      /** Each stream's row as this transaction leaves it so far. */
      const latest = new Map<string, StreamRow | undefined>(ids.map((id, i) => [id, found[i]]))
      for (const { item, rows } of prepared) {
        // Every batch of the item is checked before any of it is written.
        const previous = item.batches.map((batch) => latest.get(batch.stream.id))
        const stale = item.batches.findIndex((batch, i) => (previous[i]?.tip ?? null) !== batch.expectedTip)
        if (stale >= 0) {
          const { stream: { id }, expectedTip } = item.batches[stale]
          const tip = previous[stale]?.tip
          refused.add(item)
          item.reject(new StaleTipError(`Stream ${id} moved to ${tip ?? 'nothing'}; the write expected ${expectedTip ?? 'a new stream'}`, { stream: id, tip, expectedTip }))
          continue
        }
        accepted.push(item)
        item.batches.forEach((batch, i) => {
          const id = batch.stream.id
          // The row carries its canonical tip's state: this commit's, or the one it already had.
          const state = batch.commit.cid === batch.stream.tip ? batch.state : previous[i]?.tip === batch.stream.tip ? previous[i]?.state : undefined
          const row = state == null ? rows[i] : { ...rows[i], state }
          latest.set(id, row)
          if (previous[i] == null && row.model != null) added.set(row.model, (added.get(row.model) ?? 0) + 1)
          for (const key of previous[i]?.fieldKeys ?? []) table('fields').delete(key)
          for (const key of row.fieldKeys ?? []) table('fields').put('', key)
          for (const block of batch.blocks) table('blocks').put(block.bytes, block.cid.toString())
          for (const commit of [...(batch.earlierCommits ?? []), batch.commit]) table('commits').put({ ...commit })
          table('streams').put(row)
          moveStates(() => table('states'), batch, previous[i], row)
        })
      }
      for (const [model, n] of added) counts.push(addToModelCount(tx.objectStore('meta'), model, n))
      // A quota failure surfaces on commit: tx.done rejects and every put above is rolled back.
      await Promise.all([...counts, tx.done])
      counted = undefined
      for (const id of ids) {
        const row = latest.get(id)
        if (otherRowWrites === otherWritesBefore && row != null) remember(row)
        else written.delete(id)
      }
      for (const item of accepted) item.resolve()
    } catch (err) {
      for (const item of group) for (const batch of item.batches) written.delete(batch.stream.id)
      await Promise.allSettled(counts)
      // An aborted transaction fails each of its requests with AbortError; why it aborted
      // (QuotaExceededError, a full disk) is the transaction's own error.
      const refusal = await translateAborted(tx.error ?? err)
      log.error('a write of %d commits was rolled back: %s', accepted.length, codeOf(refusal))
      // Those not judged yet (the reads failed) are refused too: none is left unanswered.
      for (const item of group) if (!refused.has(item)) item.reject(refusal)
    }
  }

  /** A page of streams by their record fields (model, controller, family, schema). */
  async function queryStreams (query: StreamQuery, page: PageRequest = {}): Promise<Page<StreamRecord>> {
    const field = INDEXED_FIELDS.find((f) => query[f] != null)
    const value = field == null ? undefined : query[field]
    // Keys of the chosen index strictly after `after`: [value, order] pairs, or orders alone.
    const range = (after: string | undefined): IDBKeyRange | undefined => {
      if (field == null) return after == null ? undefined : IDBKeyRange.lowerBound(after, true)
      return after == null ? IDBKeyRange.bound([value], [value, []]) : IDBKeyRange.bound([value, after], [value, []], true)
    }
    const limit = pageSize(page)
    const index = reader('streams').index(field ?? 'order')
    const items: StreamRecord[] = []
    let after = page.cursor
    // Read the index in chunks; the other query fields filter the chunk (the index did the rest).
    for (;;) {
      const rows = await index.getAll(range(after), limit + 1)
      for (const row of rows) {
        if (!matches(row, query)) continue
        if (items.length === limit) return { items, cursor: orderKey(items[limit - 1]) }
        items.push(toRecord(row) as StreamRecord)
      }
      if (rows.length <= limit) break
      after = rows[rows.length - 1].order
    }
    return { items }
  }

  /** States at tips, each from its stream's row (the canonical tip, usually) or else from `states`. */
  const readStates = async (refs: Array<{ id: string, tip: string }>): Promise<Array<Uint8Array | undefined>> => {
    const tx = db.transaction(['streams', 'states'], 'readonly')
    tx.done.catch(() => {})
    return await Promise.all(refs.map(async ({ id, tip }) => {
      const row = written.get(id) ?? await tx.objectStore('streams').get(id)
      if (row?.tip === tip && row.state != null) return row.state
      return await tx.objectStore('states').get([id, tip])
    }))
  }

  const writeDeclared = async (next: StoredIndex[]): Promise<void> => {
    declared = next
    const tx = db.transaction('meta', 'readwrite', { durability: WRITE_DURABILITY })
    tx.done.catch(() => {})
    await Promise.all([tx.store.put(next, INDEXES_KEY), tx.done])
  }

  /**
   * A field query's reads, all in one read transaction over the index and the records: each
   * transaction costs about a millisecond in Chromium, more than the reads a page of results needs.
   */
  /**
   * A field query's reads, all in one read transaction; a page of entries (index keys with their
   * rows, tip states included) is one request where the browser has `getAllRecords`. Each request
   * or transaction costs a fraction of a millisecond in Chromium: more than the reads of a page.
   */
  const fieldReader = (): FieldIndexReader => {
    const tx = db.transaction(['streams', 'fields'], 'readonly')
    tx.done.catch(() => {})
    const index = tx.objectStore('streams').index('fieldKeys')
    const keysTable = tx.objectStore('fields')
    const bounds = (range: KeyRange): IDBKeyRange => IDBKeyRange.bound(range.lower, range.upper, false, true)
    const entries = async (range: KeyRange, limit: number, reverse: boolean): Promise<IndexEntry[]> =>
      (await readIndex(unwrap(index), bounds(range), limit, reverse ? 'prev' : 'next')).map(({ key, value }) => ({ key: key as string, record: toQueried(value as StreamRow) }))
    // Counts read the keys table: an object store's own keys, no row behind each.
    return {
      keys: async (range, limit, reverse) => reverse
        ? (await entries(range, limit, reverse)).map((e) => e.key)
        : await keysTable.getAllKeys(bounds(range), limit),
      count: async (range) => await keysTable.count(bounds(range)),
      records: async (ids) => await Promise.all(ids.map(async (id) => toRecord(await tx.objectStore('streams').get(id)))),
      entries
    }
  }

  return {
    putCommit: guarded(async (batch: CommitBatch) => { await enqueue([batch]) }),
    putCommits: guarded(async (batches: CommitBatch[]) => {
      assertOneBatchPerStream(batches)
      await enqueue(batches)
    }),

    getBlock: guarded(async (cid: string) => await reader('blocks').get(cid)),
    getStream: guarded(async (id: string) => toRecord(await reader('streams').get(id))),
    getState: guarded(async (id: string, tip: string) => (await readStates([{ id, tip }]))[0]),
    getStates: guarded(readStates),
    getCommits: guarded(async (id: string) => await reader('commits').getAll(IDBKeyRange.bound([id], [id, []]))),

    // The cursor is the last record's key, [stream, cid], as JSON.
    listCommits: guarded(async (page: PageRequest = {}): Promise<Page<CommitRecord>> => {
      const limit = pageSize(page)
      const after = page.cursor == null ? undefined : IDBKeyRange.lowerBound(JSON.parse(page.cursor) as [string, string], true)
      const items = await reader('commits').getAll(after, limit)
      const lastItem = items[items.length - 1]
      return items.length < limit ? { items } : { items, cursor: JSON.stringify([lastItem.stream, lastItem.cid]) }
    }),

    query: guarded(async (query: StreamQuery, page: PageRequest = {}): Promise<Page<QueriedRecord>> => {
      if (usesFields(query)) return await readFieldQuery(planFieldQuery(query, declared), query, page, fieldReader())
      return await queryStreams(query, page)
    }),

    count: guarded(async (query: StreamQuery) => {
      if (usesFields(query)) return await countFieldQuery(planFieldQuery(query, declared), query, fieldReader())
      const field = INDEXED_FIELDS.find((f) => query[f] != null)
      const others = INDEXED_FIELDS.filter((f) => f !== field && query[f] != null)
      if (field === 'model' && others.length === 0) return (await db.get('meta', modelCountKey(query.model as string)) as number | undefined) ?? 0
      if (others.length === 0) {
        const store = reader('streams')
        return field == null ? await store.count() : await store.index(field).count(IDBKeyRange.bound([query[field]], [query[field], []]))
      }
      return await countPages(async (page) => await queryStreams(query, page))
    }),

    indexes: guarded(async () => structuredClone(declared)),

    declareIndex: guarded(async (definition) => {
      if (declared.some((d) => sameIndex(d, definition))) return
      await writeDeclared([...declared, { model: definition.model, fields: [...definition.fields], ready: false }])
    }),

    setIndexReady: guarded(async (definition) => {
      await writeDeclared(declared.map((d) => sameIndex(d, definition) ? { ...d, ready: true } : d))
    }),

    reindex: guarded(async (items) => {
      dropRows(items.map((item) => item.id))
      const tx = db.transaction(['streams', 'fields'], 'readwrite', { durability: WRITE_DURABILITY })
      tx.done.catch(() => {})
      const streams = tx.objectStore('streams')
      const fields = tx.objectStore('fields')
      const moved: string[] = []
      const requests: Array<Promise<unknown>> = []
      const rows = await Promise.all(items.map(async (item) => await streams.get(item.id)))
      items.forEach((item, i) => {
        const row = rows[i]
        if (row?.tip !== item.tip) { moved.push(item.id); return }
        const next = rowOf({ ...toRecord(row) as StreamRecord, fields: item.fields }, declared)
        for (const key of row.fieldKeys ?? []) requests.push(fields.delete(key))
        for (const key of next.fieldKeys ?? []) requests.push(fields.put('', key))
        requests.push(streams.put(row.state == null ? next : { ...next, state: row.state }))
      })
      await Promise.all([...requests, tx.done])
      return moved
    }),

    setPinned: guarded(async (id: string, pinned: boolean) => {
      dropRows([id])
      const tx = db.transaction('streams', 'readwrite', { durability: WRITE_DURABILITY })
      tx.done.catch(() => {})
      const row = await tx.store.get(id)
      if (row != null && row.pinned !== pinned) await tx.store.put({ ...row, pinned })
      await tx.done
    }),

    forget: guarded(async (id: string, blockCids: string[]) => {
      dropRows([id])
      const tx = db.transaction(['streams', 'commits', 'states', 'blocks', 'meta', 'fields'], 'readwrite', { durability: WRITE_DURABILITY })
      tx.done.catch(() => {})
      const row = await tx.objectStore('streams').get(id)
      if (row == null) { await tx.done; return }
      const requests: Array<Promise<unknown>> = [
        ...(row.model == null ? [] : [addToModelCount(tx.objectStore('meta'), row.model, -1)]),
        ...(row.fieldKeys ?? []).map(async (key) => await tx.objectStore('fields').delete(key)),
        tx.objectStore('streams').delete(id),
        tx.objectStore('commits').delete(IDBKeyRange.bound([id], [id, []])),
        tx.objectStore('states').delete(IDBKeyRange.bound([id], [id, []])),
        ...blockCids.map(async (cid) => await tx.objectStore('blocks').delete(cid))
      ]
      await Promise.all([...requests, tx.done])
      counted = undefined
    }),

    stats: guarded(async () => {
      counted ??= countAll()
      const stats = counted
      stats.catch(() => { if (counted === stats) counted = undefined })
      return await stats
    }),

    async close () {
      if (closedError != null) return
      closedError = new StoreClosedError(`The store ${name} is closed`, { reason: 'closed' })
      db.close()
      await releaseLock()
    }
  }
}

/**
 * The `states` writes of one batch: every tip whose state its row does not hold has it there (v5).
 * In a linear update, the usual write, there are none: the row holds the new tip's state.
 */
function moveStates (states: () => IDBObjectStore, batch: CommitBatch, previous: StreamRow | undefined, row: StreamRow): void {
  const id = batch.stream.id
  const inPreviousRow = (tip: string): boolean => previous?.tip === tip && previous.state != null
  // A new tip the conflict rule did not pick.
  if (row.tip !== batch.commit.cid) states().put(batch.state, [id, batch.commit.cid])
  // The old canonical tip stays a tip but no longer canonical: its state leaves the row.
  if (previous?.state != null && previous.tip !== row.tip && row.tips.includes(previous.tip)) states().put(previous.state, [id, previous.tip])
  // A tip this commit extends is no tip anymore.
  const replaced = batch.replacedTip
  if (replaced != null && replaced !== batch.commit.cid && !inPreviousRow(replaced)) states().delete([id, replaced])
}

async function addToModelCount (meta: IDBPObjectStore<KilnDB, Array<StoreNames<KilnDB>>, 'meta', 'readwrite'>, model: string, n: number): Promise<void> {
  const key = modelCountKey(model)
  await meta.put(((await meta.get(key) as number | undefined) ?? 0) + n, key)
}

function toRecord (row: StreamRow | undefined): StreamRecord | undefined {
  if (row == null) return undefined
  const { order: _order, fieldKeys: _keys, state: _state, ...record } = row
  return record
}

function toQueried (row: StreamRow): QueriedRecord {
  const record = toRecord(row) as QueriedRecord
  if (row.state != null && row.tip === record.tip) record.tipState = row.state
  return record
}

/** A record as stored: its sort key and field-index keys (none outside an indexed Model). */
function rowOf (record: StreamRecord, declared: StoredIndex[]): StreamRow {
  const keys = fieldKeys(record, declared)
  return { ...record, order: orderKey(record), ...(keys.length > 0 ? { fieldKeys: keys } : {}) }
}

/**
 * Takes the Web Lock now or fails. The returned function lets it go and resolves once the lock
 * manager has released it, so a reopen right after close() finds it free.
 */
async function acquireLock (lockName: string): Promise<() => Promise<void>> {
  let letGo!: () => void
  const held = new Promise<void>((resolve) => { letGo = resolve })
  return await new Promise((resolve, reject) => {
    const request = navigator.locks.request(lockName, { ifAvailable: true }, async (lock) => {
      // A held lock means another node (usually the SharedWorker) has this store open.
      if (lock == null) throw new StoreLockedError(`The store is open elsewhere (Web Lock ${lockName} is held)`, { lock: lockName })
      resolve(async () => { letGo(); await request })
      await held
    })
    request.catch(reject)
  })
}

/**
 * `getAllRecords` (Chromium 141+) reads a page of index entries, keys and rows, in one request, in
 * either direction; elsewhere a cursor reads them one step at a time.
 */
const READS_RECORDS = typeof IDBIndex !== 'undefined' && 'getAllRecords' in IDBIndex.prototype

interface IndexRecord { key: IDBValidKey, value: unknown }

async function readIndex (index: IDBIndex, range: IDBKeyRange, count: number, direction: IDBCursorDirection): Promise<IndexRecord[]> {
  return await new Promise((resolve, reject) => {
    if (READS_RECORDS) {
      const getAllRecords = (index as unknown as { getAllRecords: (o: { query: IDBKeyRange, count: number, direction: IDBCursorDirection }) => IDBRequest<IndexRecord[]> }).getAllRecords
      const request = getAllRecords.call(index, { query: range, count, direction })
      request.onsuccess = () => { resolve(request.result) }
      request.onerror = () => { reject(request.error) }
      return
    }
    const found: IndexRecord[] = []
    const request = index.openCursor(range, direction)
    request.onsuccess = () => {
      const cursor = request.result
      if (cursor == null || found.length === count) { resolve(found); return }
      found.push({ key: cursor.key, value: cursor.value })
      cursor.continue()
    }
    request.onerror = () => { reject(request.error) }
  })
}
