import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb'
import { changedInitController } from './event-keys.js'
import { INDEXED_FIELDS, fieldKeys, type CommitRecord, type StoredIndex, type StreamRecord } from './store.js'

/**
 * The IndexedDB version of Kiln's schema. A database with a higher version was written by a newer
 * Kiln and is refused (StoreVersionError); a lower one is migrated step by step by `upgradeSchema`.
 */
export const IDB_SCHEMA_VERSION = 6

/**
 * A stream record as stored: `order` (= orderKey(record)) is the sort key of every index.
 * v3: `fieldKeys` are the record's field-index keys (see field-index.ts; also in `fields`), served by a
 * multi-entry index, and `state` is the encoded state at `tip`, so a page of a field query is one read.
 * v5: a state in the row is stored nowhere else (one put less per write).
 */
export type StreamRow = StreamRecord & { order: string, fieldKeys?: string[], state?: Uint8Array }

export type QueryField = typeof INDEXED_FIELDS[number]

export interface KilnDB extends DBSchema {
  /** cid string -> block bytes. */
  blocks: { key: string, value: Uint8Array }
  /**
   * keyPath `id`. Index `order` holds every stream; each query field has an index on
   * `[field, order]`, so a query is one key range. A record without the field is not in its index.
   */
  streams: { key: string, value: StreamRow, indexes: Record<QueryField, [string, string]> & { order: string, fieldKeys: string } }
  /** keyPath `[stream, cid]`: a stream's log is the key range `[id] .. [id, []]`. */
  commits: { key: [string, string], value: CommitRecord }
  /**
   * `[stream, tip]` -> encoded state at that tip, for every tip whose state is not in its row (v5:
   * the row holds the canonical tip's, usually; before, both held it).
   */
  states: { key: [string, string], value: Uint8Array }
  /** Node-level settings (out-of-line string keys): `indexes`, the declared field indexes; Model counts. */
  meta: { key: string, value: unknown }
  /**
   * v2: field-index keys (see field-index.ts), out of line, each valued ''. Since v3 the rows' index
   * serves pages; this table serves counts, which Chromium reads far faster from an object store's
   * own keys than from an index (each index entry is checked against its row).
   */
  fields: { key: string, value: '' }
}

export const ALL_STORES: Array<StoreNames<KilnDB>> = ['blocks', 'streams', 'commits', 'states', 'meta', 'fields']
/** Meta key of the declared field indexes (StoredIndex[]). */
export const INDEXES_KEY = 'indexes'
/**
 * v3: meta key of how many streams a Model has, kept by every write and forget: Chromium counts an
 * index range by walking it (two seconds at 100,000 documents), and "how many posts" is asked often.
 */
export const modelCountKey = (model: string): string => `count:${model}`

type UpgradeTx = IDBPTransaction<KilnDB, Array<StoreNames<KilnDB>>, 'versionchange'>
type Migration = (db: IDBPDatabase<KilnDB>, tx: UpgradeTx) => void

/** MIGRATIONS[v] takes a database from version v to v + 1; v2 is one more entry. */
const MIGRATIONS: Migration[] = [
  (db) => {
    db.createObjectStore('blocks')
    const streams = db.createObjectStore('streams', { keyPath: 'id' })
    streams.createIndex('order', 'order', { unique: true })
    for (const field of INDEXED_FIELDS.filter((f) => f !== 'forkOf')) streams.createIndex(field, [field, 'order'])
    db.createObjectStore('commits', { keyPath: ['stream', 'cid'] })
    db.createObjectStore('states')
    db.createObjectStore('meta')
  },
  // v2: field indexes in their own store. A v1 database declared none, so there is nothing to build.
  (db) => {
    db.createObjectStore('fields')
  },
  // v3: field-index keys and the tip's state go into the stream rows (one read per page).
  (db, tx) => {
    tx.objectStore('streams').createIndex('fieldKeys', 'fieldKeys', { multiEntry: true })
    // The upgrade transaction stays open while these requests chain; a failure aborts the upgrade.
    moveIntoRows(tx).catch(() => { tx.abort() })
  },
  // v4: forks are queried by their source (`forkOf`). No stream had one before, so the index starts empty.
  (_db, tx) => {
    tx.objectStore('streams').createIndex('forkOf', ['forkOf', 'order'])
  },
  // v5: a canonical state held by its row leaves `states`. Runs alongside v3's move on an older
  // database: each drops only what a row already holds, so either order leaves one copy.
  (_db, tx) => {
    dropRowStates(tx).catch(() => { tx.abort() })
  },
  // v6: a tile whose controller an update changed records its genesis's (`initController`), which
  // its EventIds name (event-keys.ts).
  (_db, tx) => {
    recordInitControllers(tx).catch(() => { tx.abort() })
  }
]

async function moveIntoRows (tx: UpgradeTx): Promise<void> {
  const declared = (await tx.objectStore('meta').get(INDEXES_KEY) as StoredIndex[] | undefined) ?? []
  const states = tx.objectStore('states')
  const counts = new Map<string, number>()
  for (let cursor = await tx.objectStore('streams').openCursor(); cursor != null; cursor = await cursor.continue()) {
    const row = cursor.value
    if (row.model != null) counts.set(row.model, (counts.get(row.model) ?? 0) + 1)
    const keys = fieldKeys(row, declared)
    const state = await states.get([row.id, row.tip])
    await cursor.update({ ...row, ...(keys.length > 0 ? { fieldKeys: keys } : {}), ...(state != null ? { state } : {}) })
    if (state != null) await states.delete([row.id, row.tip])
  }
  await Promise.all([...counts].map(async ([model, n]) => await tx.objectStore('meta').put(n, modelCountKey(model))))
}

async function dropRowStates (tx: UpgradeTx): Promise<void> {
  const states = tx.objectStore('states')
  for (let cursor = await tx.objectStore('streams').openCursor(); cursor != null; cursor = await cursor.continue()) {
    if (cursor.value.state != null) await states.delete([cursor.value.id, cursor.value.tip])
  }
}

async function recordInitControllers (tx: UpgradeTx): Promise<void> {
  const blocks = tx.objectStore('blocks')
  for (let cursor = await tx.objectStore('streams').openCursor(); cursor != null; cursor = await cursor.continue()) {
    const initController = await changedInitController(cursor.value, async (cid) => await blocks.get(cid.toString()))
    if (initController != null) await cursor.update({ ...cursor.value, initController })
  }
}

/** The `upgrade` callback of openDB: runs every step from `oldVersion` up to IDB_SCHEMA_VERSION. */
export function upgradeSchema (db: IDBPDatabase<KilnDB>, oldVersion: number, _newVersion: number | null, tx: UpgradeTx): void {
  for (let version = oldVersion; version < IDB_SCHEMA_VERSION; version++) MIGRATIONS[version](db, tx)
}
