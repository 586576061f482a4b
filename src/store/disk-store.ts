import { Level } from 'level'
import { CorruptStoreError, StaleTipError, StoreClosedError } from '../errors.js'
import {
  INDEXED_FIELDS, assertOneBatchPerStream, countPages, fieldKeys, matches, orderKey, pageSize,
  type CommitBatch, type CommitRecord, type Page, type PageRequest, type Store, type StoredIndex, type StreamQuery, type StreamRecord
} from './store.js'
import { toStoreError } from './disk-errors.js'
import { INDEXES_KEY, eventEntry, prepareDiskSchema, readEventEntry, SUBLEVELS, type DiskDb } from './disk-schema.js'
import { eventIdPartOf } from './event-keys.js'
import { planFieldQuery, sameIndex, usesFields } from './field-index.js'
import { countFieldQuery, readFieldQuery, type FieldIndexReader } from './field-query.js'
import { type Logger, silentLogger } from '../logger.js'
import { createDiskWriter, type DiskOp, type DiskWrite, type DiskWriter } from './disk-writer.js'

export { DISK_SCHEMA_VERSION } from './disk-schema.js'

export interface DiskStoreInit {
  /** The LevelDB directory; created if missing. */
  path: string
  /**
   * fsync every batch before acknowledging it (default false). Without it an acknowledged write
   * survives a crash of the process (it is in the OS page cache) but not a power cut or kernel crash.
   */
  sync?: boolean
  /** Silent unless given (kiln serve passes `createLogger('kiln:store:disk')`). */
  log?: Logger
}

/*
 * Layout (sublevels of one LevelDB, so one batch spans them all):
 *   blocks   cid -> bytes                          streams  id -> StreamRecord JSON
 *   commits  <id>!<cid> -> CommitRecord JSON        states   <id>!<tip> -> bytes
 *   index    <field>!<value>!<orderKey> -> id, and *!<orderKey> -> id for every stream
 *   fields   field-index keys (see field-index.ts) -> ''
 *   events   hex of a commit's EventId without the network header -> '<id> <cid>' (disk-schema.ts)
 *   meta     schemaVersion, count:streams|commits|blocks, indexes (declared field indexes)
 * '!' and '%' in ids and field values are escaped, so a prefix never matches a longer value.
 */
const esc = (part: string): string => part.replace(/%/g, '%25').replace(/!/g, '%21')
const ALL = '*!'
const fieldPrefix = (field: string, value: string): string => `${field}!${esc(value)}!`
/** The first key after every key that starts with `prefix` (which ends with '!'). */
const prefixEnd = (prefix: string): string => `${prefix.slice(0, -1)}"`
/** LevelDB hands out Buffers; callers get plain Uint8Arrays, as from the other stores. */
const plain = (bytes: Uint8Array | undefined): Uint8Array | undefined =>
  bytes == null ? undefined : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)

function indexKeys (record: StreamRecord): string[] {
  const keys = [ALL + orderKey(record)]
  for (const field of INDEXED_FIELDS) {
    if (record[field] != null) keys.push(fieldPrefix(field, String(record[field])) + orderKey(record))
  }
  return keys
}

