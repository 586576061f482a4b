import { deleteDB } from 'idb'
import { afterAll, describe, expect, it } from 'vitest'
import { cdp } from 'vitest/browser'
import { encodeCborBlock } from '../../src/commits/block.js'
import { createIdbStore, IDB_SCHEMA_VERSION } from '../../src/store/idb-store.js'
import { createDidKeySigner } from '../../src/identity/signer.js'
import { createStreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { fieldKeys, type CommitBatch, type StreamRecord } from '../../src/store/store.js'
import type { Block } from '../../src/commits/block.js'
import { makeBatch, storeConformance } from '../conformance/store.js'
import { fieldIndexConformance } from '../conformance/field-index.js'
import type { KilnError } from '../../src/errors.js'

const opened = new Set<string>()
let counter = 0
const uniqueName = (): string => { const name = `kiln-idb-${Date.now()}-${counter++}`; opened.add(name); return name }

// Every database this file made is deleted; a store still open is closed by its `blocking` handler.
afterAll(async () => { await Promise.all([...opened].map(async (name) => { await deleteDB(name) })) })

/**
 * A database in an earlier Kiln's layout, as its migrations made it: v1's stores, plus `fields` in
 * v2, the rows' `fieldKeys` index in v3 and their `forkOf` index in v4 (v5 changed only data).
 */
async function openOldLayout (name: string, version: 1 | 2 | 4 | 5): Promise<IDBDatabase> {
  return await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(name, version)
    request.onupgradeneeded = () => {
      const db = request.result
      db.createObjectStore('blocks')
      const streams = db.createObjectStore('streams', { keyPath: 'id' })
      streams.createIndex('order', 'order', { unique: true })
      for (const field of ['model', 'controller', 'family', 'schema']) streams.createIndex(field, [field, 'order'])
      db.createObjectStore('commits', { keyPath: ['stream', 'cid'] })
      db.createObjectStore('states')
      db.createObjectStore('meta')
      if (version >= 2) db.createObjectStore('fields') // field-index keys, each valued ''
      if (version >= 4) {
        streams.createIndex('fieldKeys', 'fieldKeys', { multiEntry: true })
        streams.createIndex('forkOf', ['forkOf', 'order'])
      }
    }
    request.onsuccess = () => { resolve(request.result) }
    request.onerror = () => { reject(request.error) }
  })
}

// The quota override is origin-wide: other files' writes in this origin are refused while it lasts.
describe('idb store over quota', () => {
  // Chromium's IndexedDB trusts the free space it last read from the quota manager for up to 30 s
  // (BucketContext's space cache), so a quota lowered after earlier writes in this origin bites
  // only once that reading expires: write a commit every WRITE_GAP_MS until one is refused. This
  // file runs it first, so that it usually finds the cache cold and fails within a few writes.
  it('a write over the storage quota is refused whole, and what was acknowledged stays', async () => {
    const WRITE_GAP_MS = 250
    const name = uniqueName()
    const store = await createIdbStore({ name })
    const session = cdp()
    const origin = location.origin
    const { usage } = await session.send('Storage.getUsageAndQuota', { origin })
    await session.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 256 * 1024 })
    const acked: CommitBatch[] = []
    let refused: CommitBatch | undefined
    let failure: unknown
    try {
      for (let n = 0, deadline = Date.now() + 50_000; refused == null && Date.now() < deadline; n++) {
        const batch = await paddedBatch(n, acked.at(-1))
        try { await store.putCommit(batch); acked.push(batch) } catch (err) { failure = err; refused = batch }
        if (refused == null) await new Promise((resolve) => setTimeout(resolve, WRITE_GAP_MS))
      }
    } finally {
      await session.send('Storage.overrideQuotaForOrigin', { origin })
    }
    expect(failure).toMatchObject({ code: 'ERR_STORE_FULL', cause: { name: 'QuotaExceededError' } })
    expect(acked.length).toBeGreaterThan(0)
    const last = acked[acked.length - 1]
    expect((await store.getStream('full'))?.tip).toBe(last.commit.cid)
    expect(await store.getState('full', last.commit.cid)).toEqual(last.state)
    expect(await store.getCommits('full')).toHaveLength(acked.length)
    for (const batch of acked) {
      for (const block of batch.blocks) expect(sameBytes(await store.getBlock(block.cid.toString()), block.bytes)).toBe(true)
    }
    // Nothing of the refused write was kept, and the same write goes through once there is room.
    for (const block of refused?.blocks ?? []) expect(await store.getBlock(block.cid.toString())).toBeUndefined()
    expect(await store.getState('full', refused?.commit.cid ?? '')).toBeUndefined()
    expect(await store.stats()).toEqual({ streams: 1, commits: acked.length, blocks: 2 * acked.length })
    await store.putCommit(refused as CommitBatch)
    expect((await store.getStream('full'))?.tip).toBe(refused?.commit.cid)
    await store.close()
  }, 70_000)
})

