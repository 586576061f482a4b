import type { Level } from 'level'
import { CorruptStoreError, StoreVersionError } from '../errors.js'

/** The disk layout this Kiln writes. Bumping it needs a `DISK_MIGRATIONS` entry for the new number. */
export const DISK_SCHEMA_VERSION = 2

export type DiskDb = Level<string, string>
/** `migrations[v]` upgrades a store in place from version v - 1 to v. */
export type DiskMigrations = Record<number, (db: DiskDb) => Promise<void>>

/**
 * Version 2 adds the `fields` sublevel (field indexes, declared in meta `indexes`). A version-1 store
 * has no declared index, so it needs no data written; the number keeps an older Kiln, which would
 * not keep field indexes current, from opening a store that has them.
 */
export const DISK_MIGRATIONS: DiskMigrations = { 2: async () => {} }

/** The sublevels of the layout (see disk-store.ts); `meta` holds the schema version and counters. */
export const SUBLEVELS = { blocks: 'blocks', streams: 'streams', commits: 'commits', states: 'states', index: 'index', fields: 'fields', meta: 'meta' } as const
export const SCHEMA_VERSION_KEY = 'schemaVersion'
/** Meta key of the declared field indexes (JSON StoredIndex[]). */
export const INDEXES_KEY = 'indexes'

export interface DiskSchemaOptions {
  /** The version to reach (default DISK_SCHEMA_VERSION). */
  version?: number
  /** Default DISK_MIGRATIONS; tests pass their own to exercise the upgrade path. */
  migrations?: DiskMigrations
}

/**
 * Brings an open database to the current layout: stamps a new store, refuses a newer one, and
 * runs each migration step of an older one in order.
 */
export async function prepareDiskSchema (db: DiskDb, options: DiskSchemaOptions = {}): Promise<void> {
  const { version = DISK_SCHEMA_VERSION, migrations = DISK_MIGRATIONS } = options
  const meta = db.sublevel(SUBLEVELS.meta)
  const stored = await meta.get(SCHEMA_VERSION_KEY)
  if (stored == null) {
    // A directory with data but no version was not written by Kiln: refuse it rather than mix layouts.
    if ((await db.keys({ limit: 1 }).all()).length > 0) {
      throw new StoreVersionError(`The LevelDB at ${db.location} has no Kiln schema version; it is not a Kiln store`, { path: db.location })
    }
    await meta.put(SCHEMA_VERSION_KEY, String(version))
    return
  }
  const current = Number(stored)
  if (!Number.isSafeInteger(current) || current < 0) {
    throw new CorruptStoreError(`The store at ${db.location} has an unreadable schema version ${JSON.stringify(stored)}`, { path: db.location })
  }
  if (current > version) {
    throw new StoreVersionError(
      `The store at ${db.location} has schema version ${current}, but this Kiln reads versions up to ${version}; upgrade Kiln to open it`,
      { path: db.location, version: current, supported: version })
  }
  for (let next = current + 1; next <= version; next++) {
    const migrate = migrations[next]
    if (migrate == null) {
      throw new StoreVersionError(`The store at ${db.location} has schema version ${current}, and this Kiln has no migration from version ${next - 1} to ${next}`,
        { path: db.location, version: current, supported: version })
    }
    await migrate(db)
    // Recorded after each step, so an interrupted upgrade resumes at the step that did not finish.
    await meta.put(SCHEMA_VERSION_KEY, String(next))
  }
}
