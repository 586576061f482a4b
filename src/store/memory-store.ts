import { StaleTipError, StoreClosedError } from '../errors.js'
import {
  INDEXED_FIELDS, matches, orderKey, pageSize,
  type CommitBatch, type CommitRecord, type Page, type PageRequest, type Store, type StreamQuery, type StreamRecord
} from './store.js'

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
  let closed = false

  const open = (): void => { if (closed) throw new StoreClosedError() }
  const stateKey = (id: string, tip: string): string => `${id}/${tip}`
  const indexKeys = (record: StreamRecord): string[] => [
    '*',
    ...INDEXED_FIELDS.filter((f) => record[f] != null).map((f) => `${f}=${String(record[f])}`)
  ]

  return {
    async putCommit (batch: CommitBatch) {
      open()
      const previous = streams.get(batch.stream.id)
      if ((previous?.tip ?? null) !== batch.expectedTip) {
        throw new StaleTipError(`Stream ${batch.stream.id} moved to ${previous?.tip ?? 'nothing'}; the write expected ${batch.expectedTip ?? 'a new stream'}`)
      }
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
      streams.set(batch.stream.id, structuredClone(batch.stream))
    },

    async getBlock (cid) { open(); return blocks.get(cid) },
    async getStream (id) { open(); const r = streams.get(id); return r == null ? undefined : structuredClone(r) },
    async getState (id, tip) { open(); return states.get(stateKey(id, tip)) },
    async getCommits (id) { open(); return [...(commits.get(id)?.values() ?? [])].map((c) => ({ ...c })) },

    async query (query: StreamQuery, page: PageRequest = {}): Promise<Page<StreamRecord>> {
      open()
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

    async setPinned (id, pinned) {
      open()
      const record = streams.get(id)
      if (record != null) record.pinned = pinned
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