const idb = {
  open: async (name: string) => { opened.add(name); return await createIdbStore({ name }) },
  persistent: true
}
storeConformance('idb', idb)
fieldIndexConformance('idb', idb)

/** Opens `name` at `version` as another tab or a newer Kiln would, failing on `blocked`. */
async function openRaw (name: string, version: number): Promise<IDBDatabase> {
  return await new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version)
    request.onsuccess = () => { resolve(request.result) }
    request.onerror = () => { reject(request.error) }
    request.onblocked = () => { reject(new Error('the upgrade was blocked by the open store')) }
  })
}

async function lockIsFree (name: string): Promise<boolean> {
  return await navigator.locks.request(`kiln-store:${name}`, { ifAvailable: true }, (lock) => lock != null)
}

describe('idb store in Chromium', () => {
  it('keeps streams in native indexes: [field, order] per query field, and order alone', async () => {
    const name = uniqueName()
    await (await createIdbStore({ name })).close()
    const db = await openRaw(name, IDB_SCHEMA_VERSION)
    expect(Array.from(db.objectStoreNames).sort()).toEqual(['blocks', 'commits', 'fields', 'meta', 'states', 'streams'])
    const streams = db.transaction('streams').objectStore('streams')
    const indexes = Object.fromEntries(Array.from(streams.indexNames).map((n) => [n, streams.index(n).keyPath]))
    expect(indexes).toEqual({
      order: 'order', model: ['model', 'order'], controller: ['controller', 'order'], family: ['family', 'order'], schema: ['schema', 'order'], fieldKeys: 'fieldKeys', forkOf: ['forkOf', 'order']
    })
    // A document's field-index keys are entries of one multi-entry index over the rows.
    expect(streams.index('fieldKeys').multiEntry).toBe(true)
    db.close()
  })

  it('a version-2 database (field indexes in their own store) is upgraded: its indexed documents are found, with their states', async () => {
    const name = uniqueName()
    const v2 = await openOldLayout(name, 2)
    const en = await makeBatch({ id: 'doc-en', n: 0, expectedTip: null, createdAt: 1, fields: { model: 'kmodel-v2', fields: { lang: 'en' } } })
    const de = await makeBatch({ id: 'doc-de', n: 0, expectedTip: null, createdAt: 2, fields: { model: 'kmodel-v2', fields: { lang: 'de' } } })
    await new Promise<void>((resolve, reject) => {
      const tx = v2.transaction(['streams', 'states', 'meta', 'fields'], 'readwrite')
      for (const batch of [en, de]) {
        tx.objectStore('streams').put({ ...batch.stream, order: `${batch.stream.createdAt.toString(16).padStart(12, '0')}:${batch.stream.id}` })
        tx.objectStore('states').put(batch.state, [batch.stream.id, batch.commit.cid])
      }
      const declared = [{ model: 'kmodel-v2', fields: ['lang'], ready: true }]
      tx.objectStore('meta').put(declared, 'indexes')
      // v2 kept each document's index keys in `fields`, as it still does for counts.
      for (const batch of [en, de]) for (const key of fieldKeys(batch.stream, declared)) tx.objectStore('fields').put('', key)
      tx.oncomplete = () => { resolve() }
      tx.onerror = () => { reject(tx.error) }
    })
    v2.close()
    const store = await createIdbStore({ name })
    const found = await store.query({ model: 'kmodel-v2', where: { lang: 'de' } })
    expect(found.items.map((r) => r.id)).toEqual(['doc-de'])
    expect(found.items[0].tipState).toEqual(de.state)
    expect(await store.count({ model: 'kmodel-v2', where: { lang: { in: ['en', 'de'] } } })).toBe(2)
    // The upgrade counted each Model's documents once; writes keep the count from then on.
    expect(await store.count({ model: 'kmodel-v2' })).toBe(2)
    expect(await store.getState('doc-en', en.commit.cid)).toEqual(en.state)
    // A record read by id carries no index keys or state: those stay inside the store.
    expect(await store.getStream('doc-en')).toEqual(en.stream)
    await store.close()
  })

  it('a version-4 database (states in rows and in `states`) is upgraded: one copy is left, and its documents load and update', async () => {
    const name = uniqueName()
    const v4 = await openOldLayout(name, 4)
    const first = await makeBatch({ id: 'doc', n: 0, expectedTip: null, createdAt: 1 })
    const second = await makeBatch({ id: 'doc', n: 1, expectedTip: first.commit.cid, createdAt: 1, prev: first.commit.cid })
    await new Promise<void>((resolve, reject) => {
      const tx = v4.transaction(['streams', 'states', 'commits', 'blocks'], 'readwrite')
      tx.objectStore('streams').put({ ...first.stream, order: `${(1).toString(16).padStart(12, '0')}:doc`, state: first.state })
      tx.objectStore('states').put(first.state, ['doc', first.commit.cid])
      tx.objectStore('commits').put(first.commit)
      tx.objectStore('blocks').put(first.blocks[0].bytes, first.blocks[0].cid.toString())
      tx.oncomplete = () => { resolve() }
      tx.onerror = () => { reject(tx.error) }
    })
    v4.close()
    const store = await createIdbStore({ name })
    expect(await store.getState('doc', first.commit.cid)).toEqual(first.state)
    await store.putCommit(second)
    expect(await store.getState('doc', second.commit.cid)).toEqual(second.state)
    await store.close()
    // Nothing is left in `states`: the state of the first tip was only in its row after the upgrade,
    // and the second one's is in the row that replaced it.
    const db = await openRaw(name, IDB_SCHEMA_VERSION)
    const keys = await new Promise<IDBValidKey[]>((resolve) => { const r = db.transaction('states').objectStore('states').getAllKeys(); r.onsuccess = () => { resolve(r.result) } })
    db.close()
    expect(keys).toEqual([])
  })

  it('a version-5 database records the genesis\'s controller of a tile whose controller changed, and leaves other rows as they were', async () => {
    // A real tile handed from one did:key to another, and one left alone: their rows, commits and blocks as v5 kept them.
    const memory = createMemoryStore()
    const node = createStreamNode({ store: memory, signer: await createDidKeySigner(new Uint8Array(32).fill(7)) })
    const blocks: Block[] = []
    node.onCommit((event) => { blocks.push(...event.blocks) })
    const other = await createDidKeySigner(new Uint8Array(32).fill(8))
    const handed = await node.create({ content: { v: 1 } })
    await node.update(handed.id, { header: { controllers: [other.controller] } })
    const kept = await node.create({ content: { v: 2 } })
    const [handedRow, keptRow] = await Promise.all([handed.id, kept.id].map(async (id) => await memory.getStream(id) as StreamRecord))
    expect(handedRow.initController).toBe(node.controller)
    expect(keptRow.initController).toBeUndefined()
    const commits = [...await memory.getCommits(handed.id), ...await memory.getCommits(kept.id)]
    await node.close()
    const name = uniqueName()
    const v5 = await openOldLayout(name, 5)
    await new Promise<void>((resolve, reject) => {
      const tx = v5.transaction(['streams', 'commits', 'blocks'], 'readwrite')
      const { initController: _, ...before } = handedRow
      tx.objectStore('streams').put({ ...before, order: `${(1).toString(16).padStart(12, '0')}:a` })
      tx.objectStore('streams').put({ ...keptRow, order: `${(2).toString(16).padStart(12, '0')}:b` })
      for (const c of commits) tx.objectStore('commits').put(c)
      for (const b of blocks) tx.objectStore('blocks').put(b.bytes, b.cid.toString())
      tx.oncomplete = () => { resolve() }
      tx.onerror = () => { reject(tx.error) }
    })
    v5.close()
    const store = await createIdbStore({ name })
    expect(await store.getStream(handed.id)).toMatchObject({ controller: other.controller, initController: node.controller })
    expect(await store.getStream(kept.id)).toEqual({ ...keptRow })
    await store.close()
  })

  it('a version-1 database (before field indexes) is upgraded in place and keeps what it held', async () => {
    const name = uniqueName()
    const v1 = await openOldLayout(name, 1)
    const old = await makeBatch({ id: 'kept', n: 0, expectedTip: null, fields: { model: 'kmodel-old' } })
    await new Promise<void>((resolve, reject) => {
      const tx = v1.transaction(['streams', 'blocks'], 'readwrite')
      tx.objectStore('streams').put({ ...old.stream, order: `${old.stream.createdAt.toString(16).padStart(12, '0')}:kept` })
      tx.objectStore('blocks').put(old.blocks[0].bytes, old.commit.cid)
      tx.oncomplete = () => { resolve() }
      tx.onerror = () => { reject(tx.error) }
    })
    v1.close()
    const store = await createIdbStore({ name })
    expect((await store.getStream('kept'))?.tip).toBe(old.commit.cid)
    expect((await store.query({ model: 'kmodel-old' })).items.map((r) => r.id)).toEqual(['kept'])
    expect(await store.count({ model: 'kmodel-old' })).toBe(1)
    await store.declareIndex({ model: 'kmodel-old', fields: ['lang'] })
    await store.reindex([{ id: 'kept', tip: old.commit.cid, fields: { lang: 'en' } }])
    expect((await store.query({ model: 'kmodel-old', where: { lang: 'en' } })).items.map((r) => r.id)).toEqual(['kept'])
    await store.close()
  })

  it('a database written by a newer Kiln is refused, and the lock is let go', async () => {
    const name = uniqueName()
    ;(await openRaw(name, IDB_SCHEMA_VERSION + 1)).close()
    await expect(createIdbStore({ name })).rejects.toMatchObject({ code: 'ERR_STORE_VERSION', cause: { name: 'VersionError' } })
    expect(await lockIsFree(name)).toBe(true)
  })

  it('an upgrade from a newer Kiln closes the store, reports it, and is not blocked', async () => {
    const name = uniqueName()
    const reasons: KilnError[] = []
    const store = await createIdbStore({ name, onClosed: (err) => { reasons.push(err) } })
    const first = await makeBatch({ id: 's', n: 0, expectedTip: null })
    await store.putCommit(first)
    const newer = await openRaw(name, IDB_SCHEMA_VERSION + 1)
    expect(newer.version).toBe(IDB_SCHEMA_VERSION + 1)
    expect(reasons).toHaveLength(1)
    expect(reasons[0]).toMatchObject({ code: 'ERR_STORE_CLOSED', details: { reason: 'versionchange', newVersion: IDB_SCHEMA_VERSION + 1 } })
    await expect(store.getStream('s')).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED', message: expect.stringMatching(/newer Kiln took over/) })
    await expect(store.putCommit(await makeBatch({ id: 't', n: 0, expectedTip: null }))).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' })
    expect(await lockIsFree(name)).toBe(true)
    await store.close()
    expect(reasons).toHaveLength(1)
    newer.close()
  })

  // The store remembers the rows it wrote (it reads nothing before writing them again); a reindex
  // or a forget, even while a write is in flight, must leave the next write reading the row afresh.
  it('a write after a reindex of its stream, made while the previous write was in flight, replaces the reindexed keys', async () => {
    const store = await createIdbStore({ name: uniqueName() })
    const model = 'kmodel-remembered'
    const doc = async (n: number, lang: string, prev?: CommitBatch): Promise<CommitBatch> =>
      await makeBatch({ id: 'r', n, prev: prev?.commit.cid, expectedTip: prev?.commit.cid ?? null, createdAt: 1, fields: { model, fields: { lang } } })
    await store.declareIndex({ model, fields: ['lang'] })
    const first = await doc(0, 'en')
    await store.putCommit(first)
    const second = await doc(1, 'en', first)
    await Promise.all([store.putCommit(second), store.reindex([{ id: 'r', tip: second.commit.cid, fields: { lang: 'de' } }])])
    expect(await store.count({ model, where: { lang: 'de' } })).toBe(1)
    await store.putCommit(await doc(2, 'fr', second))
    for (const [lang, n] of [['en', 0], ['de', 0], ['fr', 1]] as const) expect(await store.count({ model, where: { lang } })).toBe(n)
    await store.forget('r', [])
    await store.putCommit(first) // from scratch again: nothing remembered says it exists
    expect((await store.getStream('r'))?.tip).toBe(first.commit.cid)
    await store.close()
  })

  it('stats are counted once per change: a poll with no write between reads nothing, and each write or forget shows in the next', async () => {
    const store = await createIdbStore({ name: uniqueName() })
    const counts = { calls: 0 }
    const count = IDBObjectStore.prototype.count
    IDBObjectStore.prototype.count = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['count']>) {
      counts.calls++
      return count.apply(this, args)
    }
    try {
      const first = await makeBatch({ id: 's1', n: 0, expectedTip: null })
      await store.putCommit(first)
      expect(await store.stats()).toEqual({ streams: 1, commits: 1, blocks: 1 })
      const afterFirst = counts.calls
      expect(afterFirst).toBeGreaterThan(0)
      expect(await store.stats()).toEqual({ streams: 1, commits: 1, blocks: 1 })
      expect(counts.calls).toBe(afterFirst)
      // A write in flight while a poll counts: the next poll sees it.
      const second = await makeBatch({ id: 's2', n: 0, expectedTip: null })
      await Promise.all([store.putCommit(second), store.stats()])
      expect(await store.stats()).toEqual({ streams: 2, commits: 2, blocks: 2 })
      await store.forget('s1', [first.commit.cid])
      expect(await store.stats()).toEqual({ streams: 1, commits: 1, blocks: 1 })
    } finally {
      IDBObjectStore.prototype.count = count
      await store.close()
    }
  })

  it('deleting the database elsewhere closes the store and reports it', async () => {
    const name = uniqueName()
    const reasons: KilnError[] = []
    const store = await createIdbStore({ name, onClosed: (err) => { reasons.push(err) } })
    await deleteDB(name, { blocked: () => { throw new Error('delete was blocked') } })
    expect(reasons.map((r) => r.details?.reason)).toEqual(['deleted'])
    await expect(store.stats()).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' })
  })
})

/** Commit `n` of stream 'full' extending `prev`, with an extra block of 32 KiB of random bytes. */
async function paddedBatch (n: number, prev: CommitBatch | undefined): Promise<CommitBatch> {
  const batch = await makeBatch({ id: 'full', n, prev: prev?.commit.cid, expectedTip: prev?.commit.cid ?? null, createdAt: prev?.stream.createdAt })
  const pad = crypto.getRandomValues(new Uint8Array(32 * 1024)) // random: no compression hides it
  batch.blocks.push(await encodeCborBlock({ n, pad }))
  return batch
}

/** Byte equality without a deep-equal walk (slow on large arrays). */
function sameBytes (a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a != null && a.length === b.length && a.every((x, i) => x === b[i])
}