/** Opens LevelDB, brings its schema up to date and loads the counters; on failure, unlocks it again. */
async function openDisk (path: string, sync: boolean, log: Logger): Promise<{ db: DiskDb, writer: DiskWriter }> {
  const db: DiskDb = new Level(path, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  try {
    await db.open()
    await prepareDiskSchema(db)
    return { db, writer: await createDiskWriter(db, { path, sync, log }) }
  } catch (err) {
    await db.close().catch(() => {}) // releases the LOCK; the open error is the one to report
    throw toStoreError(err, path)
  }
}

/**
 * A Store on LevelDB (via `level`) for the Node server peer. Each putCommit is one atomic batch;
 * writes to one stream are serialised so the stale-tip check and the write cannot interleave.
 * Durability: see `DiskStoreInit.sync`.
 *
 * @example
 * const store = await createDiskStore({ path: './kiln-data' })
 * const record = await store.getStream(id)
 */
export async function createDiskStore (init: DiskStoreInit): Promise<Store> {
  const { path } = init
  const { db, writer: w } = await openDisk(path, init.sync ?? false, init.log ?? silentLogger)
  const blocks = db.sublevel<string, Uint8Array>(SUBLEVELS.blocks, { valueEncoding: 'view' })
  const streams = db.sublevel(SUBLEVELS.streams)
  const commits = db.sublevel(SUBLEVELS.commits)
  const states = db.sublevel<string, Uint8Array>(SUBLEVELS.states, { valueEncoding: 'view' })
  const index = db.sublevel(SUBLEVELS.index)
  const fields = db.sublevel(SUBLEVELS.fields)
  const events = db.sublevel(SUBLEVELS.events)
  const meta = db.sublevel(SUBLEVELS.meta)
  let declared = await readDeclared()
  let closed = false
  let closing: Promise<void> | undefined
  // Per-stream promise chains: the tail of each stream's pending writes.
  const tails = new Map<string, Promise<void>>()

  /** Runs a store call: refused once closed, with `level` errors mapped to typed ones. */
  async function run<T> (fn: () => Promise<T>): Promise<T> {
    if (closed) throw new StoreClosedError(`The store at ${path} is closed`, { path })
    try { return await fn() } catch (err) { throw toStoreError(err, path) }
  }

  async function serialised<T> (id: string, fn: () => Promise<T>): Promise<T> {
    const result = (tails.get(id) ?? Promise.resolve()).then(fn)
    const tail = result.then(() => {}, () => {})
    tails.set(id, tail)
    void tail.then(() => { if (tails.get(id) === tail) tails.delete(id) })
    return await result
  }

  function parse<T> (json: string, what: string): T {
    try { return JSON.parse(json) as T } catch (err) {
      throw new CorruptStoreError(`The store at ${path} holds an unreadable ${what}`, { path, what }, { cause: err })
    }
  }

  async function readDeclared (): Promise<StoredIndex[]> {
    const json = await meta.get(INDEXES_KEY).catch(async (err: unknown) => { await db.close(); throw toStoreError(err, path) })
    return json == null ? [] : parse<StoredIndex[]>(json, 'list of field indexes')
  }

  async function writeDeclared (next: StoredIndex[]): Promise<void> {
    declared = next
    await w.write({ ops: [{ type: 'put', sublevel: meta, key: INDEXES_KEY, value: JSON.stringify(next) }], blocks: [], newStreams: 0, newCommits: 0 })
  }

  /** Ops that move a record's field-index entries from `previous` to `next`. */
  function fieldOps (previous: StreamRecord | undefined, next: StreamRecord): DiskOp[] {
    const ops: DiskOp[] = []
    if (previous != null) for (const key of fieldKeys(previous, declared)) ops.push({ type: 'del', sublevel: fields, key })
    for (const key of fieldKeys(next, declared)) ops.push({ type: 'put', sublevel: fields, key, value: '' })
    return ops
  }

  const fieldReader: FieldIndexReader = {
    keys: async (range, limit, reverse) => await fields.keys({ gte: range.lower, lt: range.upper, limit, reverse }).all(),
    count: async (range) => {
      let n = 0
      for await (const _key of fields.keys({ gte: range.lower, lt: range.upper })) n++
      return n
    },
    records: async (ids) => (await streams.getMany(ids)).map((json, i) => json == null ? undefined : parse<StreamRecord>(json, `stream record ${ids[i]}`))
  }

  async function readRecord (id: string): Promise<StreamRecord | undefined> {
    const json = await streams.get(id)
    return json == null ? undefined : parse<StreamRecord>(json, `stream record ${id}`)
  }

  /** The write one batch makes, checked against the stream's record: refused if it moved. */
  async function writeFor (batch: CommitBatch): Promise<DiskWrite> {
    const id = batch.stream.id
    const previous = await readRecord(id)
    if ((previous?.tip ?? null) !== batch.expectedTip) {
      throw new StaleTipError(`Stream ${id} moved to ${previous?.tip ?? 'nothing'}; the write expected ${batch.expectedTip ?? 'a new stream'}`,
        { stream: id, tip: previous?.tip ?? null, expectedTip: batch.expectedTip })
    }
    const written = [...new Map([...(batch.earlierCommits ?? []), batch.commit].map((c) => [c.cid, c])).values()]
    const commitKeys = written.map((c) => `${esc(id)}!${c.cid}`)
    const known = await commits.hasMany(commitKeys)
    const ops: DiskOp[] = []
    for (const block of batch.blocks) ops.push({ type: 'put', sublevel: blocks, key: block.cid.toString(), value: block.bytes })
    written.forEach((c, i) => ops.push({ type: 'put', sublevel: commits, key: commitKeys[i], value: JSON.stringify(c) }))
    const streamPart = eventIdPartOf(batch.stream)
    if (streamPart != null) for (const c of written) ops.push({ type: 'put', sublevel: events, ...eventEntry(streamPart, id, c.cid) })
    ops.push({ type: 'put', sublevel: states, key: `${esc(id)}!${batch.commit.cid}`, value: batch.state })
    if (batch.replacedTip != null && batch.replacedTip !== batch.commit.cid) {
      ops.push({ type: 'del', sublevel: states, key: `${esc(id)}!${batch.replacedTip}` })
    }
    // Dels before puts: an unchanged entry is deleted and put back within the same batch.
    if (previous != null) for (const key of indexKeys(previous)) ops.push({ type: 'del', sublevel: index, key })
    for (const key of indexKeys(batch.stream)) ops.push({ type: 'put', sublevel: index, key, value: id })
    ops.push(...fieldOps(previous, batch.stream))
    ops.push({ type: 'put', sublevel: streams, key: id, value: JSON.stringify(batch.stream) })
    return {
      ops,
      blocks: batch.blocks.map((b) => b.cid.toString()),
      newStreams: previous == null ? 1 : 0,
      newCommits: known.filter((has) => !has).length
    }
  }

  /** Several streams' batches as one LevelDB batch, each stream taking its turn; all or nothing. */
  async function putCommits (batches: CommitBatch[]): Promise<void> {
    assertOneBatchPerStream(batches)
    const ids = batches.map((b) => b.stream.id).sort()
    // Waits for every stream's turn by nesting (sorted, so two such calls cannot wait on each other).
    const inTurn = async (at: number): Promise<void> => {
      if (at < ids.length) return await serialised(ids[at], async () => { await inTurn(at + 1) })
      const writes = await Promise.all(batches.map(writeFor))
      await w.write({
        ops: writes.flatMap((x) => x.ops),
        blocks: writes.flatMap((x) => x.blocks),
        newStreams: writes.reduce((n, x) => n + x.newStreams, 0),
        newCommits: writes.reduce((n, x) => n + x.newCommits, 0)
      })
    }
    await inTurn(0)
  }

  async function query (q: StreamQuery, page: PageRequest): Promise<Page<StreamRecord>> {
    // The most selective field picks the index; the others are filtered. No field: the `*` index.
    const field = INDEXED_FIELDS.find((f) => q[f] != null)
    const prefix = field == null ? ALL : fieldPrefix(field, String(q[field]))
    const limit = pageSize(page)
    const items: StreamRecord[] = []
    const it = index.iterator({ gt: prefix + (page.cursor ?? ''), lt: prefixEnd(prefix) })
    try {
      for (;;) {
        const entries = await it.nextv(Math.min(limit + 1, 256))
        if (entries.length === 0) return { items }
        const jsons = await streams.getMany(entries.map(([, id]) => id))
        for (let i = 0; i < entries.length; i++) {
          const [key, id] = entries[i]
          const json = jsons[i]
          if (json == null) throw new CorruptStoreError(`The store at ${path} indexes stream ${id}, which it does not hold`, { path, stream: id })
          const record = parse<StreamRecord>(json, `stream record ${id}`)
          // Skip an entry the record has since moved away from (the index was read a moment earlier).
          if (orderKey(record) !== key.slice(prefix.length) || !matches(record, q)) continue
          if (items.length === limit) return { items, cursor: orderKey(items[items.length - 1]) }
          items.push(record)
        }
      }
    } finally {
      await it.close()
    }
  }

  return {
    putCommit: async (batch) => await run(async () => await serialised(batch.stream.id, async () => { await w.write(await writeFor(batch)) })),
    putCommits: async (batches) => await run(async () => { await putCommits(batches) }),
    getBlock: async (cid) => await run(async () => plain(await blocks.get(cid))),
    getStream: async (id) => await run(async () => await readRecord(id)),
    getState: async (id, tip) => await run(async () => plain(await states.get(`${esc(id)}!${tip}`))),
    getStates: async (refs) => await run(async () => (await states.getMany(refs.map(({ id, tip }) => `${esc(id)}!${tip}`))).map(plain)),

    getCommits: async (id) => await run(async () => {
      const prefix = `${esc(id)}!`
      const values = await commits.values({ gt: prefix, lt: prefixEnd(prefix) }).all()
      return values.map((json) => parse<CommitRecord>(json, `commit record of ${id}`))
    }),

    listCommits: async (page = {}) => await run(async () => {
      const limit = pageSize(page)
      const entries = await commits.iterator({ gt: page.cursor ?? '', limit }).all()
      const items = entries.map(([key, json]) => parse<CommitRecord>(json, `commit record ${key}`))
      return entries.length < limit ? { items } : { items, cursor: entries[entries.length - 1][0] }
    }),

    listEventKeys: async (page = {}) => await run(async () => {
      const limit = pageSize(page)
      const entries = await events.iterator({ gt: page.cursor ?? '', limit }).all()
      const items = entries.map(([key, value]) => readEventEntry(key, value))
      return entries.length < limit ? { items } : { items, cursor: entries[entries.length - 1][0] }
    }),

    query: async (q, page = {}) => await run(async () => usesFields(q) ? await readFieldQuery(planFieldQuery(q, declared), q, page, fieldReader) : await query(q, page)),

    count: async (q) => await run(async () => {
      if (usesFields(q)) return await countFieldQuery(planFieldQuery(q, declared), q, fieldReader)
      return await countPages(async (page) => await query(q, page))
    }),

    indexes: async () => await run(async () => structuredClone(declared)),

    declareIndex: async (definition) => await run(async () => {
      if (declared.some((d) => sameIndex(d, definition))) return
      await writeDeclared([...declared, { model: definition.model, fields: [...definition.fields], ready: false }])
    }),

    setIndexReady: async (definition) => await run(async () => {
      await writeDeclared(declared.map((d) => sameIndex(d, definition) ? { ...d, ready: true } : d))
    }),

    // Each stream takes its turn as putCommit does; the writer puts the concurrent ones in one batch.
    reindex: async (items) => await run(async () => {
      const moved = await Promise.all(items.map(async (item) => await serialised(item.id, async () => {
        const record = await readRecord(item.id)
        if (record?.tip !== item.tip) return item.id
        const next = { ...record, fields: item.fields }
        const ops = [...fieldOps(record, next), { type: 'put', sublevel: streams, key: item.id, value: JSON.stringify(next) } as DiskOp]
        await w.write({ ops, blocks: [], newStreams: 0, newCommits: 0 })
        return undefined
      })))
      return moved.filter((id) => id != null)
    }),

    // Read-modify-write of the record, so it takes the stream's turn like putCommit.
    setPinned: async (id, pinned) => await run(async () => await serialised(id, async () => {
      const record = await readRecord(id)
      if (record == null || record.pinned === pinned) return
      const ops: DiskOp[] = [{ type: 'put', sublevel: streams, key: id, value: JSON.stringify({ ...record, pinned }) }]
      await w.write({ ops, blocks: [], newStreams: 0, newCommits: 0 })
    })),

    forget: async (id, blockCids) => await run(async () => await serialised(id, async () => {
      const record = await readRecord(id)
      if (record == null) return
      const prefix = `${esc(id)}!`
      const streamPart = eventIdPartOf(record)
      const [commitKeys, stateKeys, held] = await Promise.all([
        commits.keys({ gt: prefix, lt: prefixEnd(prefix) }).all(),
        states.keys({ gt: prefix, lt: prefixEnd(prefix) }).all(),
        blockCids.length === 0 ? [] : blocks.hasMany(blockCids)
      ])
      const ops: DiskOp[] = [
        { type: 'del', sublevel: streams, key: id },
        ...indexKeys(record).map((key): DiskOp => ({ type: 'del', sublevel: index, key })),
        ...fieldKeys(record, declared).map((key): DiskOp => ({ type: 'del', sublevel: fields, key })),
        ...commitKeys.map((key): DiskOp => ({ type: 'del', sublevel: commits, key })),
        ...(streamPart == null ? [] : commitKeys.map((key): DiskOp => ({ type: 'del', sublevel: events, key: eventEntry(streamPart, id, key.slice(prefix.length)).key }))),
        ...stateKeys.map((key): DiskOp => ({ type: 'del', sublevel: states, key })),
        ...blockCids.map((key): DiskOp => ({ type: 'del', sublevel: blocks, key }))
      ]
      await w.write({ ops, blocks: [], newStreams: -1, newCommits: -commitKeys.length, droppedBlocks: held.filter(Boolean).length })
    })),

    stats: async () => await run(async () => w.stats()),

    async close () {
      closed = true
      // Writes already accepted finish first; every later call gets StoreClosedError.
      closing ??= Promise.all(tails.values()).then(async () => { await db.close() })
      await closing
    }
  }
}
