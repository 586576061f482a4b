import { StaleTipError, StoreClosedError } from '../errors.js'
import {
  INDEXED_FIELDS, assertOneBatchPerStream, countPages, fieldKeys, matches, orderKey, pageSize,
  type CommitBatch, type CommitRecord, type Page, type PageRequest, type Store, type StoredIndex, type StreamQuery, type StreamRecord
} from './store.js'
import { type KeyRange, planFieldQuery, sameIndex, usesFields } from './field-index.js'
import { countFieldQuery, readFieldQuery, type FieldIndexReader } from './field-query.js'

/**
 * A Store in memory: for tests, benchmarks and ephemeral nodes. It follows the same rules as
 * the durable stores (atomic batches, stale-tip refusal, indexed queries) and runs the same suite.
 */
export function createMemoryStore (): Store {
  const blocks = new Map<string, Uint8Array>()
  const streams = new Map<string, StreamRecord>()
  const commits = new Map<string, Map<string, CommitRecord>>()
  const states = new Map<string, Uint8Array>()
  // field=value -> order key -> stream id, so queries never scan every stream
  const indexes = new Map<string, Map<string, string>>()
  // Field-index keys, kept sorted (binary search), as the durable stores' ordered tables are.
  const fieldIndex = createSortedKeys()
  let declared: StoredIndex[] = []
  let closed = false
  const fieldReader: FieldIndexReader = {
    keys: fieldIndex.keys,
    count: fieldIndex.count,
    records: async (ids) => ids.map((id) => { const r = streams.get(id); return r == null ? undefined : structuredClone(r) })
  }

  const open = (): void => { if (closed) throw new StoreClosedError() }
  const stateKey = (id: string, tip: string): string => `${id}/${tip}`
  const indexKeys = (record: StreamRecord): string[] => [
    '*',
    ...INDEXED_FIELDS.filter((f) => record[f] != null).map((f) => `${f}=${String(record[f])}`)
  ]

  function assertFresh (batch: CommitBatch): void {
    const previous = streams.get(batch.stream.id)
    if ((previous?.tip ?? null) !== batch.expectedTip) {
      throw new StaleTipError(`Stream ${batch.stream.id} moved to ${previous?.tip ?? 'nothing'}; the write expected ${batch.expectedTip ?? 'a new stream'}`)
    }
  }

  function apply (batch: CommitBatch): void {
    const previous = streams.get(batch.stream.id)
    for (const block of batch.blocks) blocks.set(block.cid.toString(), block.bytes)
    let log = commits.get(batch.stream.id)
    if (log == null) commits.set(batch.stream.id, log = new Map())
    for (const commit of [...(batch.earlierCommits ?? []), batch.commit]) log.set(commit.cid, { ...commit })
    states.set(stateKey(batch.stream.id, batch.commit.cid), batch.state)
    if (batch.replacedTip != null) states.delete(stateKey(batch.stream.id, batch.replacedTip))
    if (previous != null) for (const key of indexKeys(previous)) indexes.get(key)?.delete(orderKey(previous))
    for (const key of indexKeys(batch.stream)) {
      let index = indexes.get(key)
      if (index == null) indexes.set(key, index = new Map())
      index.set(orderKey(batch.stream), batch.stream.id)
    }
    if (previous != null) for (const key of fieldKeys(previous, declared)) fieldIndex.delete(key)
    for (const key of fieldKeys(batch.stream, declared)) fieldIndex.add(key)
    streams.set(batch.stream.id, structuredClone(batch.stream))
  }

  return {
    async putCommit (batch: CommitBatch) {
      open()
      assertFresh(batch)
      apply(batch)
    },

    async putCommits (batches) {
      open()
      assertOneBatchPerStream(batches)
      for (const batch of batches) assertFresh(batch)
      for (const batch of batches) apply(batch)
    },

    async getBlock (cid) { open(); return blocks.get(cid) },
    async getStream (id) { open(); const r = streams.get(id); return r == null ? undefined : structuredClone(r) },
    async getState (id, tip) { open(); return states.get(stateKey(id, tip)) },
    async getStates (refs) { open(); return refs.map(({ id, tip }) => states.get(stateKey(id, tip))) },
    async getCommits (id) { open(); return [...(commits.get(id)?.values() ?? [])].map((c) => ({ ...c })) },

    // A page ends with a whole stream, so its cursor is the last stream listed.
    async listCommits (page: PageRequest = {}) {
      open()
      const limit = pageSize(page)
      const items: CommitRecord[] = []
      const ids = [...commits.keys()].sort().filter((id) => page.cursor == null || id > page.cursor)
      for (const id of ids) {
        if (items.length >= limit) return { items, cursor: items[items.length - 1].stream }
        for (const c of commits.get(id)?.values() ?? []) items.push({ ...c })
      }
      return { items }
    },

    async query (query: StreamQuery, page: PageRequest = {}): Promise<Page<StreamRecord>> {
      open()
      if (usesFields(query)) return await readFieldQuery(planFieldQuery(query, declared), query, page, fieldReader)
      const field = INDEXED_FIELDS.find((f) => query[f] != null)
      const index = indexes.get(field == null ? '*' : `${field}=${String(query[field])}`) ?? new Map<string, string>()
      const limit = pageSize(page)
      const items: StreamRecord[] = []
      let cursor: string | undefined
      for (const key of [...index.keys()].sort()) {
        if (page.cursor != null && key <= page.cursor) continue
        const record = streams.get(index.get(key) as string) as StreamRecord
        if (!matches(record, query)) continue
        if (items.length === limit) { cursor = orderKey(items[items.length - 1]); break }
        items.push(structuredClone(record))
      }
      return cursor == null ? { items } : { items, cursor }
    },

    async count (query) {
      open()
      if (usesFields(query)) return await countFieldQuery(planFieldQuery(query, declared), query, fieldReader)
      return await countPages(async (page) => await this.query(query, page))
    },

    async indexes () { open(); return structuredClone(declared) },

    async declareIndex (definition) {
      open()
      if (!declared.some((d) => sameIndex(d, definition))) declared = [...declared, { model: definition.model, fields: [...definition.fields], ready: false }]
    },

    async setIndexReady (definition) {
      open()
      declared = declared.map((d) => sameIndex(d, definition) ? { ...d, ready: true } : d)
    },

    async reindex (items) {
      open()
      const moved: string[] = []
      for (const { id, tip, fields } of items) {
        const record = streams.get(id)
        if (record?.tip !== tip) { moved.push(id); continue }
        for (const key of fieldKeys(record, declared)) fieldIndex.delete(key)
        record.fields = structuredClone(fields)
        for (const key of fieldKeys(record, declared)) fieldIndex.add(key)
      }
      return moved
    },

    async setPinned (id, pinned) {
      open()
      const record = streams.get(id)
      if (record != null) record.pinned = pinned
    },

    async forget (id, blockCids) {
      open()
      const record = streams.get(id)
      if (record == null) return
      for (const key of indexKeys(record)) indexes.get(key)?.delete(orderKey(record))
      for (const key of fieldKeys(record, declared)) fieldIndex.delete(key)
      for (const tip of record.tips) states.delete(stateKey(id, tip))
      for (const cid of blockCids) blocks.delete(cid)
      commits.delete(id)
      streams.delete(id)
    },

    async stats () {
      open()
      let commitCount = 0
      for (const log of commits.values()) commitCount += log.size
      return { streams: streams.size, commits: commitCount, blocks: blocks.size }
    },

    async close () { closed = true }
  }
}

/** A sorted set of strings with range reads: the memory store's ordered key table. */
function createSortedKeys (): { add: (key: string) => void, delete: (key: string) => void } & Omit<FieldIndexReader, 'records'> {
  const keys: string[] = []
  // The first position whose key is >= `key`.
  const position = (key: string): number => {
    let low = 0
    let high = keys.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (keys[mid] < key) low = mid + 1
      else high = mid
    }
    return low
  }
  return {
    add (key) { const at = position(key); if (keys[at] !== key) keys.splice(at, 0, key) },
    delete (key) { const at = position(key); if (keys[at] === key) keys.splice(at, 1) },
    async keys (range: KeyRange, limit, reverse) {
      const from = position(range.lower)
      const to = position(range.upper)
      return reverse ? keys.slice(Math.max(from, to - limit), to).reverse() : keys.slice(from, Math.min(to, from + limit))
    },
    async count (range) { return Math.max(0, position(range.upper) - position(range.lower)) }
  }
}
