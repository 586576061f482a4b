import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb'
import { INDEXED_FIELDS, type CommitRecord, type StreamRecord } from './store.js'

/**
 * The IndexedDB version of Kiln's schema. A database with a higher version was written by a newer
 * Kiln and is refused (StoreVersionError); a lower one is migrated step by step by `upgradeSchema`.
 */
export const IDB_SCHEMA_VERSION = 2

/** A stream record as stored: `order` (= orderKey(record)) is the sort key of every index. */
export type StreamRow = StreamRecord & { order: string }

export type QueryField = typeof INDEXED_FIELDS[number]

export interface KilnDB extends DBSchema {
  /** cid string -> block bytes. */
  blocks: { key: string, value: Uint8Array }
  /**
   * keyPath `id`. Index `order` holds every stream; each query field has an index on
   * `[field, order]`, so a query is one key range. A record without the field is not in its index.
   */
  streams: { key: string, value: StreamRow, indexes: Record<QueryField, [string, string]> & { order: string } }
  /** keyPath `[stream, cid]`: a stream's log is the key range `[id] .. [id, []]`. */
  commits: { key: [string, string], value: CommitRecord }
  /** `[stream, tip]` -> encoded state at that tip. */
  states: { key: [string, string], value: Uint8Array }
  /** Node-level settings (out-of-line string keys): `indexes`, the declared field indexes. */
  meta: { key: string, value: unknown }
  /** v2: field-index keys (see field-index.ts), out of line, each valued ''. */
  fields: { key: string, value: '' }
}

export const ALL_STORES: Array<StoreNames<KilnDB>> = ['blocks', 'streams', 'commits', 'states', 'meta', 'fields']
/** Meta key of the declared field indexes (StoredIndex[]). */
export const INDEXES_KEY = 'indexes'

type UpgradeTx = IDBPTransaction<KilnDB, Array<StoreNames<KilnDB>>, 'versionchange'>
type Migration = (db: IDBPDatabase<KilnDB>, tx: UpgradeTx) => void

/** MIGRATIONS[v] takes a database from version v to v + 1; v2 is one more entry. */
const MIGRATIONS: Migration[] = [
  (db) => {
    db.createObjectStore('blocks')
    const streams = db.createObjectStore('streams', { keyPath: 'id' })
    streams.createIndex('order', 'order', { unique: true })
    for (const field of INDEXED_FIELDS) streams.createIndex(field, [field, 'order'])
    db.createObjectStore('commits', { keyPath: ['stream', 'cid'] })
    db.createObjectStore('states')
    db.createObjectStore('meta')
  },
  // v2: field indexes. A v1 database declared none, so there is nothing to build.
  (db) => {
    db.createObjectStore('fields')
  }
]

/** The `upgrade` callback of openDB: runs every step from `oldVersion` up to IDB_SCHEMA_VERSION. */
export function upgradeSchema (db: IDBPDatabase<KilnDB>, oldVersion: number, _newVersion: number | null, tx: UpgradeTx): void {
  for (let version = oldVersion; version < IDB_SCHEMA_VERSION; version++) MIGRATIONS[version](db, tx)
}
